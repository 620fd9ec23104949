import type { ZipkinAnnotation, ZipkinEndpoint, ZipkinFragment } from './zipkin-parse.js';

/** A Zipkin span after its fragments were merged. Same fields as a fragment; `index` is the first fragment's. */
export type ZipkinSpan = ZipkinFragment;

const isCallee = (f: ZipkinFragment): boolean =>
  f.kind === 'SERVER' || f.kind === 'CONSUMER' || (f.kind === undefined && f.shared);
const isCaller = (f: ZipkinFragment): boolean => f.kind === 'CLIENT' || f.kind === 'PRODUCER';

/**
 * Merges fragments that Zipkin would show as one span: same trace id, span id and
 * `localEndpoint.serviceName` (DESIGN.md §4). The merged span has the earliest timestamp, the
 * longest duration, the first kind, name, parent and endpoint fields that are set, the union of
 * annotations (deduplicated, by time) and of tags (the first fragment's value wins on a conflict).
 *
 * One exception keeps two sides of one id apart: when a service reported both a CLIENT/PRODUCER
 * and a SERVER/CONSUMER fragment under one id (it called itself over the network with a B3 shared
 * id), those are two spans; kind-less fragments join the client side unless flagged `shared`.
 * Zipkin keeps them apart too (it merges only fragments with the same `shared` flag).
 *
 * Unlike Zipkin, fragments of one service on different IP addresses are merged: DESIGN.md keys a
 * span by service, and the UI and analyses have no use for two copies of one span.
 *
 * Returns spans ordered by their first fragment's position in the input.
 */
export function mergeZipkinFragments(fragments: readonly ZipkinFragment[]): ZipkinSpan[] {
  const groups = new Map<string, ZipkinFragment[]>();
  for (const f of fragments) {
    const key = `${f.traceId}/${f.id}/${f.localEndpoint?.serviceName ?? ''}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [f]);
    else group.push(f);
  }
  const merged: ZipkinSpan[] = [];
  for (const group of groups.values()) {
    if (group.length === 1) {
      merged.push(group[0]!);
    } else if (group.some(isCaller) && group.some(isCallee)) {
      merged.push(mergeGroup(group.filter((f) => !isCallee(f))));
      merged.push(mergeGroup(group.filter(isCallee)));
    } else {
      merged.push(mergeGroup(group));
    }
  }
  return merged.sort((a, b) => a.index - b.index);
}

function first<T>(group: readonly ZipkinFragment[], pick: (f: ZipkinFragment) => T | undefined): T | undefined {
  for (const f of group) {
    const value = pick(f);
    if (value !== undefined) return value;
  }
  return undefined;
}

function mergeEndpoints(endpoints: readonly (ZipkinEndpoint | undefined)[]): ZipkinEndpoint | undefined {
  const present = endpoints.filter((e): e is ZipkinEndpoint => e !== undefined);
  if (present.length === 0) return undefined;
  const firstOf = <K extends keyof ZipkinEndpoint>(key: K): ZipkinEndpoint[K] =>
    present.find((e) => e[key] !== undefined)?.[key];
  return { serviceName: firstOf('serviceName'), ipv4: firstOf('ipv4'), ipv6: firstOf('ipv6'), port: firstOf('port') };
}

function mergeGroup(group: readonly ZipkinFragment[]): ZipkinSpan {
  const head = group[0]!;
  if (group.length === 1) return head;
  // Loops, not Math.min(...): a hostile file may repeat one span id a million times.
  let timestampMicros: number | undefined;
  let durationMicros: number | undefined;
  for (const f of group) {
    if (f.timestampMicros !== undefined && (timestampMicros === undefined || f.timestampMicros < timestampMicros)) timestampMicros = f.timestampMicros;
    if (f.durationMicros !== undefined && (durationMicros === undefined || f.durationMicros > durationMicros)) durationMicros = f.durationMicros;
  }

  const seen = new Set<string>();
  const annotations: ZipkinAnnotation[] = [];
  for (const f of group) {
    for (const a of f.annotations) {
      const key = `${a.timestampMicros}\u0000${a.value}`;
      if (seen.has(key)) continue;
      seen.add(key);
      annotations.push(a);
    }
  }
  annotations.sort((a, b) => a.timestampMicros - b.timestampMicros);

  const tags = new Map<string, string>();
  for (const f of group) for (const [k, v] of f.tags) if (!tags.has(k)) tags.set(k, v);

  return {
    index: head.index,
    traceId: head.traceId,
    id: head.id,
    parentId: first(group, (f) => (f.parentId === '' ? undefined : f.parentId)) ?? '',
    kind: first(group, (f) => f.kind),
    name: first(group, (f) => (f.name === '' ? undefined : f.name)) ?? '',
    timestampMicros,
    durationMicros,
    localEndpoint: mergeEndpoints(group.map((f) => f.localEndpoint)),
    remoteEndpoint: mergeEndpoints(group.map((f) => f.remoteEndpoint)),
    annotations,
    tags,
    debug: group.some((f) => f.debug),
    shared: group.some((f) => f.shared),
  };
}
