import dagre from '@dagrejs/dagre';
import type { FlowNode } from '../../types.js';

export const NODE_WIDTH = 236;
export const NODE_HEIGHT = 88;

/** A flow node at its place: `id` is its position in the tree (`0`, `0.2`, `0.2.1`), stable for a given answer. */
export interface PlacedFlowNode {
  readonly id: string;
  readonly node: FlowNode;
  readonly depth: number;
  /** The nodes from the focal service down to this one, both included. */
  readonly line: readonly FlowNode[];
  /** Whether its children are laid out (false for leaves too). */
  readonly expanded: boolean;
  /** Centre of the node box. */
  readonly x: number;
  readonly y: number;
}

export interface FlowEdge {
  readonly from: PlacedFlowNode;
  readonly to: PlacedFlowNode;
}

export interface FlowLayout {
  readonly nodes: readonly PlacedFlowNode[];
  readonly edges: readonly FlowEdge[];
  readonly width: number;
  readonly height: number;
}

/** Finds a node by position id in the whole tree (shown or not). */
export function flowNodeAt(root: FlowNode, id: string): { node: FlowNode; line: FlowNode[] } | undefined {
  const parts = id.split('.').map(Number);
  if (parts[0] !== 0) return undefined;
  let node = root;
  const line = [root];
  for (const index of parts.slice(1)) {
    const child = node.children[index];
    if (child === undefined) return undefined;
    node = child;
    line.push(child);
  }
  return { node, line };
}

/**
 * Lays the callee tree out left to right with dagre: the focal service on the left, each hop a
 * column. Only the children of nodes for which `expanded(id, depth)` holds are laid out.
 */
export function layoutFlow(root: FlowNode, expanded: (id: string, depth: number) => boolean): FlowLayout {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 64, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  const entries: { id: string; node: FlowNode; depth: number; line: FlowNode[]; parent: string | null; open: boolean }[] = [];
  const stack: { node: FlowNode; id: string; depth: number; line: FlowNode[]; parent: string | null }[] = [{ node: root, id: '0', depth: 0, line: [root], parent: null }];
  while (stack.length > 0) {
    const { node, id, depth, line, parent } = stack.pop()!;
    const open = node.children.length > 0 && expanded(id, depth);
    entries.push({ id, node, depth, line, parent, open });
    graph.setNode(id, { width: NODE_WIDTH, height: NODE_HEIGHT });
    if (parent !== null) graph.setEdge(parent, id);
    if (!open) continue;
    for (let index = node.children.length - 1; index >= 0; index--) {
      const child = node.children[index]!;
      stack.push({ node: child, id: `${id}.${index}`, depth: depth + 1, line: [...line, child], parent: id });
    }
  }
  dagre.layout(graph);

  const placed = new Map<string, PlacedFlowNode>();
  for (const entry of entries) {
    const label = graph.node(entry.id) as { x?: number; y?: number } | undefined;
    placed.set(entry.id, { id: entry.id, node: entry.node, depth: entry.depth, line: entry.line, expanded: entry.open, x: label?.x ?? 0, y: label?.y ?? 0 });
  }
  const edges: FlowEdge[] = [];
  for (const entry of entries) {
    if (entry.parent === null) continue;
    const from = placed.get(entry.parent);
    const to = placed.get(entry.id);
    if (from && to) edges.push({ from, to });
  }
  const size = graph.graph() as { width?: number; height?: number };
  return { nodes: [...placed.values()], edges, width: Math.ceil(size.width ?? NODE_WIDTH), height: Math.ceil(size.height ?? NODE_HEIGHT) };
}

/** Cuts a label to fit a node box, for SVG text (which does not wrap or ellipsize). */
export function fitText(text: string, maxChars: number): string {
  const shown = text === '' ? '(empty name)' : text;
  return shown.length <= maxChars ? shown : `${shown.slice(0, maxChars - 1)}…`;
}
