/**
 * The fallback when there is no browser: the same journeys as the browser's, sent straight to
 * `frontend` over HTTP. Requests then start at `frontend`; there are no user actions.
 */
import { SHOP_ACTIONS, rememberOrder, type ShopSession } from '../web/actions.js';
import { CUSTOMER_IDS, loop, pauseUnlessStopped, type Traffic } from './traffic.js';

export function startHttpTraffic(options: {
  readonly webUrl: string;
  readonly clickIntervalMillis: number;
  /** Why there is no browser, for the start-up message. */
  readonly why: string;
  readonly log: (line: string) => void;
}): Traffic {
  let actions = 0;
  const running = loop(async (n, shouldStop) => {
    const session: ShopSession = { customerId: CUSTOMER_IDS[n % CUSTOMER_IDS.length] ?? '1', orderId: '1001' };
    for (const action of SHOP_ACTIONS) {
      if (shouldStop()) return;
      const body = action.body?.(session);
      const response = await fetch(`${options.webUrl}${action.path(session)}`, {
        method: action.method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const payload: unknown = await response.json().catch(() => null);
      if (response.ok) rememberOrder(session, action, payload);
      actions++;
      await pauseUnlessStopped(options.clickIntervalMillis, shouldStop);
    }
  }, options.log);
  return {
    mode: 'http',
    description: `${options.why}: replaying the same journeys over HTTP, so requests start at frontend and there are no browser user actions`,
    get actions() {
      return actions;
    },
    stop: () => running.stop(),
  };
}
