/**
 * `catalog`: the items for sale (from `backend`) and the ads shown beside them.
 *
 * Failure scenario `ads`: the ad server times out; `frontend` handles it and the page still loads.
 */
import { HttpError, callJson, failureEnabled, pause, requireEnv } from './http-kit.js';
import { runService } from './service-main.js';

const backend = requireEnv('DEMO_URL_BACKEND');

await runService('catalog', () => [
  { method: 'GET', pattern: '/items', handle: async () => ({ body: await callJson(backend, 'GET', '/legacy/catalog') }) },
  {
    method: 'GET', pattern: '/ads',
    handle: async () => {
      await pause(5, 15);
      if (failureEnabled('ads')) throw new HttpError(503, 'ad server did not answer within 10 ms');
      return { body: [{ id: 'ad1', text: 'Head torches: 20% off this week' }] };
    },
  },
]);
