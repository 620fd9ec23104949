/** `customer`: customer profiles, served from the monolith's database through `backend`. */
import { callJson, requireEnv } from './http-kit.js';
import { runService } from './service-main.js';

const backend = requireEnv('DEMO_URL_BACKEND');

await runService('customer', () => [
  {
    method: 'GET', pattern: '/customers/:id',
    handle: async ({ params }) => ({ body: await callJson(backend, 'GET', `/legacy/customers/${encodeURIComponent(params.id ?? '')}`) }),
  },
]);
