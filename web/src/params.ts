import type { Location } from './router.js';
import type { ServiceKind } from './types.js';

const KINDS: readonly string[] = ['service', 'database', 'messaging', 'external', 'application'];

/** The query parameters a service view passes to the API, read from the page's URL. */
export interface ServiceParams {
  readonly from: string | null;
  readonly to: string | null;
  readonly kind: ServiceKind | null;
  readonly request: string | null;
  readonly chain: string | null;
}

export function serviceParams(location: Location): ServiceParams {
  const p = location.params;
  const kind = p.get('kind');
  return {
    from: p.get('from'),
    to: p.get('to'),
    kind: kind !== null && KINDS.includes(kind) ? (kind as ServiceKind) : null,
    request: p.get('request'),
    chain: p.get('chain'),
  };
}

/** The parameters as an API query (absent ones left out by `apiUrl`). */
export function apiParams(params: ServiceParams): Record<string, string | null> {
  return { from: params.from, to: params.to, kind: params.kind, request: params.request, chain: params.chain };
}

export function windowParams(location: Location): Record<string, string | null> {
  return { from: location.params.get('from'), to: location.params.get('to') };
}
