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
 * The contract: ordinal k (1-based) of a trace is the k-th id in `derivations.call_ids` (a BLOB of
 * 8 big-endian bytes per id; a list would cost the writer a DuckDB value per id), the k-th
 * smallest of the distinct ids its calls name (their own and their paths', as unsigned numbers);
 * the `unknown` caller is NULL, as before. The writer replaces a trace's calls and its
 * `derivations` row in one transaction, so the two always agree; retention may delete some of a
 * trace's calls, which leaves ids nobody names, never a name without an id.
 */
import { HIGH, LOW, type CallBatch } from './call-batch.js';

export interface TraceCallIds {
  /** Per row of the batch: the ordinal of its call id. */
  readonly callOrdinals: Uint32Array;
  /** Per element of `batch.pathCallIds`: its ordinal; 0 for the `unknown` caller (stored as NULL). */
  readonly pathOrdinals: Uint32Array;
  /** Per trace of the batch: `derivations.call_ids`, its distinct ids in ordinal order, 8 big-endian bytes each. */
  readonly ids: readonly Uint8Array[];
}

/**
 * The trace-local ordinals of `batch`'s call ids and path call ids. Ids are compared as their two
 * 32-bit words: reading a `BigUint64Array` element makes a `BigInt` on the heap, and this runs for
 * every call the store writes.
 */
export function traceCallIds(batch: CallBatch): TraceCallIds {
  const { rows, pathCallIdNull } = batch;
  const callWords = words(rows.callIds);
  const pathWords = words(batch.pathCallIds);
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
  const allWords = words(all);
  const fill = ends.slice(0, traces);
  const put = (t: number, from: Uint32Array, i: number) => {
    const at = fill[t]!++;
    allWords[2 * at] = from[2 * i]!;
    allWords[2 * at + 1] = from[2 * i + 1]!;
  };
  p = 0;
  for (let r = 0; r < rows.count; r++) {
    const t = rows.trace[r]!;
    put(t, callWords, r);
    for (const q = p + rows.depth[r]!; p < q; p++) if (pathCallIdNull[p] === 0) put(t, pathWords, p);
  }
  const starts = new Uint32Array(traces);
  const counts = new Uint32Array(traces);
  const ids: Uint8Array[] = [];
  for (let t = 0; t < traces; t++) {
    const from = ends[t]!;
    all.subarray(from, ends[t + 1]!).sort(); // numeric, unsigned, in native code
    let n = from;
    for (let i = from; i < ends[t + 1]!; i++) {
      if (n > from && allWords[2 * i + HIGH] === allWords[2 * (n - 1) + HIGH] && allWords[2 * i + LOW] === allWords[2 * (n - 1) + LOW]) continue;
      allWords[2 * n] = allWords[2 * i]!;
      allWords[2 * n + 1] = allWords[2 * i + 1]!;
      n++;
    }
    starts[t] = from;
    counts[t] = n - from;
    const bytes = new Uint8Array(8 * (n - from));
    const view = new DataView(bytes.buffer);
    for (let k = 0; k < n - from; k++) {
      view.setUint32(8 * k, allWords[2 * (from + k) + HIGH]!);
      view.setUint32(8 * k + 4, allWords[2 * (from + k) + LOW]!);
    }
    ids.push(bytes);
  }
  const ordinalOf = (t: number, from: Uint32Array, i: number): number => {
    const high = from[2 * i + HIGH]!;
    const low = from[2 * i + LOW]!;
    let lo = starts[t]!;
    let hi = lo + counts[t]! - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const midHigh = allWords[2 * mid + HIGH]!;
      if (midHigh < high || (midHigh === high && allWords[2 * mid + LOW]! < low)) lo = mid + 1;
      else hi = mid;
    }
    return lo - starts[t]! + 1;
  };
  const callOrdinals = new Uint32Array(rows.count);
  const pathOrdinals = new Uint32Array(pathCallIdNull.length);
  p = 0;
  for (let r = 0; r < rows.count; r++) {
    const t = rows.trace[r]!;
    callOrdinals[r] = ordinalOf(t, callWords, r);
    for (const q = p + rows.depth[r]!; p < q; p++) pathOrdinals[p] = pathCallIdNull[p] === 0 ? ordinalOf(t, pathWords, p) : 0;
  }
  return { callOrdinals, pathOrdinals, ids };
}

/** `ids` as 32-bit words, two per id (`LOW` and `HIGH` name them). */
function words(ids: BigUint64Array): Uint32Array {
  return new Uint32Array(ids.buffer, ids.byteOffset, 2 * ids.length);
}

/** The ids of a `derivations.call_ids` value, in ordinal order (ordinal k is `[k - 1]`). */
export function idsOfBlob(bytes: Uint8Array): bigint[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength >>> 3 }, (_, k) => view.getBigUint64(8 * k));
}
