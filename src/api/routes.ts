import type { FastifyInstance, FastifyReply } from 'fastify';
import { handlers, type ApiResponse, type HandlerDeps } from './handlers.js';
import type { Params } from './params.js';

type ServiceRoute = { Params: { service: string }; Querystring: Params };

/** `/api/v1/...` (DESIGN.md §4). Each route is a thin wrapper over a transport-independent handler. */
export function registerQueryRoutes(app: FastifyInstance, deps: HandlerDeps): void {
  const send = (reply: FastifyReply, response: ApiResponse) => reply.code(response.status).send(jsonSafe(response.body));

  app.get('/api/v1/zones', async (_request, reply) => send(reply, await handlers.zones(deps)));
  app.get<{ Querystring: Params }>('/api/v1/services', async (request, reply) => send(reply, await handlers.services(deps, request.query)));
  app.get<ServiceRoute>('/api/v1/services/:service', async (request, reply) =>
    send(reply, await handlers.overview(deps, request.params.service, request.query)));
  app.get<ServiceRoute>('/api/v1/services/:service/backtrace', async (request, reply) =>
    send(reply, await handlers.backtrace(deps, request.params.service, request.query)));
  app.get<ServiceRoute>('/api/v1/services/:service/backtrace/details', async (request, reply) =>
    send(reply, await handlers.backtraceDetails(deps, request.params.service, request.query)));
  app.get<ServiceRoute>('/api/v1/services/:service/flow', async (request, reply) =>
    send(reply, await handlers.flow(deps, request.params.service, request.query)));
  app.get<ServiceRoute>('/api/v1/services/:service/failures', async (request, reply) =>
    send(reply, await handlers.failures(deps, request.params.service, request.query)));
  app.get<{ Querystring: Params }>('/api/v1/traces', async (request, reply) => send(reply, await handlers.traces(deps, request.query)));
  app.get<{ Params: { traceId: string } }>('/api/v1/traces/:traceId', async (request, reply) =>
    send(reply, await handlers.trace(deps, request.params.traceId)));
}

/** JSON has no bigint: every bigint that reaches a response is sent as a decimal string. */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}
