/**
 * Trace-local call ids (schema version 10): a call row holds its call id, and the ids of the
 * calls on its path, as small ordinals, and the trace's `derivations` row holds the ids they
 * stand for.
 *
 * Why: call ids are span ids, 64 random bits each. A call row holds its own and one per caller
 * on its path, and nothing DuckDB compresses can shrink random 64-bit integers: on the 1M-span
 * benchmark store, `call_id` and `path_call_ids` took 20 of the calls table's 41 bytes per span.
 * The queries only ever compare a call's id with ids of the same trace (a caller is
 * `x.path_call_ids[x.depth] = c.call_id` within one trace; ancestry is `list_contains`), and order
 * a trace's calls by id. So within a trace an id can be any number that keeps equality and
 * order: its rank among the trace's distinct ids. Ranks are small, and bit-packed they take a
 * byte or less.
 *
 * The contract: ordinal k (1-based) of a trace is `derivations.call_ids[k]`, the k-th smallest
 * of the distinct ids its calls name (their own and their paths', as unsigned 64-bit numbers);
 * the `unknown` caller is NULL, as before. The writer replaces a trace's calls and its
 * `derivations` row in one transaction, so the two always agree; retention may delete some of a
 * trace's calls, which leaves ids nobody names, never a name without an id.
 */
import type { CallBatch } from './call-batch.js';

export interface TraceCallIds {
  /** Per row of the batch: the ordinal of its call id. */
  readonly callOrdinals: Uint32Array;
  /** Per element of `batch.pathCallIds`: its ordinal; 0 for the `unknown` caller (stored as NULL). */
  readonly pathOrdinals: Uint32Array;
  /** Per trace of the batch: its distinct ids in ordinal order (ordinal k is `ids[t][k - 1]`). */
  readonly ids: readonly BigUint64Array[];
}

/** The trace-local ordinals of `batch`'s call ids and path call ids. */
export function traceCallIds(batch: CallBatch): TraceCallIds {
  const { rows, pathCallIds, pathCallIdNull } = batch;
  const traces = batch.traces.ids.length;
  // Each trace's ids gathered into its own segment of one array: count, place, sort, dedupe.
  const ends = new Uint32Array(traces + 1);
  let p = 0;
  for (let r = 0; r < rows.count; r++) {
    const t = rows.trace[r]!;
    ends[t + 1]! += 1;
    for (const q = p + rows.depth[r]!; p < q; p++) if (pathCallIdNull[p] === 0) ends[t + 1]! += 1;
  }
  for (let t = 0; t < traces; t++) ends[t + 1]! += ends[t]!;
  const all = new BigUint64Array(ends[traces]!);
  const fill = ends.slice(0, traces);
  p = 0;
  for (let r = 0; r < rows.count; r++) {
    const t = rows.trace[r]!;
    all[fill[t]!++] = rows.callIds[r]!;
    for (const q = p + rows.depth[r]!; p < q; p++) if (pathCallIdNull[p] === 0) all[fill[t]!++] = pathCallIds[p]!;
  }
  const ids: BigUint64Array[] = [];
  for (let t = 0; t < traces; t++) {
    const segment = all.subarray(ends[t]!, ends[t + 1]!).sort();
    let n = 0;
    for (let i = 0; i < segment.length; i++) if (n === 0 || segment[i] !== segment[n - 1]) segment[n++] = segment[i]!;
    ids.push(segment.subarray(0, n));
  }
  const callOrdinals = new Uint32Array(rows.count);
  const pathOrdinals = new Uint32Array(pathCallIds.length);
  p = 0;
  for (let r = 0; r < rows.count; r++) {
    const own = ids[rows.trace[r]!]!;
    callOrdinals[r] = ordinalOf(own, rows.callIds[r]!);
    for (const q = p + rows.depth[r]!; p < q; p++) pathOrdinals[p] = pathCallIdNull[p] === 0 ? ordinalOf(own, pathCallIds[p]!) : 0;
  }
  return { callOrdinals, pathOrdinals, ids };
}

/** The 1-based position of `id` in the sorted `ids`, which hold it. */
function ordinalOf(ids: BigUint64Array, id: bigint): number {
  let low = 0;
  let high = ids.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ids[mid]! < id) low = mid + 1;
    else high = mid;
  }
  return low + 1;
}
