/**
 * The oracle's backtrace node details (DESIGN.md §3: "per node, a details query returns failure
 * reasons, stack traces, referring pages, proxies, instances and exemplar trace ids, for exactly
 * the focal calls under that node").
 */
import type { BacktraceDetails, FocalFilter, InstanceGroup, NodeRef } from '../../storage/api/call-queries.js';
import { ancestorsOf, type CallNode, type LineStep, type OracleTrace } from './call-tree.js';
import { compareInstanceKeys, compareText, focalCalls, instanceKeyText, NO_K8S, rankedCounts, type InstanceKey } from './focal.js';

/**
 * The focal calls under the node at `nodePath` are those whose callers, read root first, end with
 * `nodePath` (kinds and names); an empty `nodePath` is the root, all focal calls. Kinds compare as
 * text, so the `unknown` node answers to kind `unknown` should a caller pass it.
 *
 * - `failureReasons`: the reasons of the failed ones, most first, ties by reason.
 * - `stackTraces`: every stack trace of every one of them, failed or not (a handled exception is
 *   still worth seeing), each occurrence counted: a call that recorded the same stack twice
 *   counts 2. Most first, ties by text.
 * - `referringPages`: their non-null referring pages; `proxies`: every proxy each passed (a call
 *   counts once per proxy it names). Most first, ties by text.
 * - `instances`: grouped by the instance and Kubernetes context of the node's own call on each
 *   focal call's line (for the root: the focal call itself; for the `unknown` node, which has no
 *   call: instance null, every Kubernetes field null). `requests`/`failed` count focal calls.
 *   Most requests first, ties by instance (nulls last), then cluster, node, namespace, pod,
 *   workload (each nulls last).
 * - `exemplarTraceIds`: the distinct traces of those focal calls, those with a failed one first,
 *   then by the newest start of any of its focal calls there (newest first), then trace id; the
 *   first `exemplarLimit` of them.
 */
export function oracleBacktraceDetails(
  traces: readonly OracleTrace[],
  filter: FocalFilter,
  nodePath: readonly NodeRef[],
  exemplarLimit: number,
): BacktraceDetails {
  const under: { focal: CallNode; nodeCall: CallNode | undefined }[] = [];
  for (const focal of focalCalls(traces, filter)) {
    const above = ancestorsOf(focal);
    if (!endsWith(above, nodePath)) continue;
    const nodeCall = nodePath.length === 0 ? focal : above[above.length - nodePath.length]!.node;
    under.push({ focal, nodeCall });
  }
  const calls = under.map((u) => u.focal.call);

  return {
    requests: calls.length,
    failed: calls.filter((c) => c.failed).length,
    failureReasons: rankedCounts(calls.flatMap((c) => (c.failed && c.failureReason !== null ? [c.failureReason] : []))).map(([reason, count]) => ({ reason, count })),
    stackTraces: rankedCounts(calls.flatMap((c) => c.stackTraces)).map(([stackTrace, count]) => ({ stackTrace, count })),
    referringPages: rankedCounts(calls.flatMap((c) => (c.referringPage !== null ? [c.referringPage] : []))).map(([page, count]) => ({ page, count })),
    proxies: rankedCounts(calls.flatMap((c) => [...new Set(c.proxies)])).map(([proxy, count]) => ({ proxy, count })),
    instances: instanceGroups(under),
    exemplarTraceIds: exemplars(calls, exemplarLimit),
  };
}

function endsWith(above: readonly LineStep[], nodePath: readonly NodeRef[]): boolean {
  if (above.length < nodePath.length) return false;
  const offset = above.length - nodePath.length;
  for (let i = 0; i < nodePath.length; i++) {
    const step = above[offset + i]!;
    const want = nodePath[i]!;
    if (step.kind !== want.kind || step.name !== want.name) return false;
  }
  return true;
}

function instanceGroups(under: readonly { focal: CallNode; nodeCall: CallNode | undefined }[]): InstanceGroup[] {
  const groups = new Map<string, { key: InstanceKey; requests: number; failed: number }>();
  for (const { focal, nodeCall } of under) {
    const key: InstanceKey = nodeCall === undefined ? { instance: null, k8s: NO_K8S } : { instance: nodeCall.call.instance, k8s: nodeCall.call.k8s };
    const text = instanceKeyText(key);
    let group = groups.get(text);
    if (group === undefined) {
      group = { key, requests: 0, failed: 0 };
      groups.set(text, group);
    }
    group.requests += 1;
    if (focal.call.failed) group.failed += 1;
  }
  return [...groups.values()]
    .sort((a, b) => b.requests - a.requests || compareInstanceKeys(a.key, b.key))
    .map((g) => ({ instance: g.key.instance, k8s: g.key.k8s, requests: g.requests, failed: g.failed }));
}

function exemplars(calls: readonly CallNode['call'][], limit: number): string[] {
  const byTrace = new Map<string, { failed: boolean; newest: bigint }>();
  for (const call of calls) {
    const seen = byTrace.get(call.traceId);
    if (seen === undefined) {
      byTrace.set(call.traceId, { failed: call.failed, newest: call.startTimeUnixNano });
    } else {
      if (call.failed) seen.failed = true;
      if (call.startTimeUnixNano > seen.newest) seen.newest = call.startTimeUnixNano;
    }
  }
  return [...byTrace]
    .sort(([idA, a], [idB, b]) => Number(b.failed) - Number(a.failed) || (a.newest === b.newest ? compareText(idA, idB) : a.newest > b.newest ? -1 : 1))
    .slice(0, Math.max(0, limit))
    .map(([traceId]) => traceId);
}
