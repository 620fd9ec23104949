/**
 * `backtraceGroups` and `flowGroups` computed the way a SQL fast path computes them: over a flat
 * list of stored calls, reading only each call's materialized `path` (no tree, no walking). It
 * is a second, differently-built model the oracle is checked against before any SQL exists, and a
 * readable statement of what the SQL has to do:
 * - F's descendants are the calls X of F's trace with `X.path[depth(F)].callId = F.callId`;
 * - F matches a chain when F or one of those X has `path(X) + X` containing the chain;
 * - backtrace groups: focal calls grouped by (path without call ids, request);
 * - flow groups: (F, X) pairs grouped by `X.path[depth(F)+1:] + X` as (kind, name).
 */
import type { ServiceCall } from '../../src/model/call.js';
import { lineContainsChain } from '../../src/analysis/chain.js';
import type { BacktraceGroup, FlowGroup, FocalFilter, ServiceRef } from '../../src/storage/api/call-queries.js';

function isBelow(x: ServiceCall, f: ServiceCall): boolean {
  const entry = x.path[f.path.length];
  return !f.synthetic && entry !== undefined && entry.kind !== 'unknown' && entry.callId === f.callId;
}

function focal(calls: readonly ServiceCall[], filter: FocalFilter): ServiceCall[] {
  return calls.filter((f) => {
    if (f.kind !== filter.service.kind || f.service !== filter.service.name) return false;
    if (filter.request !== undefined && f.request !== filter.request) return false;
    if (f.startTimeUnixNano < filter.fromUnixNano || f.startTimeUnixNano >= filter.toUnixNano) return false;
    const chain = filter.chain;
    if (chain === undefined) return true;
    return calls.some(
      (x) => x.traceId === f.traceId && (x === f || isBelow(x, f)) && lineContainsChain([...x.path, { kind: x.kind, name: x.service, request: x.request }], chain),
    );
  });
}

export function flatBacktraceGroups(calls: readonly ServiceCall[], filter: FocalFilter): BacktraceGroup[] {
  const groups = new Map<string, { path: BacktraceGroup['path']; request: string; calls: number; failed: number }>();
  for (const f of focal(calls, filter)) {
    const path = f.path.map((p) => ({ kind: p.kind, name: p.name, request: p.request }));
    const key = JSON.stringify([path, f.request]);
    const group = groups.get(key) ?? { path, request: f.request, calls: 0, failed: 0 };
    group.calls += 1;
    if (f.failed) group.failed += 1;
    groups.set(key, group);
  }
  return [...groups.values()];
}

export function flatFlowGroups(calls: readonly ServiceCall[], filter: FocalFilter): FlowGroup[] {
  const groups = new Map<string, { path: ServiceRef[]; durations: bigint[]; focal: Set<ServiceCall>; failed: number }>();
  const add = (path: ServiceRef[], x: ServiceCall, f: ServiceCall): void => {
    const key = JSON.stringify(path);
    const group = groups.get(key) ?? { path, durations: [], focal: new Set(), failed: 0 };
    group.durations.push(x.durationNanos);
    group.focal.add(f);
    if (x.failed) group.failed += 1;
    groups.set(key, group);
  };
  for (const f of focal(calls, filter)) {
    add([], f, f);
    for (const x of calls) {
      if (x.traceId !== f.traceId || !isBelow(x, f)) continue;
      const relative = x.path.slice(f.path.length + 1).map((p) => ({ kind: p.kind, name: p.name }) as ServiceRef);
      add([...relative, { kind: x.kind, name: x.service }], x, f);
    }
  }
  return [...groups.values()].map((g) => {
    const sorted = [...g.durations].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const rank = (q: number): number => Number(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!) / 1e6;
    return {
      path: g.path,
      calls: g.durations.length,
      requests: g.focal.size,
      failed: g.failed,
      durationP50Ms: rank(0.5),
      durationP90Ms: rank(0.9),
      durationTotalMs: Number(g.durations.reduce((a, b) => a + b, 0n)) / 1e6,
    };
  });
}
