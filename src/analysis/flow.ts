import type { ServiceKind } from '../model/service.js';
import type { FlowGroup, ServiceRef } from '../storage/api/call-queries.js';
import { compareText } from './backtrace.js';

export interface DurationSummary {
  readonly p50: number;
  readonly p90: number;
  readonly total: number;
}

/** One node of a service flow: a callee at one position below the focal service (DESIGN.md §3). */
export interface FlowNode {
  readonly kind: ServiceKind;
  readonly name: string;
  /** Calls that reached this node along this path. */
  readonly calls: number;
  /** Distinct focal calls that reached it ("% of requests calling"). */
  readonly requests: number;
  /** Of `calls`, how many failed. */
  readonly failed: number;
  readonly durationMs: DurationSummary;
  readonly children: readonly FlowNode[];
}

interface MutableFlowNode {
  kind: ServiceKind;
  name: string;
  group: FlowGroup | undefined;
  children: Map<string, MutableFlowNode>;
}

/**
 * Folds flow groups into the callee tree rooted at the focal service. The group with an empty
 * path is the focal calls themselves (the root). Children: most calls first, ties by kind, name.
 */
export function foldFlow(service: ServiceRef, groups: readonly FlowGroup[]): FlowNode {
  const root: MutableFlowNode = { kind: service.kind, name: service.name, group: undefined, children: new Map() };
  const ordered = [...groups].sort((a, b) => a.path.length - b.path.length);
  for (const group of ordered) {
    let node = root;
    for (const step of group.path) {
      const key = `${step.kind}\u0000${step.name}`;
      let child = node.children.get(key);
      if (child === undefined) node.children.set(key, (child = { kind: step.kind, name: step.name, group: undefined, children: new Map() }));
      node = child;
    }
    node.group = group;
  }
  return freeze(root);
}

function freeze(node: MutableFlowNode): FlowNode {
  const g = node.group;
  return {
    kind: node.kind,
    name: node.name,
    calls: g?.calls ?? 0,
    requests: g?.requests ?? 0,
    failed: g?.failed ?? 0,
    durationMs: { p50: g?.durationP50Ms ?? 0, p90: g?.durationP90Ms ?? 0, total: g?.durationTotalMs ?? 0 },
    children: [...node.children.values()]
      .map(freeze)
      .sort((a, b) => b.calls - a.calls || compareText(a.kind, b.kind) || compareText(a.name, b.name)),
  };
}

/** Nearest-rank percentile (`q` in (0, 1]) of unsorted values; 0 for none. The one definition every path uses. */
export function nearestRank(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}
