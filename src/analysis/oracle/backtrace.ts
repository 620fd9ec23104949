/**
 * The oracle's backtrace (DESIGN.md §3 "Backtrace"): the caller tree of the focal calls, built
 * node by node by walking each focal call's callers upward.
 */
import type { CallerKind } from '../../model/service.js';
import type { FocalFilter } from '../../storage/api/call-queries.js';
import type { BacktraceNode, RequestCount } from '../backtrace.js';
import { ancestorsOf, type OracleTrace } from './call-tree.js';
import { compareText, focalCalls } from './focal.js';

interface Counts {
  requests: number;
  failed: number;
}

interface Node {
  readonly kind: CallerKind;
  readonly name: string;
  readonly counts: Counts;
  readonly calls: Map<string, Counts>;
  /** Undefined on the root, which sends to no next node. */
  readonly sentToNext: Map<string, Counts> | undefined;
  /** Keyed by kind and name: one child per caller service at this position. */
  readonly callers: Map<string, Node>;
}

/**
 * For each focal call F (failed = F failed): the root (F's service) counts F under F's request
 * name; then, walking F's callers from the nearest up to the top, the node for that caller at that
 * position counts F under the caller's own request name (`calls`) and under the request name of
 * the call one step nearer to F (`sentToNext`). Above an orphan the walk ends at the `unknown`
 * node, whose single request name is '' (the `unknown` caller has no request), as the
 * materialized path's `unknown` entry folds. Lists: most requests first, ties by name; callers:
 * most requests first, ties by kind, then name.
 */
export function oracleBacktrace(traces: readonly OracleTrace[], filter: FocalFilter): BacktraceNode {
  const root = newNode(filter.service.kind, filter.service.name, false);
  for (const focal of focalCalls(traces, filter)) {
    const failed = focal.call.failed;
    count(root, focal.call.request, undefined, failed);
    const above = ancestorsOf(focal);
    let node = root;
    let requestBelow = focal.call.request;
    for (let i = above.length - 1; i >= 0; i--) {
      const step = above[i]!;
      const key = `${step.kind}/${step.name}`;
      let caller = node.callers.get(key);
      if (caller === undefined) {
        caller = newNode(step.kind, step.name, true);
        node.callers.set(key, caller);
      }
      count(caller, step.request, requestBelow, failed);
      requestBelow = step.request;
      node = caller;
    }
  }
  return toResult(root);
}

function newNode(kind: CallerKind, name: string, sends: boolean): Node {
  return { kind, name, counts: { requests: 0, failed: 0 }, calls: new Map(), sentToNext: sends ? new Map() : undefined, callers: new Map() };
}

function count(node: Node, request: string, sentToNext: string | undefined, failed: boolean): void {
  increment(node.counts, failed);
  increment(entry(node.calls, request), failed);
  if (node.sentToNext !== undefined && sentToNext !== undefined) increment(entry(node.sentToNext, sentToNext), failed);
}

function entry(map: Map<string, Counts>, name: string): Counts {
  let counts = map.get(name);
  if (counts === undefined) {
    counts = { requests: 0, failed: 0 };
    map.set(name, counts);
  }
  return counts;
}

function increment(counts: Counts, failed: boolean): void {
  counts.requests += 1;
  if (failed) counts.failed += 1;
}

function requestList(map: Map<string, Counts>): RequestCount[] {
  const list: RequestCount[] = [];
  for (const [name, counts] of map) list.push({ name, requests: counts.requests, failed: counts.failed });
  return list.sort((a, b) => b.requests - a.requests || compareText(a.name, b.name));
}

function toResult(node: Node): BacktraceNode {
  const callers: BacktraceNode[] = [];
  for (const caller of node.callers.values()) callers.push(toResult(caller));
  callers.sort((a, b) => b.requests - a.requests || compareText(a.kind, b.kind) || compareText(a.name, b.name));
  return {
    kind: node.kind,
    name: node.name,
    requests: node.counts.requests,
    failed: node.counts.failed,
    calls: requestList(node.calls),
    ...(node.sentToNext === undefined ? {} : { sentToNext: requestList(node.sentToNext) }),
    callers,
  };
}
