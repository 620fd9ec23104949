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
import { BIGINT, BOOLEAN, DuckDBDataChunk, LIST, UBIGINT, UHUGEINT, UINTEGER, listValue } from '@duckdb/node-api';
import type { DuckDBListValue, DuckDBType, DuckDBVector } from '@duckdb/node-api';
import { CHUNK_ROWS } from './connection.js';
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

const EMPTY_LIST = listValue([]);

/**
 * Rows `from .. from + count` of `batch` as one staging chunk (at most `CHUNK_ROWS` rows), whose
 * path call ids start at `pathStart` in `batch.pathCallIds`; `pathKeys[i]` is the key of
 * `batch.paths[i]`, and call ids are stored as their trace-local ordinals (`ids`,
 * `trace-call-ids.ts`). The batch was checked when it was packed.
 */
function stagingChunk(batch: CallBatch, ids: TraceCallIds, pathKeys: BigUint64Array, from: number, count: number, pathStart: number): DuckDBDataChunk {
  const { traces, rows } = batch;
  const chunk = DuckDBDataChunk.create([...STAGING_TYPES], count);
  const traceIds = traces.ids;
  let c = 0;
  const next = (): DuckDBVector => chunk.getColumnVector(c++);
  const fill = (vector: DuckDBVector, value: (row: number) => unknown): void => {
    const set = vector.setItem.bind(vector) as (i: number, v: unknown) => void;
    for (let i = 0; i < count; i++) set(i, value(from + i));
    vector.flush();
  };
  const text = (column: number) => (r: number) => rows.texts[r * TEXT_COUNT + column] || null;
  const list = (ends: Uint32Array, codes: Uint32Array) => (r: number): DuckDBListValue => {
    const start = r === 0 ? 0 : ends[r - 1]!;
    return start === ends[r] ? EMPTY_LIST : listValue([...codes.subarray(start, ends[r])]);
  };
  fill(next(), (r) => traceIds[rows.trace[r]!]);
  fill(next(), (r) => ids.callOrdinals[r]);
  fill(next(), (r) => (rows.flags[r]! & SYNTHETIC) !== 0);
  for (let t = 0; t < 3; t++) fill(next(), text(t));
  fill(next(), (r) => ((rows.flags[r]! & HAS_RESOURCE) !== 0 ? rows.resourceIds[r] : null));
  for (let t = 3; t < 9; t++) fill(next(), text(t));
  fill(next(), (r) => rows.starts[r]);
  fill(next(), (r) => rows.durations[r]);
  fill(next(), (r) => (rows.flags[r]! & FAILED) !== 0);
  fill(next(), text(9));
  fill(next(), list(rows.stackEnds, rows.stackCodes));
  fill(next(), (r) => rows.depth[r]);
  let pathId = pathStart; // rows are filled in order
  fill(next(), (r) => {
    const depth = rows.depth[r]!;
    const ordinals = new Array<number | null>(depth);
    for (let k = 0; k < depth; k++, pathId++) ordinals[k] = ids.pathOrdinals[pathId] || null;
    return listValue(ordinals);
  });
  fill(next(), text(10));
  fill(next(), list(rows.proxyEnds, rows.proxyCodes));
  fill(next(), (r) => traces.derivedSeqs[rows.trace[r]!]);
  fill(next(), (r) => pathKeys[rows.path[r]!]);
  return chunk;
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
