/**
 * The oracle's one-hop view around the focal calls (DESIGN.md §3 "Service overview").
 */
import type { CallerKind } from '../../model/service.js';
import type { FocalFilter, HopCount, InstanceSummary, RequestSummary, ServiceNeighbourhood } from '../../storage/api/call-queries.js';
import type { CallNode, OracleTrace } from './call-tree.js';
import { compareInstanceKeys, compareText, focalCalls, instanceKeyText, percentileMs, type InstanceKey } from './focal.js';

/**
 * - `callers`: focal calls grouped by the service (kind, name) of their caller, the `unknown`
 *   caller included; `calls`/`failed` count focal calls.
 * - `startedHere`: focal calls with no caller at all (not orphans, which have the `unknown` one).
 * - `callees`: the calls the focal calls made directly (whenever those start), grouped by
 *   service; `calls`/`failed` count those calls.
 *   Both hop lists: most calls first, ties by kind, then name.
 * - `requests`: focal calls by request name with nearest-rank p50/p90/p99; most first, ties by name.
 * - `instances`: focal calls by instance and Kubernetes context, with p50; most requests first,
 *   ties by instance (nulls last), then cluster, node, namespace, pod, workload (nulls last).
 */
export function oracleServiceNeighbourhood(traces: readonly OracleTrace[], filter: FocalFilter): ServiceNeighbourhood {
  const focal = focalCalls(traces, filter);

  const callers = new HopTally();
  let startedHere = 0;
  const callees = new HopTally();
  for (const node of focal) {
    if (node.caller !== undefined) callers.add(node.caller.call.kind, node.caller.call.service, node.call.failed);
    else if (node.unknownCaller) callers.add('unknown', 'unknown', node.call.failed);
    else startedHere += 1;
    for (const child of node.children) callees.add(child.call.kind, child.call.service, child.call.failed);
  }

  return {
    callers: callers.list(),
    startedHere,
    callees: callees.list(),
    requests: requestSummaries(focal),
    instances: instanceSummaries(focal),
  };
}

class HopTally {
  private readonly hops = new Map<string, { kind: CallerKind; name: string; calls: number; failed: number }>();

  add(kind: CallerKind, name: string, failed: boolean): void {
    const key = `${kind}/${name}`;
    let hop = this.hops.get(key);
    if (hop === undefined) {
      hop = { kind, name, calls: 0, failed: 0 };
      this.hops.set(key, hop);
    }
    hop.calls += 1;
    if (failed) hop.failed += 1;
  }

  list(): HopCount[] {
    return [...this.hops.values()]
      .map((h) => ({ kind: h.kind, name: h.name, calls: h.calls, failed: h.failed }))
      .sort((a, b) => b.calls - a.calls || compareText(a.kind, b.kind) || compareText(a.name, b.name));
  }
}

function requestSummaries(focal: readonly CallNode[]): RequestSummary[] {
  const byName = new Map<string, CallNode[]>();
  for (const node of focal) {
    const list = byName.get(node.call.request);
    if (list === undefined) byName.set(node.call.request, [node]);
    else list.push(node);
  }
  return [...byName]
    .map(([name, nodes]) => {
      const durations = nodes.map((n) => n.call.durationNanos);
      return {
        name,
        requests: nodes.length,
        failed: nodes.filter((n) => n.call.failed).length,
        durationP50Ms: percentileMs(durations, 0.5),
        durationP90Ms: percentileMs(durations, 0.9),
        durationP99Ms: percentileMs(durations, 0.99),
      };
    })
    .sort((a, b) => b.requests - a.requests || compareText(a.name, b.name));
}

function instanceSummaries(focal: readonly CallNode[]): InstanceSummary[] {
  const groups = new Map<string, { key: InstanceKey; nodes: CallNode[] }>();
  for (const node of focal) {
    const key: InstanceKey = { instance: node.call.instance, k8s: node.call.k8s };
    const text = instanceKeyText(key);
    const group = groups.get(text);
    if (group === undefined) groups.set(text, { key, nodes: [node] });
    else group.nodes.push(node);
  }
  return [...groups.values()]
    .sort((a, b) => b.nodes.length - a.nodes.length || compareInstanceKeys(a.key, b.key))
    .map(({ key, nodes }) => ({
      instance: key.instance,
      k8s: key.k8s,
      requests: nodes.length,
      failed: nodes.filter((n) => n.call.failed).length,
      durationP50Ms: percentileMs(
        nodes.map((n) => n.call.durationNanos),
        0.5,
      ),
    }));
}
