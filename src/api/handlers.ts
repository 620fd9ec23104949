import type { TributaryConfig } from '../config/config.js';
import * as analyses from '../query/analyses.js';
import { getTraceJson } from '../query/trace.js';
import { msToUnixNano } from '../query/time.js';
import { zoneFilter } from '../query/zones.js';
import type { Storage } from '../storage/api/storage.js';
import type { ZoneFilter } from '../storage/api/call-queries.js';
import { ParamError, booleanParam, chainParam, kindParam, numberParam, optionalText, windowParam, type Params } from './params.js';

/** A transport-independent answer: the REST routes send it, the CLI prints it. */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface HandlerDeps {
  readonly storage: Storage;
  readonly config: TributaryConfig;
  readonly now?: () => number;
}

export const MAX_TRACES_LIMIT = 1_000;
export const DEFAULT_TRACES_LIMIT = 50;

function error(status: number, code: string, message: string): ApiResponse {
  return { status, body: { error: { code, message } } };
}

function ok(body: unknown): ApiResponse {
  return { status: 200, body };
}

/** Runs `handler`, mapping bad parameters to 400 and not-found results to 404. */
async function guarded(run: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof ParamError) return error(400, 'invalid_parameter', e.message);
    throw e;
  }
}

function fromResult<T>(result: analyses.QueryResult<T>): ApiResponse {
  return result.ok ? ok(result.value) : error(result.status, result.code, result.message);
}

async function zoneParam(deps: HandlerDeps, params: Params): Promise<{ name: string; filter: ZoneFilter } | undefined> {
  const name = optionalText(params, 'zone');
  if (name === undefined) return undefined;
  const zone = deps.config.zones.find((z) => z.name === name);
  if (!zone) {
    const known = deps.config.zones.map((z) => z.name);
    throw new ParamError('zone', `unknown zone ${JSON.stringify(name)}${known.length ? ` (configured: ${known.join(', ')})` : ' (no zones are configured)'}`);
  }
  return { name, filter: await zoneFilter(deps.storage, zone) };
}

function serviceQuery(deps: HandlerDeps, service: string, params: Params): analyses.ServiceQuery {
  const kind = kindParam(params);
  const request = optionalText(params, 'request');
  const chain = chainParam(params);
  return {
    name: service,
    window: windowParam(params, (deps.now ?? Date.now)(), deps.config.query.maxQueryRangeHours),
    ...(kind !== undefined ? { kind } : {}),
    ...(request !== undefined ? { request } : {}),
    ...(chain !== undefined ? { chain } : {}),
  };
}

export const handlers = {
  /** The zones configured in the config file (for the UI's zone picker). */
  zones: async (deps: HandlerDeps): Promise<ApiResponse> =>
    ok({ zones: deps.config.zones.map((zone) => ({ name: zone.name, match: zone.match, rules: zone.rules })) }),

  services: (deps: HandlerDeps, params: Params) =>
    guarded(async () => {
      const window = windowParam(params, (deps.now ?? Date.now)(), deps.config.query.maxQueryRangeHours);
      return ok(await analyses.services(deps.storage, window, await zoneParam(deps, params)));
    }),

  overview: (deps: HandlerDeps, service: string, params: Params) =>
    guarded(async () => fromResult(await analyses.serviceOverview(deps.storage, serviceQuery(deps, service, params)))),

  backtrace: (deps: HandlerDeps, service: string, params: Params) =>
    guarded(async () => fromResult(await analyses.backtrace(deps.storage, serviceQuery(deps, service, params)))),

  backtraceDetails: (deps: HandlerDeps, service: string, params: Params) =>
    guarded(async () => {
      const query = serviceQuery(deps, service, params);
      const path = chainParam(params, 'path') ?? [];
      const limit = numberParam(params, 'limit', { min: 1, max: 100, integer: true }) ?? 20;
      return fromResult(await analyses.backtraceDetails(deps.storage, query, path, limit));
    }),

  flow: (deps: HandlerDeps, service: string, params: Params) =>
    guarded(async () => fromResult(await analyses.flow(deps.storage, serviceQuery(deps, service, params)))),

  failures: (deps: HandlerDeps, service: string, params: Params) =>
    guarded(async () => fromResult(await analyses.failures(deps.storage, serviceQuery(deps, service, params)))),

  traces: (deps: HandlerDeps, params: Params) =>
    guarded(async () => {
      const window = windowParam(params, (deps.now ?? Date.now)(), deps.config.query.maxQueryRangeHours);
      const serviceName = optionalText(params, 'service');
      const kind = kindParam(params);
      const request = optionalText(params, 'request');
      const chain = chainParam(params);
      if (serviceName === undefined && (request !== undefined || kind !== undefined)) {
        throw new ParamError(request !== undefined ? 'request' : 'kind', 'needs the service parameter');
      }
      let service;
      if (serviceName !== undefined) {
        const resolved = await analyses.resolveService(deps.storage, serviceName, kind);
        if (!resolved.ok) return fromResult(resolved);
        service = resolved.value;
      }
      const failedOnly = booleanParam(params, 'failed');
      const minDurationMs = numberParam(params, 'minDurationMs', { min: 0 });
      const maxDurationMs = numberParam(params, 'maxDurationMs', { min: 0 });
      const zone = await zoneParam(deps, params);
      const limit = numberParam(params, 'limit', { min: 1, max: MAX_TRACES_LIMIT, integer: true }) ?? DEFAULT_TRACES_LIMIT;
      const rows = await deps.storage.findTraces({
        fromUnixNano: msToUnixNano(window.fromMs),
        toUnixNano: msToUnixNano(window.toMs),
        limit,
        ...(service ? { service } : {}),
        ...(request !== undefined ? { request } : {}),
        ...(chain ? { chain } : {}),
        ...(failedOnly !== undefined ? { failedOnly } : {}),
        ...(minDurationMs !== undefined ? { minDurationMs } : {}),
        ...(maxDurationMs !== undefined ? { maxDurationMs } : {}),
        ...(zone ? { zone: zone.filter } : {}),
      });
      return ok(analyses.traceListJson(window, rows));
    }),

  trace: (deps: HandlerDeps, traceId: string) =>
    guarded(async () => {
      const result = await getTraceJson(deps.storage, traceId);
      if (result.found) return ok(result.trace);
      return result.reason === 'invalid-id'
        ? error(400, 'invalid_parameter', `traceId: expected 1 to 32 hex digits, got ${JSON.stringify(traceId)}`)
        : error(404, 'not_found', `trace ${traceId} not found`);
    }),
};
