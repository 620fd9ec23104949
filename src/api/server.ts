import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../app/metrics.js';
import { sendError } from './errors.js';
import { registerUi } from './ui.js';

export interface ApiOptions {
  readonly metrics: Metrics;
  /** Whether start-up (store open, recovery) has finished and receivers are listening. */
  readonly isReady: () => boolean;
  /** Registers the /api/v1 routes; separate so the query side can grow without touching this file. */
  readonly routes?: (app: FastifyInstance) => void;
}

/** The API and UI port: `/healthz`, `/readyz`, `/metrics`, and `/api/v1/...`. */
export function buildApiApp(options: ApiOptions): FastifyInstance {
  const app = Fastify({ logger: false });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    options.isReady() ? { status: 'ready' } : reply.code(503).send({ status: 'starting' }),
  );
  app.get('/metrics', async (_request, reply) => reply.type(options.metrics.contentType).send(await options.metrics.text()));

  options.routes?.(app);
  registerUi(app);

  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'not_found', `no route for ${request.method} ${request.url.split('?')[0]}`));
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    return sendError(reply, status, status === 500 ? 'internal' : 'bad_request', error.message);
  });
  return app;
}
