/**
 * `order`: bookings, checkout and shipping quotes. Keeps new orders in its own `orders` database,
 * asks `customer` who is booking, `backend` (the monolith) to verify and capture payments and for
 * the order history, and the third party `api.fedex.com` for shipping quotes.
 */
import { HttpError, callJson, requireEnv } from './http-kit.js';
import { MemoryTable } from './memory-db.js';
import { runService } from './service-main.js';

const backend = requireEnv('DEMO_URL_BACKEND');
const customer = requireEnv('DEMO_URL_CUSTOMER');
const shipping = requireEnv('DEMO_URL_SHIPPING');

interface Order { readonly id: string; readonly customerId: string; readonly item: string; readonly state: 'booked' | 'paid' }

await runService('order', (tracer) => {
  const orders = new MemoryTable<Order>(tracer, 'orders', 'orders', [{ id: '1001', customerId: '1', item: 'Rain jacket', state: 'booked' }]);
  let nextId = 1002;

  const findOrder = async (id: string | undefined): Promise<Order> => {
    const [order] = await orders.select((o) => o.id === id, 'id = ?');
    if (!order) throw new HttpError(404, `no order ${id}`);
    return order;
  };

  return [
    {
      method: 'GET', pattern: '/orders',
      handle: async ({ query }) => {
        const customerId = query.get('customer') ?? '1';
        const [profile, past, recent] = await Promise.all([
          callJson(customer, 'GET', `/customers/${encodeURIComponent(customerId)}`),
          callJson(backend, 'GET', `/legacy/orders?customer=${encodeURIComponent(customerId)}`),
          orders.select((o) => o.customerId === customerId, 'customer_id = ?'),
        ]);
        return { body: { customer: profile, orders: [...recent, ...(past as unknown[])] } };
      },
    },
    {
      method: 'POST', pattern: '/orders',
      handle: async ({ body }) => {
        const request = (body ?? {}) as { customerId?: string; item?: string };
        const customerId = request.customerId ?? '1';
        await callJson(customer, 'GET', `/customers/${encodeURIComponent(customerId)}`);
        await callJson(backend, 'POST', '/payments/verify-card', { customerId, amount: 89 });
        const order = await orders.insert({ id: String(nextId++), customerId, item: request.item ?? 'Rain jacket', state: 'booked' });
        return { status: 201, body: order };
      },
    },
    {
      method: 'POST', pattern: '/orders/:id/checkout',
      handle: async ({ params }) => {
        const order = await findOrder(params.id);
        await callJson(backend, 'POST', '/payments/capture', { orderId: order.id });
        return { body: await orders.update(order.id, (o) => ({ ...o, state: 'paid' })) };
      },
    },
    {
      method: 'GET', pattern: '/orders/:id/shipping-quote',
      handle: async ({ params }) => {
        const order = await findOrder(params.id);
        const quote = await callJson(shipping, 'POST', '/rate/v1/rates/quotes', { orderId: order.id, destination: 'DE' });
        return { body: { orderId: order.id, quote } };
      },
    },
  ];
});
