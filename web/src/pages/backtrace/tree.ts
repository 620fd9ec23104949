import type { BacktraceNode } from '../../types.js';
import { chainText, type NodeStep } from './chain.js';

/**
 * A backtrace node with what the UI needs to address it: `path` are the services from this node
 * down to the focal service's caller (the details query), `chain` the same plus the focal service
 * (the "filter by this chain" action). Null texts: a name the chain syntax cannot express.
 */
export interface PlacedNode {
  readonly node: BacktraceNode;
  readonly depth: number;
  readonly steps: readonly NodeStep[];
  readonly pathText: string | null;
  readonly chain: string | null;
}

export function placeNode(node: BacktraceNode, below: readonly NodeStep[], focal: NodeStep, depth: number): PlacedNode {
  const steps = depth === 0 ? [] : [{ kind: node.kind, name: node.name }, ...below];
  return {
    node,
    depth,
    steps,
    pathText: chainText(steps),
    chain: depth === 0 ? null : chainText([...steps, focal]),
  };
}

/** Every node of the tree, root first, depth-first. */
export function placeAll(root: BacktraceNode): PlacedNode[] {
  const focal: NodeStep = { kind: root.kind, name: root.name };
  const out: PlacedNode[] = [];
  const visit = (node: BacktraceNode, below: readonly NodeStep[], depth: number) => {
    const placed = placeNode(node, below, focal, depth);
    out.push(placed);
    for (const caller of node.callers) visit(caller, placed.steps, depth + 1);
  };
  visit(root, [], 0);
  return out;
}

/** Focal calls that started at this node rather than at one of its callers. */
export function startedHere(node: BacktraceNode): number {
  return node.requests - node.callers.reduce((sum, c) => sum + c.requests, 0);
}

/** Whether `steps` (a node's path) lead to the node of `selected`, which lies further up. */
export function isAbove(selected: readonly NodeStep[] | null, steps: readonly NodeStep[]): boolean {
  if (selected === null || selected.length <= steps.length) return false;
  const offset = selected.length - steps.length;
  return steps.every((s, i) => selected[offset + i]!.kind === s.kind && selected[offset + i]!.name === s.name);
}
