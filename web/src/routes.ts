/**
 * The UI's deep links (DESIGN.md §4): `/services`, `/services/{service}`,
 * `/services/{service}/backtrace`, `/services/{service}/flow`, `/traces`, `/traces/{traceId}`,
 * with the API's query parameters (`from`, `to`, `kind`, `request`, `chain`, `zone`, …).
 */
export type ServiceView = 'overview' | 'backtrace' | 'flow';

export type Route =
  | { readonly page: 'services' }
  | { readonly page: 'service'; readonly service: string; readonly view: ServiceView }
  | { readonly page: 'traces' }
  | { readonly page: 'trace'; readonly traceId: string }
  | { readonly page: 'not-found' };

export function parseRoute(pathname: string): Route {
  let segments: string[];
  try {
    segments = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    return { page: 'not-found' };
  }
  const [first, second, third, ...rest] = segments;
  if (rest.length > 0) return { page: 'not-found' };
  if (first === undefined) return { page: 'services' };
  if (first === 'services') {
    if (second === undefined) return { page: 'services' };
    if (third === undefined) return { page: 'service', service: second, view: 'overview' };
    if (third === 'backtrace' || third === 'flow') return { page: 'service', service: second, view: third };
    return { page: 'not-found' };
  }
  if (first === 'traces' && third === undefined) return second === undefined ? { page: 'traces' } : { page: 'trace', traceId: second };
  return { page: 'not-found' };
}

/** Parameters every page keeps when the user moves on: the timeframe and the zone. */
export const GLOBAL_PARAMS = ['from', 'to', 'zone'] as const;
/** Parameters that narrow one service's views and travel between overview, backtrace, flow and traces. */
export const SERVICE_PARAMS = ['kind', 'request', 'chain'] as const;

export type ParamChanges = Readonly<Record<string, string | undefined>>;

/**
 * A link to `path` that keeps the global parameters of `current` (and those named in `keep`),
 * then applies `set` (undefined removes a parameter).
 */
export function buildHref(path: string, current: URLSearchParams, options: { readonly keep?: readonly string[]; readonly set?: ParamChanges } = {}): string {
  const next = new URLSearchParams();
  for (const name of [...GLOBAL_PARAMS, ...(options.keep ?? [])]) {
    const value = current.get(name);
    if (value !== null) next.set(name, value);
  }
  for (const [name, value] of Object.entries(options.set ?? {})) {
    if (value === undefined) next.delete(name);
    else next.set(name, value);
  }
  const query = next.toString();
  return query === '' ? path : `${path}?${query}`;
}

/** The same page with some parameters changed and every other one kept. */
export function withParams(location: { readonly pathname: string; readonly params: URLSearchParams }, set: ParamChanges): string {
  return buildHref(location.pathname, location.params, { keep: [...location.params.keys()], set });
}

export function servicePath(service: string, view: ServiceView = 'overview'): string {
  const base = `/services/${encodeURIComponent(service)}`;
  return view === 'overview' ? base : `${base}/${view}`;
}

export function tracePath(traceId: string): string {
  return `/traces/${encodeURIComponent(traceId)}`;
}
