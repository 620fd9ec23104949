/**
 * `CallAnalytics` for the in-memory backend, computed the way a SQL fast path computes them: over
 * the flat list of each trace's stored calls, reading only each call's materialized `path` (no
 * tree, no walking). It is a second, differently built model next to the oracle (which walks a
 * call tree) and the DuckDB SQL (which matches chains by their end), so the differential tests
 * check three formulations against each other:
 * - X lies below F when F's call id is on X's path; X's position in F's flow is the part of X's
 *   path after F, plus X;
 * - F matches a chain when F or a call below it has `path + itself` containing the chain;
 * - backtrace groups: focal calls grouped by (path without call ids, request).
 */
import type { ServiceCall } from '../../model/call.js';
import type { KubernetesContext } from '../../model/service.js';
import { lineContainsChain } from '../../analysis/chain.js';
import type {
  BacktraceDetails,
  BacktraceGroup,
  FailureSummary,
  FlowGroup,
  FocalFilter,
  InstanceSummary,
  NodeRef,
  ServiceNeighbourhood,
  ServiceRef,
} from '../api/call-queries.js';
import {
  compareInstanceGroups,
  compareText,
  lineOf,
  percentileMs,
  positionBelow,
  ranked,
  startsIn,
  Tally,
  totalMs,
  type TraceCallList,
} from './analytics-support.js';

const NO_K8S: KubernetesContext = Object.freeze({ cluster: null, node: null, namespace: null, pod: null, workload: null });

/** The focal calls of `filter`, each with its trace. */
export function focalCalls(traces: Iterable<TraceCallList>, filter: FocalFilter): { call: ServiceCall; trace: TraceCallList }[] {
  const out: { call: ServiceCall; trace: TraceCallList }[] = [];
  const chain = filter.chain;
  for (const trace of traces) {
    for (const f of trace) {
      if (f.kind !== filter.service.kind || f.service !== filter.service.name) continue;
      if (filter.request !== undefined && f.request !== filter.request) continue;
      if (!startsIn(f, filter)) continue;
      if (chain !== undefined && !trace.some((x) => (x === f || positionBelow(x, f) >= 0) && lineContainsChain(lineOf(x), chain))) continue;
      out.push({ call: f, trace });
    }
  }
  return out;
}

export function backtraceGroups(traces: Iterable<TraceCallList>, filter: FocalFilter): BacktraceGroup[] {
  const groups = new Tally<[BacktraceGroup['path'], string], { calls: number; failed: number }>(() => ({ calls: 0, failed: 0 }));
  for (const { call } of focalCalls(traces, filter)) {
    const counts = groups.get([call.path.map((p) => ({ kind: p.kind, name: p.name, request: p.request })), call.request]);
    counts.calls += 1;
    if (call.failed) counts.failed += 1;
  }
  return groups.list().map(({ key: [path, request], value }) => ({ path, request, ...value }));
}

export function flowGroups(traces: Iterable<TraceCallList>, filter: FocalFilter): FlowGroup[] {
  const groups = new Tally<ServiceRef[], { durations: bigint[]; focal: Set<ServiceCall>; failed: number }>(() => ({ durations: [], focal: new Set(), failed: 0 }));
  const add = (path: ServiceRef[], x: ServiceCall, f: ServiceCall): void => {
    const group = groups.get(path);
    group.durations.push(x.durationNanos);
    group.focal.add(f);
    if (x.failed) group.failed += 1;
  };
  for (const { call: f, trace } of focalCalls(traces, filter)) {
    add([], f, f);
    for (const x of trace) {
      const at = positionBelow(x, f);
      if (at < 0) continue;
      const relative = x.path.slice(at + 1).map((p) => ({ kind: p.kind, name: p.name }) as ServiceRef);
      add([...relative, { kind: x.kind, name: x.service }], x, f);
    }
  }
  return groups.list().map(({ key: path, value: g }) => ({
    path,
    calls: g.durations.length,
    requests: g.focal.size,
    failed: g.failed,
    durationP50Ms: percentileMs(g.durations, 0.5),
    durationP90Ms: percentileMs(g.durations, 0.9),
    durationTotalMs: totalMs(g.durations),
  }));
}

/** The focal calls whose path ends with `nodePath` (kinds and names), see call-queries.ts. */
export function backtraceDetails(traces: Iterable<TraceCallList>, filter: FocalFilter, nodePath: readonly NodeRef[], exemplarLimit: number): BacktraceDetails {
  const m = nodePath.length;
  const under: { call: ServiceCall; node: ServiceCall | undefined }[] = [];
  for (const { call, trace } of focalCalls(traces, filter)) {
    const offset = call.path.length - m;
    if (offset < 0 || nodePath.some((n, i) => call.path[offset + i]!.kind !== n.kind || call.path[offset + i]!.name !== n.name)) continue;
    // The node's own call: the focal call for the root, else that path entry's call (none for `unknown`).
    const entry = m === 0 ? undefined : call.path[offset]!;
    const node = m === 0 ? call : entry!.kind === 'unknown' ? undefined : trace.find((c) => !c.synthetic && c.callId === entry!.callId);
    under.push({ call, node });
  }
  const calls = under.map((u) => u.call);

  const instances = new Tally<[string | null, KubernetesContext], { requests: number; failed: number }>(() => ({ requests: 0, failed: 0 }));
  for (const { call, node } of under) {
    const counts = instances.get(node === undefined ? [null, NO_K8S] : [node.instance, node.k8s]);
    counts.requests += 1;
    if (call.failed) counts.failed += 1;
  }

  const byTrace = new Map<string, { failed: boolean; newest: bigint }>();
  for (const call of calls) {
    const seen = byTrace.get(call.traceId) ?? { failed: false, newest: call.startTimeUnixNano };
    byTrace.set(call.traceId, { failed: seen.failed || call.failed, newest: call.startTimeUnixNano > seen.newest ? call.startTimeUnixNano : seen.newest });
  }
  const exemplars = [...byTrace]
    .sort(([idA, a], [idB, b]) => Number(b.failed) - Number(a.failed) || (a.newest === b.newest ? compareText(idA, idB) : a.newest > b.newest ? -1 : 1))
    .slice(0, Math.max(0, exemplarLimit))
    .map(([traceId]) => traceId);

  return {
    requests: calls.length,
    failed: calls.filter((c) => c.failed).length,
    failureReasons: reasonsOf(calls),
    stackTraces: stackTracesOf(calls),
    referringPages: ranked(calls.flatMap((c) => (c.referringPage === null ? [] : [c.referringPage]))).map(({ value, count }) => ({ page: value, count })),
    proxies: ranked(calls.flatMap((c) => [...new Set(c.proxies)])).map(({ value, count }) => ({ proxy: value, count })),
    instances: instances
      .list()
      .map(({ key: [instance, k8s], value }) => ({ instance, k8s: { ...k8s }, ...value }))
      .sort(compareInstanceGroups),
    exemplarTraceIds: exemplars,
  };
}

export function serviceNeighbourhood(traces: Iterable<TraceCallList>, filter: FocalFilter): ServiceNeighbourhood {
  const focal = focalCalls(traces, filter);
  const hop = () => new Tally<[string, string], { calls: number; failed: number }>(() => ({ calls: 0, failed: 0 }));
  const callers = hop();
  const callees = hop();
  let startedHere = 0;
  for (const { call: f, trace } of focal) {
    const link = f.path.at(-1);
    if (link === undefined) startedHere += 1;
    else count(callers.get([link.kind, link.name]), f.failed);
    if (f.synthetic) continue;
    for (const x of trace) {
      const last = x.path.at(-1);
      if (last !== undefined && last.kind !== 'unknown' && last.callId === f.callId) count(callees.get([x.kind, x.service]), x.failed);
    }
  }
  const hops = (tally: ReturnType<typeof hop>) =>
    tally
      .list()
      .map(({ key: [kind, name], value }) => ({ kind: kind as ServiceNeighbourhood['callers'][number]['kind'], name, ...value }))
      .sort((a, b) => b.calls - a.calls || compareText(a.kind, b.kind) || compareText(a.name, b.name));

  const requests = new Tally<string, ServiceCall[]>(() => []);
  const instances = new Tally<[string | null, KubernetesContext], ServiceCall[]>(() => []);
  for (const { call } of focal) {
    requests.get(call.request).push(call);
    instances.get([call.instance, call.k8s]).push(call);
  }
  return {
    callers: hops(callers),
    startedHere,
    callees: hops(callees),
    requests: requests
      .list()
      .map(({ key: name, value: calls }) => {
        const durations = calls.map((c) => c.durationNanos);
        return {
          name,
          requests: calls.length,
          failed: calls.filter((c) => c.failed).length,
          durationP50Ms: percentileMs(durations, 0.5),
          durationP90Ms: percentileMs(durations, 0.9),
          durationP99Ms: percentileMs(durations, 0.99),
        };
      })
      .sort((a, b) => b.requests - a.requests || compareText(a.name, b.name)),
    instances: instances
      .list()
      .map(({ key: [instance, k8s], value: calls }): InstanceSummary => ({
        instance,
        k8s: { ...k8s },
        requests: calls.length,
        failed: calls.filter((c) => c.failed).length,
        durationP50Ms: percentileMs(
          calls.map((c) => c.durationNanos),
          0.5,
        ),
      }))
      .sort(compareInstanceGroups),
  };
}

/** `bucketNanos` is checked by the caller (a positive whole number of milliseconds). */
export function failures(traces: Iterable<TraceCallList>, filter: FocalFilter, bucketNanos: bigint): FailureSummary {
  const calls = focalCalls(traces, filter).map((f) => f.call);
  const timeline: { startUnixNano: bigint; requests: number; failed: number }[] = [];
  for (let start = filter.fromUnixNano; start < filter.toUnixNano; start += bucketNanos) timeline.push({ startUnixNano: start, requests: 0, failed: 0 });
  for (const call of calls) {
    const bucket = timeline[Number((call.startTimeUnixNano - filter.fromUnixNano) / bucketNanos)]!;
    bucket.requests += 1;
    if (call.failed) bucket.failed += 1;
  }
  return { requests: calls.length, failed: calls.filter((c) => c.failed).length, reasons: reasonsOf(calls).map(({ reason, count }) => ({ reason, count })), stackTraces: stackTracesOf(calls), timeline };
}

function reasonsOf(calls: readonly ServiceCall[]): { reason: string; count: number }[] {
  return ranked(calls.flatMap((c) => (c.failed && c.failureReason !== null ? [c.failureReason] : []))).map(({ value, count }) => ({ reason: value, count }));
}

/** Every stack trace of every call, failed or not, each occurrence counted. */
function stackTracesOf(calls: readonly ServiceCall[]): { stackTrace: string; count: number }[] {
  return ranked(calls.flatMap((c) => c.stackTraces)).map(({ value, count }) => ({ stackTrace: value, count }));
}

function count(counts: { calls: number; failed: number }, failed: boolean): void {
  counts.calls += 1;
  if (failed) counts.failed += 1;
}
