import type { SpanSemantics } from '../../model/semantics.js';
import type { SpanSkeleton } from '../../model/skeleton.js';

/**
 * Whether a span marks its service as a proxy (DESIGN.md §2 "Proxies"): Envoy's `upstream_cluster`
 * attribute (non-empty), or `component = proxy`.
 */
export function isProxySpan(span: SpanSkeleton): boolean {
  const semantics = span.semantics;
  if (semantics === undefined) return false;
  return (semantics.upstreamCluster !== undefined && semantics.upstreamCluster !== '') || semantics.component === 'proxy';
}

/**
 * The proxies an entry span's request headers name (DESIGN.md §2 "Proxies"), in the order the
 * request passed them, as the headers define them:
 * - `x-forwarded-for: client, proxy1, proxy2`: each proxy appends the address it received the
 *   request from, so the first entry is the original client, not a proxy; the rest are proxies.
 * - `via: 1.1 vegur, 1.0 fred (comment)` (RFC 9110 §7.6.3): each entry is `protocol received-by
 *   [comment]`; the proxy is `received-by` (`vegur`, `fred`).
 * Only the first value of each header is seen (the span semantics keep one).
 */
export function headerProxies(semantics: SpanSemantics | undefined): string[] {
  const out: string[] = [];
  if (semantics?.forwardedFor !== undefined) {
    const hops = splitList(semantics.forwardedFor);
    for (let i = 1; i < hops.length; i++) out.push(hops[i]!);
  }
  if (semantics?.via !== undefined) {
    for (const entry of splitList(semantics.via)) {
      const words = entry.split(/\s+/);
      const receivedBy = words.length > 1 ? words[1] : words[0];
      if (receivedBy !== undefined && receivedBy !== '') out.push(receivedBy);
    }
  }
  return out;
}

function splitList(header: string): string[] {
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/**
 * `base` followed by those of `more` it does not hold yet, keeping at most `max` (the latest);
 * `base` itself when nothing is added, so calls along one line share a list.
 */
export function appendDistinct(base: readonly string[], more: readonly string[], max: number): readonly string[] {
  let out: string[] | undefined;
  for (const name of more) {
    if ((out ?? base).includes(name)) continue;
    out ??= [...base];
    out.push(name);
  }
  if (out === undefined) return base;
  return out.length > max ? out.slice(out.length - max) : out;
}
