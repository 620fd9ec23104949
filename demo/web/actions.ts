/**
 * The user actions of the `orders-web` shop: one button each, and the frontend API request the
 * button sends. The browser app wires its buttons from this table, and the HTTP traffic generator
 * replays it when no browser is available, so both exercise the same journeys.
 */
export interface ShopAction {
  /** The button's id: Tributary names the user action `click on BUTTON#<id>`. */
  readonly buttonId: string;
  readonly label: string;
  readonly method: 'GET' | 'POST';
  /** Path and query on the frontend for a session of `customerId` whose last order is `orderId`. */
  path(session: ShopSession): string;
  body?(session: ShopSession): unknown;
}

export interface ShopSession {
  readonly customerId: string;
  /** The order booked last in this session (a seeded one until a booking succeeds). */
  orderId: string;
}

export const SHOP_ACTIONS: readonly ShopAction[] = [
  { buttonId: 'my-orders', label: 'My orders', method: 'GET', path: (s) => `/api/orders?customer=${encodeURIComponent(s.customerId)}` },
  { buttonId: 'catalog', label: 'Catalog', method: 'GET', path: () => '/api/catalog' },
  {
    buttonId: 'book', label: 'Book', method: 'POST', path: () => '/api/book',
    body: (s) => ({ customerId: s.customerId, item: 'Rain jacket' }),
  },
  { buttonId: 'checkout', label: 'Checkout', method: 'POST', path: () => '/api/checkout', body: (s) => ({ orderId: s.orderId }) },
  { buttonId: 'shipping-quote', label: 'Shipping quote', method: 'GET', path: (s) => `/api/shipping-quote?order=${encodeURIComponent(s.orderId)}` },
];

/** The booking response carries the new order's id; later actions of the session use it. */
export function rememberOrder(session: ShopSession, action: ShopAction, response: unknown): void {
  if (action.buttonId !== 'book' || typeof response !== 'object' || response === null) return;
  const id = (response as { id?: unknown }).id;
  if (typeof id === 'string') session.orderId = id;
}
