import dagre from '@dagrejs/dagre';
import type { FlowNode } from '../../types.js';

export const NODE_WIDTH = 236;
export const NODE_HEIGHT = 88;

/** A flow node at its place: `id` is its position in the tree (`0`, `0.2`, `0.2.1`), stable for a given answer. */
export interface PlacedFlowNode {
  readonly id: string;
  readonly node: FlowNode;
  /** The nodes from the focal service down to this one, both included. */
  readonly line: readonly FlowNode[];
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

/** Lays the callee tree out left to right with dagre: the focal service on the left, each hop a column. */
export function layoutFlow(root: FlowNode): FlowLayout {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 64, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  const entries: { id: string; node: FlowNode; line: FlowNode[]; parent: string | null }[] = [];
  const visit = (node: FlowNode, id: string, line: FlowNode[], parent: string | null) => {
    entries.push({ id, node, line, parent });
    graph.setNode(id, { width: NODE_WIDTH, height: NODE_HEIGHT });
    if (parent !== null) graph.setEdge(parent, id);
    node.children.forEach((child, index) => visit(child, `${id}.${index}`, [...line, child], id));
  };
  visit(root, '0', [root], null);
  dagre.layout(graph);

  const placed = new Map<string, PlacedFlowNode>();
  for (const entry of entries) {
    const label = graph.node(entry.id) as { x?: number; y?: number } | undefined;
    placed.set(entry.id, { id: entry.id, node: entry.node, line: entry.line, x: label?.x ?? 0, y: label?.y ?? 0 });
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
