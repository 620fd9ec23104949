/**
 * `backend`: the old monolith every newer service still leans on. It owns the `shop` database
 * (customers, order history, the catalogue) and verifies payment cards.
 *
 * Failure scenario `card`: card verification throws, so every booking fails upstream.
 */
import { HttpError, failureEnabled, pause } from './http-kit.js';
import { MemoryTable } from './memory-db.js';
import { runService } from './service-main.js';

interface Customer { readonly id: string; readonly name: string; readonly city: string }
interface PastOrder { readonly id: string; readonly customerId: string; readonly item: string; readonly total: number }
interface Item { readonly id: string; readonly name: string; readonly price: number }
interface Payment { readonly id: string; readonly orderRef: string; readonly amount: number }

await runService('backend', (tracer) => {
  const customers = new MemoryTable<Customer>(tracer, 'shop', 'customers', [
    { id: '1', name: 'Ada Lovelace', city: 'London' },
    { id: '2', name: 'Grace Hopper', city: 'Arlington' },
    { id: '3', name: 'Edsger Dijkstra', city: 'Nuenen' },
  ]);
  const history = new MemoryTable<PastOrder>(tracer, 'shop', 'order_history', [
    { id: 'h1', customerId: '1', item: 'Analytical engine manual', total: 42 },
    { id: 'h2', customerId: '2', item: 'Compiler handbook', total: 31 },
  ]);
  const items = new MemoryTable<Item>(tracer, 'shop', 'items', [
    { id: 'i1', name: 'Trail running shoes', price: 120 },
    { id: 'i2', name: 'Rain jacket', price: 89 },
    { id: 'i3', name: 'Head torch', price: 35 },
  ]);
  const payments = new MemoryTable<Payment>(tracer, 'shop', 'payments');

  return [
    {
      method: 'GET', pattern: '/legacy/customers/:id',
      handle: async ({ params }) => {
        const [customer] = await customers.select((c) => c.id === params.id, 'id = ?');
        if (!customer) throw new HttpError(404, `no customer ${params.id}`);
        return { body: customer };
      },
    },
    {
      method: 'GET', pattern: '/legacy/orders',
      handle: async ({ query }) => ({ body: await history.select((o) => o.customerId === query.get('customer'), 'customer_id = ?') }),
    },
    { method: 'GET', pattern: '/legacy/catalog', handle: async () => ({ body: await items.select(() => true, 'TRUE') }) },
    {
      method: 'GET', pattern: '/legacy/recommendations',
      handle: async () => ({ body: (await items.select((i) => i.price < 100, 'price < 100')).slice(0, 2) }),
    },
    {
      method: 'POST', pattern: '/payments/verify-card',
      handle: async ({ body }) => {
        await pause(5, 20);
        if (failureEnabled('card')) {
          // A real stack trace, so the failure analysis has one to show.
          throw new Error('card verification failed: issuer declined (code 05)');
        }
        const amount = Number((body as { amount?: unknown } | undefined)?.amount ?? 0);
        const payment = await payments.insert({ id: `p${payments.size + 1}`, orderRef: 'pending', amount });
        return { body: { verified: true, paymentId: payment.id } };
      },
    },
    {
      method: 'POST', pattern: '/payments/capture',
      handle: async ({ body }) => {
        const orderId = String((body as { orderId?: unknown } | undefined)?.orderId ?? '');
        const payment = await payments.insert({ id: `p${payments.size + 1}`, orderRef: orderId, amount: 0 });
        return { body: { captured: true, paymentId: payment.id } };
      },
    },
  ];
});
