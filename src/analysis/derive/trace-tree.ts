import type { SpanSkeleton } from '../../model/skeleton.js';
import type { TraceAnomaly } from './anomalies.js';

/** `parent[i]` of a span without a parent in the trace: a true root, a self-parent, or the cut point of a cycle. */
export const NO_PARENT = -1;
/** `parent[i]` of a span whose parent span id names a span that is not in the trace. */
export const MISSING_PARENT = -2;

/**
 * The parent-link structure of one trace, repaired so that it is a forest: every walk up from a
 * span ends at a span whose `parent` is {@link NO_PARENT} or {@link MISSING_PARENT}.
 */
export interface TraceTree {
  /** The spans kept (one per span id), in start order; ties keep input order. Index = position here. */
  readonly spans: readonly SpanSkeleton[];
  /** Index of each span's parent, or {@link NO_PARENT} / {@link MISSING_PARENT}. */
  readonly parent: Int32Array;
  /** Every index once, each after its parent (breadth-first from the roots, roots in start order). */
  readonly topDown: Int32Array;
}

/**
 * Builds the repaired parent structure of a trace (DESIGN.md §2, hostile data), appending what it
 * repaired to `anomalies`:
 * - duplicate span ids: the span that starts first is kept (input order breaks ties), the rest are
 *   ignored; children of the id attach to the kept span;
 * - a span that is its own parent becomes a root;
 * - a cycle of parent links is cut at its span that starts first (ties: the earlier in input), which
 *   becomes a root;
 * - a parent id that matches no span makes the span an orphan ({@link MISSING_PARENT});
 * - a span that starts before its parent is reported as clock skew and otherwise left alone.
 *
 * Iterative throughout (no recursion, so 100k-deep chains are fine) and O(n log n) in the number
 * of spans (one sort by start time; O(n) when the input is already in start order).
 */
export function buildTraceTree(input: readonly SpanSkeleton[], anomalies: TraceAnomaly[]): TraceTree {
  const indexOf = new Map<string, number>();
  const spans = dedupe(startOrder(input), indexOf, anomalies);
  const count = spans.length;

  const parent = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const span = spans[i]!;
    if (span.parentSpanId === '') {
      parent[i] = NO_PARENT;
    } else if (span.parentSpanId === span.spanId) {
      parent[i] = NO_PARENT;
      anomalies.push({ type: 'self-parent', spanId: span.spanId });
    } else {
      const found = indexOf.get(span.parentSpanId);
      parent[i] = found ?? MISSING_PARENT;
      if (found === undefined) anomalies.push({ type: 'missing-parent', spanId: span.spanId, parentSpanId: span.parentSpanId });
    }
  }
  cutCycles(spans, parent, anomalies);
  for (let i = 0; i < count; i++) {
    const p = parent[i]!;
    if (p < 0) continue;
    const child = spans[i]!;
    const parentSpan = spans[p]!;
    if (child.startTimeUnixNano < parentSpan.startTimeUnixNano) {
      anomalies.push({
        type: 'clock-skew',
        spanId: child.spanId,
        parentSpanId: parentSpan.spanId,
        skewNanos: parentSpan.startTimeUnixNano - child.startTimeUnixNano,
      });
    }
  }
  return { spans, parent, topDown: breadthFirst(parent) };
}

function startOrder(input: readonly SpanSkeleton[]): readonly SpanSkeleton[] {
  let sorted = true;
  for (let i = 1; i < input.length && sorted; i++) {
    if (input[i]!.startTimeUnixNano < input[i - 1]!.startTimeUnixNano) sorted = false;
  }
  if (sorted) return input;
  // Array.prototype.sort is stable, so equal start times keep input order.
  return [...input].sort((a, b) =>
    a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0,
  );
}

/** Keeps the first span of each id (in start order) and fills `indexOf` with the kept positions. */
function dedupe(spans: readonly SpanSkeleton[], indexOf: Map<string, number>, anomalies: TraceAnomaly[]): readonly SpanSkeleton[] {
  const kept: SpanSkeleton[] = [];
  let dropped: Map<string, number> | undefined;
  for (const span of spans) {
    if (indexOf.get(span.spanId) === undefined) {
      indexOf.set(span.spanId, kept.length);
      kept.push(span);
    } else {
      dropped ??= new Map();
      dropped.set(span.spanId, (dropped.get(span.spanId) ?? 0) + 1);
    }
  }
  if (dropped === undefined) return spans;
  for (const [spanId, count] of dropped) anomalies.push({ type: 'duplicate-span-id', spanId, dropped: count });
  return kept;
}

/**
 * Parent links give each span at most one parent, so every cycle is found by walking up from each
 * span once: a walk that meets a span of its own walk has found a cycle. Spans are in start order,
 * so the cycle's smallest index is the span that starts first.
 */
function cutCycles(spans: readonly SpanSkeleton[], parent: Int32Array, anomalies: TraceAnomaly[]): void {
  const UNSEEN = 0;
  const ON_WALK = 1;
  const DONE = 2;
  const state = new Uint8Array(spans.length);
  const walk: number[] = [];
  for (let start = 0; start < spans.length; start++) {
    walk.length = 0;
    let at = start;
    while (at >= 0 && state[at] === UNSEEN) {
      state[at] = ON_WALK;
      walk.push(at);
      at = parent[at]!;
    }
    if (at >= 0 && state[at] === ON_WALK) {
      const cycle = walk.slice(walk.indexOf(at));
      const cut = smallest(cycle);
      parent[cut] = NO_PARENT;
      const from = cycle.indexOf(cut);
      const ordered = [...cycle.slice(from), ...cycle.slice(0, from)];
      anomalies.push({ type: 'cycle', spanIds: ordered.map((i) => spans[i]!.spanId), cutSpanId: spans[cut]!.spanId });
    }
    for (const i of walk) state[i] = DONE;
  }
}

function smallest(values: readonly number[]): number {
  let min = values[0]!;
  for (const value of values) if (value < min) min = value;
  return min;
}

function breadthFirst(parent: Int32Array): Int32Array {
  const count = parent.length;
  const firstChild = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    const p = parent[i]!;
    if (p >= 0) firstChild[p + 1] = firstChild[p + 1]! + 1;
  }
  for (let i = 0; i < count; i++) firstChild[i + 1] = firstChild[i + 1]! + firstChild[i]!;
  const children = new Int32Array(firstChild[count]!);
  const fill = firstChild.slice(0, count);
  for (let i = 0; i < count; i++) {
    const p = parent[i]!;
    if (p < 0) continue;
    const slot = fill[p]!;
    children[slot] = i;
    fill[p] = slot + 1;
  }
  const order = new Int32Array(count);
  let tail = 0;
  for (let i = 0; i < count; i++) if (parent[i]! < 0) order[tail++] = i;
  for (let head = 0; head < tail; head++) {
    const at = order[head]!;
    for (let c = firstChild[at]!; c < firstChild[at + 1]!; c++) order[tail++] = children[c]!;
  }
  return order;
}
