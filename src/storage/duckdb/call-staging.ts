/**
 * How derived calls get into `calls` cheaply: as numbers.
 *
 * A call row has ~10 text values plus three path lists, and the appender costs one native call
 * per text value (`DuckDBVarCharVector.flush`): that made the call writer the slowest part of
 * ingest (~25 µs of CPU per call, ~40K calls per CPU-second, `bench/query-call-writes.ts`).
 * Here every text is a 1-based code into one dictionary per write (`call-batch.ts`), so the rows
 * go to a temporary table of integers and integer lists, and one `INSERT … SELECT` turns codes
 * back into text inside DuckDB (`list_select` against the dictionary, bound as one list
 * parameter). A 0 code is NULL text. The path's texts are not in the row at all: its `path_key`
 * names them in `call_paths` (schema version 4).
 *
 * The writer runs `STAGING_DDL` (temporary tables are per connection; it is a no-op once the
 * table exists), the append, the insert and the clean-up inside the write's transaction.
 */
import { BIGINT, BOOLEAN, DuckDBDataChunk, LIST, UBIGINT, UHUGEINT, UINTEGER } from '@duckdb/node-api';
import type { DuckDBType } from '@duckdb/node-api';
import { CHUNK_ROWS } from './connection.js';
import { setFixedColumn, setListColumn, validityOf } from './chunk-columns.js';
import { FAILED, HAS_RESOURCE, SYNTHETIC, TEXT_COLUMNS, TEXT_COUNT, type CallBatch } from './call-batch.js';
import type { TraceCallIds } from './trace-call-ids.js';

type Column = readonly [name: string, type: DuckDBType, text: boolean];

/** The staging columns, in order; `text` columns hold dictionary codes. */
const STAGING_COLUMNS: readonly Column[] = [
  ['trace_id', UHUGEINT, false],
  ['call_id', UINTEGER, false],
  ['synthetic', BOOLEAN, false],
  ...TEXT_COLUMNS.slice(0, 3).map((name): Column => [name, UINTEGER, true]),
  ['resource_id', UBIGINT, false],
  ...TEXT_COLUMNS.slice(3, 9).map((name): Column => [name, UINTEGER, true]),
  ['start_time_ns', BIGINT, false],
  ['duration_ns', BIGINT, false],
  ['failed', BOOLEAN, false],
  [TEXT_COLUMNS[9], UINTEGER, true],
  ['stack_traces', LIST(UINTEGER), true],
  ['depth', UINTEGER, false],
  ['path_call_ids', LIST(UINTEGER), false],
  [TEXT_COLUMNS[10], UINTEGER, true],
  ['proxies', LIST(UINTEGER), true],
  ['derived_seq', UBIGINT, false],
  ['path_key', UBIGINT, false],
];
const STAGING_TYPES = STAGING_COLUMNS.map(([, type]) => type);

export const STAGING_DDL = `CREATE TEMPORARY TABLE IF NOT EXISTS calls_staging (${STAGING_COLUMNS.map(([name, type]) => `${name} ${type.toString()}`).join(', ')})`;

/** `$1` is the batch's dictionary: code n is its n-th text, and `$1[NULL]` is NULL. */
export const INSERT_STAGED = `INSERT INTO calls (${STAGING_COLUMNS.map(([name]) => name).join(', ')})
SELECT ${STAGING_COLUMNS.map(([name, type, text]) => (!text ? name : type.toString().endsWith('[]') ? `list_select($1, ${name})` : `$1[${name}]`)).join(', ')}
FROM calls_staging`;

export const CLEAR_STAGING = 'DELETE FROM calls_staging';

/**
 * Rows `from .. from + count` of `batch` as one staging chunk (at most `CHUNK_ROWS` rows), whose
 * path call ids start at `pathStart` in `batch.pathCallIds`; `pathKeys[i]` is the key of
 * `batch.paths[i]`, and call ids are stored as their trace-local ordinals (`ids`,
 * `trace-call-ids.ts`). The batch was checked when it was packed. Every column is written whole
 * from a typed array (`chunk-columns.ts`).
 */
function stagingChunk(batch: CallBatch, ids: TraceCallIds, pathKeys: BigUint64Array, from: number, count: number, pathStart: number): DuckDBDataChunk {
  const { traces, rows } = batch;
  const chunk = DuckDBDataChunk.create([...STAGING_TYPES], count);
  const to = from + count;
  const trace = rows.trace.subarray(from, to);
  const flags = rows.flags.subarray(from, to);
  const bit = (mask: number) => Uint8Array.from(flags, (f) => ((f & mask) !== 0 ? 1 : 0));
  const text = (t: number): [Uint32Array, Uint8Array | undefined] => {
    const codes = new Uint32Array(count);
    for (let i = 0; i < count; i++) codes[i] = rows.texts[(from + i) * TEXT_COUNT + t]!;
    return [codes, validityOf(count, (i) => codes[i] !== 0)];
  };
  const depth = rows.depth.subarray(from, to);
  const pathEnds = new Uint32Array(count);
  let pathEnd = pathStart;
  for (let i = 0; i < count; i++) pathEnds[i] = pathEnd += depth[i]!;
  const listStart = (ends: Uint32Array) => (from === 0 ? 0 : ends[from - 1]!);

  let c = 0;
  const fixed = (data: ArrayBufferView, validity?: Uint8Array) => setFixedColumn(chunk, c++, data, validity);
  const textColumn = (t: number) => fixed(...text(t));
  fixed(traceIdWords(traces.ids, trace));
  fixed(ids.callOrdinals.subarray(from, to));
  fixed(bit(SYNTHETIC));
  for (let t = 0; t < 3; t++) textColumn(t);
  fixed(rows.resourceIds.subarray(from, to), validityOf(count, (i) => (flags[i]! & HAS_RESOURCE) !== 0));
  for (let t = 3; t < 9; t++) textColumn(t);
  fixed(rows.starts.subarray(from, to));
  fixed(rows.durations.subarray(from, to));
  fixed(bit(FAILED));
  textColumn(9);
  setListColumn(chunk, c++, count, rows.stackEnds.subarray(from, to), listStart(rows.stackEnds), rows.stackCodes);
  fixed(depth);
  const paths = ids.pathOrdinals;
  setListColumn(chunk, c++, count, pathEnds, pathStart, paths, validityOf(pathEnd - pathStart, (i) => paths[pathStart + i] !== 0));
  textColumn(10);
  setListColumn(chunk, c++, count, rows.proxyEnds.subarray(from, to), listStart(rows.proxyEnds), rows.proxyCodes);
  fixed(BigUint64Array.from(trace, (t) => traces.derivedSeqs[t]!));
  fixed(BigUint64Array.from(rows.path.subarray(from, to), (p) => pathKeys[p]!));
  return chunk;
}

/** `UHUGEINT` values of the rows' trace ids (`trace[i]` indexes `traceIds`): low 64 bits, then high. */
function traceIdWords(traceIds: readonly bigint[], trace: Uint32Array): BigUint64Array {
  const words = new BigUint64Array(traceIds.length * 2);
  traceIds.forEach((id, t) => {
    words[2 * t] = BigInt.asUintN(64, id);
    words[2 * t + 1] = id >> 64n;
  });
  const out = new BigUint64Array(trace.length * 2);
  for (let i = 0; i < trace.length; i++) {
    out[2 * i] = words[2 * trace[i]!]!;
    out[2 * i + 1] = words[2 * trace[i]! + 1]!;
  }
  return out;
}

/** `batch`'s rows as staging chunks of at most `CHUNK_ROWS` rows. */
export function stagingChunks(batch: CallBatch, ids: TraceCallIds, pathKeys: BigUint64Array): DuckDBDataChunk[] {
  const chunks: DuckDBDataChunk[] = [];
  let pathStart = 0;
  for (let from = 0; from < batch.rows.count; from += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, batch.rows.count - from);
    chunks.push(stagingChunk(batch, ids, pathKeys, from, count, pathStart));
    for (let r = from; r < from + count; r++) pathStart += batch.rows.depth[r]!;
  }
  return chunks;
}
