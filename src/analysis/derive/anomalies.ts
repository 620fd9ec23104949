/**
 * Things wrong with a trace that call derivation noticed and worked around (DESIGN.md §2: hostile
 * data is cut and reported, never followed forever, never thrown). Each names the spans involved by
 * hex span id so an operator can find them in the trace.
 */
export type TraceAnomaly =
  /** Span ids repeated; the span that starts first was kept (input order breaks ties), `dropped` others ignored. */
  | { readonly type: 'duplicate-span-id'; readonly spanId: string; readonly dropped: number }
  /** The span names itself as parent; it was treated as a root (its call has no caller). */
  | { readonly type: 'self-parent'; readonly spanId: string }
  /**
   * Parent links form a loop through `spanIds` (each one's parent is the next, the last one's is the
   * first). The loop was cut at `cutSpanId`, the one that starts first, which became a root.
   */
  | { readonly type: 'cycle'; readonly spanIds: readonly string[]; readonly cutSpanId: string }
  /** The span's parent is not in the trace; its call's caller is `unknown`. */
  | { readonly type: 'missing-parent'; readonly spanId: string; readonly parentSpanId: string }
  /** The span starts `skewNanos` before its parent. Harmless to the structure, a hint about clocks. */
  | { readonly type: 'clock-skew'; readonly spanId: string; readonly parentSpanId: string; readonly skewNanos: bigint }
  /**
   * `calls` calls lie deeper than `maxPathLength` calls below their trace root; their paths keep only
   * the `maxPathLength` calls nearest to them (the root end is dropped).
   */
  | { readonly type: 'path-truncated'; readonly calls: number; readonly maxPathLength: number };

export type TraceAnomalyType = TraceAnomaly['type'];
