import Fastify, { type FastifyInstance } from 'fastify';
import type { Admission } from '../app/access.js';
import type { HttpTimeouts } from '../config/config.js';
import { fastifyTimeouts } from '../app/http-timeouts.js';
import { sendError, sendRefusal } from './errors.js';
import { registerUi } from './ui.js';

/** What `/metrics` serves (Prometheus text). */
export interface MetricsSource {
  readonly contentType: string;
  text(): Promise<string>;
}

export interface ApiOptions {
  readonly metrics: MetricsSource;
  /** Whether start-up (store open, recovery) has finished and receivers are listening. */
  readonly isReady: () => boolean;
  /** Registers the /api/v1 routes; separate so the query side can grow without touching this file. */
  readonly routes?: (app: FastifyInstance) => void;
  /**
   * Checks the `Authorization` of requests that carry data: `/api/v1/*` and `/metrics`.
   * `/healthz`, `/readyz` and the UI's files carry none and stay open. Absent: all open.
   */
  readonly authenticate?: (authorization: string | undefined) => Admission<void>;
  /** Socket timeouts (slow clients); Fastify's defaults when absent. */
  readonly timeouts?: HttpTimeouts;
}

/** Paths whose answers carry trace data or figures about it. */
function carriesData(url: string): boolean {
  const pathname = url.split('?')[0] ?? '';
  return pathname === '/metrics' || pathname === '/api' || pathname.startsWith('/api/');
}

/** The API and UI port: `/healthz`, `/readyz`, `/metrics`, and `/api/v1/...`. */
export function buildApiApp(options: ApiOptions): FastifyInstance {
  const app = Fastify({ logger: false, ...fastifyTimeouts(options.timeouts) });
  const authenticate = options.authenticate;
  if (authenticate !== undefined) {
    app.addHook('onRequest', async (request, reply) => {
      if (!carriesData(request.url)) return;
      const header = request.headers.authorization;
      const admission = authenticate(Array.isArray(header) ? header[0] : header);
      if (!admission.ok) await sendRefusal(reply, admission.refusal);
    });
  }

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
