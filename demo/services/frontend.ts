/**
 * `frontend`: serves the `orders-web` browser application and its API. Every API request fans out
 * to the services behind it; the browser's `traceparent` header ties them to the user's click.
 *
 * The ads beside the catalogue are optional: when `catalog` fails to deliver them (failure scenario
 * `ads`), the page is served without ads and still answers 200.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { trace } from '@opentelemetry/api';
import { callJson, requireEnv } from './http-kit.js';
import { runService } from './service-main.js';

const order = requireEnv('DEMO_URL_ORDER');
const catalog = requireEnv('DEMO_URL_CATALOG');
const backend = requireEnv('DEMO_URL_BACKEND');
const webDir = requireEnv('DEMO_WEB_DIR');
/** What the page needs to know at start: where to send its spans. */
const pageConfig = JSON.stringify({ otlpTracesUrl: requireEnv('DEMO_BROWSER_OTLP_URL') });

const indexHtml = (await readFile(path.join(webDir, 'index.html'), 'utf8')).replace('"__DEMO_CONFIG__"', () => pageConfig);
const appJs = await readFile(path.join(webDir, 'app.js'), 'utf8');

const q = encodeURIComponent;

await runService('frontend', () => [
  { method: 'GET', pattern: '/', handle: () => ({ body: indexHtml, contentType: 'text/html; charset=utf-8' }) },
  { method: 'GET', pattern: '/app.js', handle: () => ({ body: appJs, contentType: 'text/javascript; charset=utf-8' }) },
  {
    method: 'GET', pattern: '/api/orders',
    handle: async ({ query }) => ({ body: await callJson(order, 'GET', `/orders?customer=${q(query.get('customer') ?? '1')}`) }),
  },
  {
    method: 'POST', pattern: '/api/book',
    handle: async ({ body }) => ({ status: 201, body: await callJson(order, 'POST', '/orders', body ?? {}) }),
  },
  {
    method: 'POST', pattern: '/api/checkout',
    handle: async ({ body }) => {
      const orderId = String((body as { orderId?: unknown } | undefined)?.orderId ?? '1001');
      return { body: await callJson(order, 'POST', `/orders/${q(orderId)}/checkout`) };
    },
  },
  {
    method: 'GET', pattern: '/api/shipping-quote',
    handle: async ({ query }) => ({ body: await callJson(order, 'GET', `/orders/${q(query.get('order') ?? '1001')}/shipping-quote`) }),
  },
  {
    method: 'GET', pattern: '/api/catalog',
    handle: async () => {
      const [items, recommended, ads] = await Promise.all([
        callJson(catalog, 'GET', '/items'),
        callJson(backend, 'GET', '/legacy/recommendations'),
        callJson(catalog, 'GET', '/ads').catch((error: unknown) => {
          // Handled: the page is fine without ads. The span event keeps the reason visible.
          trace.getActiveSpan()?.addEvent('ads unavailable', { reason: String(error) });
          return [];
        }),
      ]);
      return { body: { items, recommended, ads } };
    },
  },
]);
