/**
 * Columns of a DuckDB data chunk written whole from typed arrays: one native copy per column,
 * where `DuckDBVector.setItem` costs a JavaScript call and a validity check per value, and a list
 * column a `DuckDBListValue` per row and a value per element. Used by the hot appenders
 * (`call-staging.ts`): filling a 2,048-row staging chunk this way took ~0.4 instead of ~1.8 µs a
 * call (`bench/query-call-writes.ts`, session 8).
 *
 * The layouts are DuckDB's in-memory vector formats (little-endian, as on every platform DuckDB
 * ships for):
 * - fixed-width values side by side: `UINTEGER` 4 bytes, `BIGINT`/`UBIGINT` 8, `BOOLEAN` 1 (0 or 1),
 *   `UHUGEINT` 16 (low 64 bits, then high);
 * - validity: one bit per row, bit `i % 64` of 64-bit word `i / 64`, 1 = valid;
 * - a list: per row an (offset, length) pair of 64-bit numbers into one child vector of values.
 *
 * The chunk must have been created with the column's type and at least `rows` rows; nothing here
 * checks either (the caller builds both from one column list).
 */
import duckdb from '@duckdb/node-bindings';
import type { DuckDBDataChunk } from '@duckdb/node-api';

/** A validity mask for `rows` rows: row `i` is valid when `valid(i)`; `undefined` when all are. */
export function validityOf(rows: number, valid: (row: number) => boolean): Uint8Array | undefined {
  let mask: Uint8Array | undefined;
  for (let i = 0; i < rows; i++) {
    if (valid(i)) continue;
    mask ??= new Uint8Array(Math.ceil(rows / 64) * 8).fill(0xff);
    mask[i >> 3]! &= ~(1 << (i & 7));
  }
  return mask;
}

function writeValidity(vector: duckdb.Vector, validity: Uint8Array | undefined): void {
  if (validity === undefined) return;
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer as ArrayBuffer, validity.byteOffset, validity.byteLength);
}

function writeData(vector: duckdb.Vector, data: ArrayBufferView): void {
  if (data.byteLength > 0) duckdb.copy_data_to_vector(vector, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

/** Sets fixed-width column `column` to `data` (its rows' values, packed) and `validity`. */
export function setFixedColumn(chunk: DuckDBDataChunk, column: number, data: ArrayBufferView, validity?: Uint8Array): void {
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
  writeData(vector, data);
  writeValidity(vector, validity);
}

/**
 * Sets list column `column` of `rows` rows: row `i`'s elements are `values[ends[i-1] .. ends[i])`
 * (`ends[-1]` being `start`), fixed-width values of the list's element type; `valueValidity`
 * marks NULL elements, indexed like `values` from `start`.
 */
export function setListColumn(
  chunk: DuckDBDataChunk,
  column: number,
  rows: number,
  ends: Uint32Array,
  start: number,
  values: Uint32Array,
  valueValidity?: Uint8Array,
): void {
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
  // (offset, length) as 64-bit numbers, written as their low 32-bit words: no BigInt per row.
  const entries = new Uint32Array(rows * 4);
  let from = start;
  for (let i = 0; i < rows; i++) {
    const end = ends[i]!;
    entries[4 * i] = from - start;
    entries[4 * i + 2] = end - from;
    from = end;
  }
  writeData(vector, entries);
  const size = from - start;
  duckdb.list_vector_reserve(vector, size);
  duckdb.list_vector_set_size(vector, size);
  const child = duckdb.list_vector_get_child(vector);
  writeData(child, values.subarray(start, from));
  writeValidity(child, valueValidity);
}
