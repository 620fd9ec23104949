/**
 * Columns of a DuckDB data chunk written whole from typed arrays: one native copy per column,
 * where `DuckDBVector.setItem` costs a JavaScript call and a validity check per value, and a list
 * column a `DuckDBListValue` per row and a value per element. Used by the call writer
 * (`call-chunks.ts`): see there for what it saves.
 *
 * The layouts are DuckDB's in-memory vector formats, as its C API (`duckdb.h`) declares them
 * (little-endian, as on every platform DuckDB ships for):
 * - fixed-width values side by side: `UINTEGER` 4 bytes, `BIGINT`/`UBIGINT` 8, `BOOLEAN` 1 (0 or 1),
 *   `UHUGEINT` 16 (low 64 bits, then high);
 * - validity: one bit per row, bit `i % 64` of 64-bit word `i / 64`, 1 = valid;
 * - a list: per row an (offset, length) pair of 64-bit numbers into one child vector of values;
 * - a string: a 16-byte `duckdb_string_t`, the text inlined when it has at most 12 bytes, else its
 *   length, prefix and a pointer into the vector's own string heap.
 *
 * The functions take the raw vectors of `@duckdb/node-bindings`, the binding `@duckdb/node-api`
 * is built on (package.json pins both to one version; ADR 0011). The vector must have the column's
 * type and room for the rows; nothing here checks either (the caller builds both from one column
 * list).
 */
import duckdb from '@duckdb/node-bindings';
import type { DuckDBDataChunk } from '@duckdb/node-api';

const STRING_BYTES = 16;

/** Column `column` of `chunk`, to write with the functions below. */
export function columnVector(chunk: DuckDBDataChunk, column: number): duckdb.Vector {
  return duckdb.data_chunk_get_vector(chunk.chunk, column);
}

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

/** Sets a fixed-width vector's values to `data` (packed, one per row) and its NULLs to `validity`. */
export function writeFixed(vector: duckdb.Vector, data: ArrayBufferView, validity?: Uint8Array): void {
  if (data.byteLength > 0) duckdb.copy_data_to_vector(vector, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  writeValidity(vector, validity);
}

/**
 * Sets a `VARCHAR` vector of `rows` rows: row `i` holds the text of `codes[i]`, NULL for code 0.
 * `utf8(code)` gives a code's UTF-8 bytes. Each distinct code is assigned once (one native call,
 * which copies its bytes into the vector's string heap); its other rows get a copy of that row's
 * 16-byte string, which points at the same heap bytes, so a text repeated down the column costs no
 * native call. The strings live as long as the chunk; an appender copies them when it appends.
 */
export function writeTexts(vector: duckdb.Vector, rows: number, codes: Uint32Array, utf8: (code: number) => Uint8Array): void {
  const firstRow = new Map<number, number>();
  let repeats = false;
  let nulls = false;
  for (let i = 0; i < rows; i++) {
    const code = codes[i]!;
    if (code === 0) nulls = true;
    else if (firstRow.has(code)) repeats = true;
    else {
      firstRow.set(code, i);
      duckdb.vector_assign_string_element_len(vector, i, utf8(code));
    }
  }
  if (repeats) {
    const data = duckdb.vector_get_data(vector, rows * STRING_BYTES); // a copy of the strings
    const words = new Uint32Array(data.buffer, data.byteOffset, rows * (STRING_BYTES / 4));
    let code = 0;
    let from = 0;
    for (let i = 0; i < rows; i++) {
      if (codes[i] === 0) continue;
      if (codes[i] !== code) {
        code = codes[i]!;
        from = firstRow.get(code)! * 4;
      }
      const to = i * 4;
      if (to === from) continue;
      words[to] = words[from]!;
      words[to + 1] = words[from + 1]!;
      words[to + 2] = words[from + 2]!;
      words[to + 3] = words[from + 3]!;
    }
    duckdb.copy_data_to_vector(vector, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  }
  if (nulls) writeValidity(vector, validityOf(rows, (i) => codes[i] !== 0));
}

/**
 * Sets a list vector's `rows` entries: row `i`'s elements are elements `ends[i-1] .. ends[i]` of
 * the caller's values (`ends[-1]` being `start`). Returns the child vector, sized for them: write
 * elements `start .. ends[rows-1]` into it from its row 0.
 */
export function writeListEntries(vector: duckdb.Vector, rows: number, ends: Uint32Array, start: number): duckdb.Vector {
  // (offset, length) as 64-bit numbers, written as their low 32-bit words: no BigInt per row.
  const entries = new Uint32Array(rows * 4);
  let from = start;
  for (let i = 0; i < rows; i++) {
    const end = ends[i]!;
    entries[4 * i] = from - start;
    entries[4 * i + 2] = end - from;
    from = end;
  }
  writeFixed(vector, entries);
  const size = from - start;
  duckdb.list_vector_reserve(vector, size);
  duckdb.list_vector_set_size(vector, size);
  return duckdb.list_vector_get_child(vector);
}
