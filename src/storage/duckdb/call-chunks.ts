/**
 * Derived calls as appender chunks of `calls` rows, built from a packed `CallBatch` without a
 * JavaScript value per cell (`chunk-columns.ts`).
 *
 * Numbers and lists are copied whole from the batch's typed arrays. A text is a 1-based code into
 * the batch's dictionary (`call-batch.ts`; 0 is NULL): each distinct text of a column is assigned
 * to the chunk once, and its other rows share that string. The path's texts are not in the row at
 * all: its `path_key` names them in `call_paths` (schema version 4).
 *
 * What this replaced, measured with `bench/query-call-writes.ts` and a probe of the statements:
 * - `DuckDBVector.setItem` per value and one `vector_assign_string_element` per text (schema 3):
 *   ~25 µs of CPU per call;
 * - integer codes appended to a temporary staging table, then `INSERT … SELECT` with each text
 *   looked up in the dictionary bound as a list parameter (`$1[code]`, schemas 4–10): filling the
 *   staging chunks took ~1.8 µs a call, and the insert ~3 µs of DuckDB's CPU a call, of which the
 *   lookups were ~2.4 (the same insert of the codes alone: ~0.55).
 */
import { BIGINT, BOOLEAN, DuckDBDataChunk, LIST, UBIGINT, UHUGEINT, UINTEGER, VARCHAR } from '@duckdb/node-api';
import type { DuckDBType } from '@duckdb/node-api';
import { CHUNK_ROWS } from './connection.js';
import { columnVector, validityOf, writeFixed, writeListEntries, writeTexts } from './chunk-columns.js';
import { FAILED, HAS_RESOURCE, SYNTHETIC, TEXT_COUNT, type CallBatch } from './call-batch.js';
import type { TraceCallIds } from './trace-call-ids.js';

/** The types of `calls`' columns, in table order (schema.ts, version 10): an appender fills every column. */
const CALL_TYPES: readonly DuckDBType[] = [
  UHUGEINT, // trace_id
  UINTEGER, // call_id
  BOOLEAN, // synthetic
  VARCHAR, // kind
  VARCHAR, // service
  VARCHAR, // request
  UBIGINT, // resource_id
  ...Array<DuckDBType>(6).fill(VARCHAR), // instance, k8s_cluster, k8s_node, k8s_namespace, k8s_pod, k8s_workload
  BIGINT, // start_time_ns
  BIGINT, // duration_ns
  BOOLEAN, // failed
  VARCHAR, // failure_reason
  LIST(VARCHAR), // stack_traces
  UINTEGER, // depth
  LIST(UINTEGER), // path_call_ids
  VARCHAR, // referring_page
  LIST(VARCHAR), // proxies
  UBIGINT, // derived_seq
  UBIGINT, // path_key
];

/** What every chunk of one write reads. */
interface Write {
  /** Checked when it was packed. */
  readonly batch: CallBatch;
  /** Call ids as trace-local ordinals (`trace-call-ids.ts`). */
  readonly ids: TraceCallIds;
  /** `pathKeys[i]` is the key of `batch.paths[i]`. */
  readonly pathKeys: BigUint64Array;
  /** Per trace of the batch, its id as a `UHUGEINT`: low 64 bits, then high. */
  readonly traceWords: BigUint64Array;
  /** A dictionary text's UTF-8 bytes, by code. */
  readonly utf8: (code: number) => Uint8Array;
}

/**
 * Rows `from .. from + count` of the write's batch as one chunk of `calls` rows (at most
 * `CHUNK_ROWS`), whose path call ids start at `pathStart` in `batch.pathCallIds`.
 */
function callChunk({ batch, ids, pathKeys, traceWords, utf8 }: Write, from: number, count: number, pathStart: number): DuckDBDataChunk {
  const { traces, rows } = batch;
  const chunk = DuckDBDataChunk.create([...CALL_TYPES], count);
  const to = from + count;
  const trace = rows.trace.subarray(from, to);
  const flags = rows.flags.subarray(from, to);
  const depth = rows.depth.subarray(from, to);
  const pathEnds = new Uint32Array(count);
  let pathEnd = pathStart;
  for (let i = 0; i < count; i++) pathEnds[i] = pathEnd += depth[i]!;

  let c = 0;
  const fixed = (data: ArrayBufferView, validity?: Uint8Array) => writeFixed(columnVector(chunk, c++), data, validity);
  const bit = (mask: number) => fixed(Uint8Array.from(flags, (f) => ((f & mask) !== 0 ? 1 : 0)));
  const text = (t: number) => {
    const codes = new Uint32Array(count);
    for (let i = 0; i < count; i++) codes[i] = rows.texts[(from + i) * TEXT_COUNT + t]!;
    writeTexts(columnVector(chunk, c++), count, codes, utf8);
  };
  const textList = (ends: Uint32Array, codes: Uint32Array) => {
    const start = from === 0 ? 0 : ends[from - 1]!;
    const child = writeListEntries(columnVector(chunk, c++), count, ends.subarray(from, to), start);
    writeTexts(child, ends[to - 1]! - start, codes.subarray(start), utf8);
  };

  fixed(rowTraceWords(traceWords, trace));
  fixed(ids.callOrdinals.subarray(from, to));
  bit(SYNTHETIC);
  for (let t = 0; t < 3; t++) text(t); // kind, service, request
  fixed(rows.resourceIds.subarray(from, to), validityOf(count, (i) => (flags[i]! & HAS_RESOURCE) !== 0));
  for (let t = 3; t < 9; t++) text(t); // instance and the Kubernetes context
  fixed(rows.starts.subarray(from, to));
  fixed(rows.durations.subarray(from, to));
  bit(FAILED);
  text(9); // failure_reason
  textList(rows.stackEnds, rows.stackCodes);
  fixed(depth);
  const paths = ids.pathOrdinals.subarray(pathStart, pathEnd);
  writeFixed(writeListEntries(columnVector(chunk, c++), count, pathEnds, pathStart), paths, validityOf(paths.length, (i) => paths[i] !== 0));
  text(10); // referring_page
  textList(rows.proxyEnds, rows.proxyCodes);
  fixed(BigUint64Array.from(trace, (t) => traces.derivedSeqs[t]!));
  fixed(BigUint64Array.from(rows.path.subarray(from, to), (p) => pathKeys[p]!));
  return chunk;
}

/** Each trace id as a `UHUGEINT` value: its low 64 bits, then its high 64 bits. */
export function traceIdWords(traceIds: readonly bigint[]): BigUint64Array {
  const words = new BigUint64Array(traceIds.length * 2);
  traceIds.forEach((id, t) => {
    words[2 * t] = BigInt.asUintN(64, id);
    words[2 * t + 1] = id >> 64n;
  });
  return words;
}

/** Each row's trace id as `UHUGEINT` words: `traceOfRow[i]` indexes `traceWords` (`traceIdWords`). */
export function rowTraceWords(traceWords: BigUint64Array, traceOfRow: ArrayLike<number>): BigUint64Array {
  const words = new BigUint64Array(2 * traceOfRow.length);
  for (let i = 0; i < traceOfRow.length; i++) {
    words[2 * i] = traceWords[2 * traceOfRow[i]!]!;
    words[2 * i + 1] = traceWords[2 * traceOfRow[i]! + 1]!;
  }
  return words;
}

/**
 * `batch`'s rows as chunks of at most `CHUNK_ROWS` `calls` rows, in row order; `traceWords` is
 * `traceIdWords(batch.traces.ids)`.
 */
export function callChunks(batch: CallBatch, ids: TraceCallIds, pathKeys: BigUint64Array, traceWords: BigUint64Array): DuckDBDataChunk[] {
  const encoder = new TextEncoder();
  const encoded: Uint8Array[] = [];
  const write: Write = {
    batch,
    ids,
    pathKeys,
    traceWords,
    utf8: (code) => (encoded[code] ??= encoder.encode(batch.dictionary[code - 1]!)),
  };
  const chunks: DuckDBDataChunk[] = [];
  let pathStart = 0;
  for (let from = 0; from < batch.rows.count; from += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, batch.rows.count - from);
    chunks.push(callChunk(write, from, count, pathStart));
    for (let r = from; r < from + count; r++) pathStart += batch.rows.depth[r]!;
  }
  return chunks;
}
