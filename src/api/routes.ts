import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Admission } from '../app/access.js';
import { sendRefusal } from './errors.js';
import { handlers, type ApiResponse, type HandlerDeps } from './handlers.js';
import { withReadSignal } from './read-signal.js';
import type { Params } from './params.js';

/** One `/api/v1/...` route: a Fastify path and a transport-independent handler. */
export interface QueryRoute {
  /** Fastify syntax: `:service`, `:traceId` are path parameters. */
  readonly path: string;
  readonly run: (deps: HandlerDeps, path: Readonly<Record<string, string | undefined>>, query: Params) => Promise<ApiResponse>;
}

/**
 * Every query route (DESIGN.md §4), as data: `registerQueryRoutes` registers exactly these, and the
 * tenant-isolation tests walk this table, so a route added here is tested without being named.
 */
export const QUERY_ROUTES: readonly QueryRoute[] = [
  { path: '/api/v1/zones', run: (deps) => handlers.zones(deps) },
  { path: '/api/v1/services', run: (deps, _path, query) => handlers.services(deps, query) },
  { path: '/api/v1/services/:service', run: (deps, path, query) => handlers.overview(deps, path.service ?? '', query) },
  { path: '/api/v1/services/:service/backtrace', run: (deps, path, query) => handlers.backtrace(deps, path.service ?? '', query) },
  { path: '/api/v1/services/:service/backtrace/details', run: (deps, path, query) => handlers.backtraceDetails(deps, path.service ?? '', query) },
  { path: '/api/v1/services/:service/flow', run: (deps, path, query) => handlers.flow(deps, path.service ?? '', query) },
  { path: '/api/v1/services/:service/failures', run: (deps, path, query) => handlers.failures(deps, path.service ?? '', query) },
  { path: '/api/v1/traces', run: (deps, _path, query) => handlers.traces(deps, query) },
  { path: '/api/v1/traces/:traceId', run: (deps, path) => handlers.trace(deps, path.traceId ?? '') },
];

/**
 * The store and config a request reads: with multi-tenancy, its tenant's (X-Scope-OrgID), or
 * why the request is refused.
 */
export type DepsResolver = (request: FastifyRequest) => Promise<Admission<HandlerDeps>>;

/**
 * Registers `QUERY_ROUTES`. Each query runs at most `config.query.queryTimeoutMs`: past it the
 * answer is 503 `query_timed_out` and the store's reads for the request are aborted (DuckDB
 * interrupts the running statement, ClickHouse kills the query), so an abandoned query does not
 * keep a reader connection busy.
 */
export function registerQueryRoutes(app: FastifyInstance, deps: HandlerDeps | DepsResolver): void {
  const resolve: DepsResolver = typeof deps === 'function' ? deps : async () => ({ ok: true, value: deps });
  const send = (reply: FastifyReply, response: ApiResponse) => reply.code(response.status).send(jsonSafe(response.body));
  // Shutdown must not wait for slow queries (`app.close()` waits for requests in flight): their reads are aborted.
  const inFlight = new Set<AbortController>();
  app.addHook('preClose', (done) => {
    for (const reads of inFlight) reads.abort(new Error('the server is shutting down'));
    done();
  });

  for (const route of QUERY_ROUTES) {
    app.get<{ Params: Record<string, string>; Querystring: Params }>(route.path, async (request, reply) => {
      const resolved = await resolve(request);
      if (!resolved.ok) return sendRefusal(reply, resolved.refusal);
      const reads = new AbortController();
      const routeDeps: HandlerDeps = { ...resolved.value, storage: withReadSignal(resolved.value.storage, reads.signal) };
      const { queryTimeoutMs } = routeDeps.config.query;
      inFlight.add(reads);
      let response: ApiResponse;
      try {
        response = await withTimeout(() => route.run(routeDeps, request.params, request.query), queryTimeoutMs, () =>
          reads.abort(new Error(`query timed out after ${queryTimeoutMs} ms`)),
        );
      } catch (error: unknown) {
        if (!reads.signal.aborted) throw error;
        response = { status: 503, body: { error: { code: 'shutting_down', message: 'the server is shutting down; retry against another instance' } } };
      } finally {
        inFlight.delete(reads);
      }
      return send(reply, response);
    });
  }
}

/**
 * Races `run` against `timeoutMs`; the loser's outcome is dropped (never an unhandled rejection).
 * `onTimeout` runs when the timeout wins, to stop the abandoned work.
 */
export async function withTimeout(run: () => Promise<ApiResponse>, timeoutMs: number, onTimeout?: () => void): Promise<ApiResponse> {
  let timer: NodeJS.Timeout | undefined;
  const work = run();
  work.catch(() => undefined);
  const timeout = new Promise<ApiResponse>((resolve) => {
    timer = setTimeout(() => {
      resolve({ status: 503, body: { error: { code: 'query_timed_out', message: `query timed out after ${timeoutMs} ms (query.queryTimeoutMs)` } } });
      onTimeout?.();
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** JSON has no bigint: every bigint that reaches a response is sent as a decimal string. */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}
