/**
 * The oracle's service flow (DESIGN.md §3 "Service flow"): the tree of calls made transitively by
 * the focal calls, built node by node by walking each focal call's subtree.
 */
import type { ServiceKind } from '../../model/service.js';
import type { FocalFilter } from '../../storage/api/call-queries.js';
import type { FlowNode } from '../flow.js';
import { descendantsOf, type CallNode, type OracleTrace } from './call-tree.js';
import { compareText, focalCalls, percentileMs, totalMs } from './focal.js';

interface Node {
  readonly kind: ServiceKind;
  readonly name: string;
  /** Every call counted here; one call reaches one node per focal call above it. */
  readonly calls: CallNode[];
  /** The focal calls those calls were reached from. */
  readonly focal: Set<CallNode>;
  readonly children: Map<string, Node>;
}

/**
 * The root is the focal service: `calls` = `requests` = the focal calls, `failed` = the failed
 * ones, durations those of the focal calls. For each focal call F and each call D below F
 * (whatever D's start time), D counts at the node reached from the root by the services of the
 * calls from F's child down to D: `calls` +1, `failed` +1 when D failed, D's duration joins the
 * node's durations, and F joins the node's `requests`. A call under two focal calls (recursion:
 * A → B → A → C with focal A) counts once per focal call, at a different position each time.
 *
 * Durations: p50/p90 nearest-rank over the calls' durations in nanoseconds, reported as
 * `nanos / 1e6`; `total` is the exact integer sum of nanoseconds divided by 1e6 once. A node with
 * no focal calls reports 0 for all three. Children: most calls first, ties by kind, then name.
 */
export function oracleFlow(traces: readonly OracleTrace[], filter: FocalFilter): FlowNode {
  const root = newNode(filter.service.kind, filter.service.name);
  for (const focal of focalCalls(traces, filter)) {
    root.calls.push(focal);
    root.focal.add(focal);
    for (const { node: callNode, relativePath } of descendantsOf(focal)) {
      let node = root;
      for (const step of relativePath) {
        // Descendants are always real or synthetic calls, never the `unknown` caller.
        const kind = step.kind as ServiceKind;
        const key = `${kind}/${step.name}`;
        let child = node.children.get(key);
        if (child === undefined) {
          child = newNode(kind, step.name);
          node.children.set(key, child);
        }
        node = child;
      }
      node.calls.push(callNode);
      node.focal.add(focal);
    }
  }
  return toResult(root);
}

function newNode(kind: ServiceKind, name: string): Node {
  return { kind, name, calls: [], focal: new Set(), children: new Map() };
}

function toResult(node: Node): FlowNode {
  const durations = node.calls.map((c) => c.call.durationNanos);
  const children: FlowNode[] = [];
  for (const child of node.children.values()) children.push(toResult(child));
  children.sort((a, b) => b.calls - a.calls || compareText(a.kind, b.kind) || compareText(a.name, b.name));
  return {
    kind: node.kind,
    name: node.name,
    calls: node.calls.length,
    requests: node.focal.size,
    failed: node.calls.filter((c) => c.call.failed).length,
    durationMs: { p50: percentileMs(durations, 0.5), p90: percentileMs(durations, 0.9), total: totalMs(durations) },
    children,
  };
}
