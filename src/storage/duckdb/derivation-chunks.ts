/**
 * `derivations` rows as appender chunks, for traces derived for the first time: their ids, the
 * derivation's seq and the ids its calls' ordinals stand for (`trace-call-ids.ts`), copied from
 * the packed batch without a JavaScript value per cell (`chunk-columns.ts`).
 *
 * What this replaced for first derivations: the upsert of `call-writer.ts`, with each column bound
 * as a list parameter. A probe of 50 writes of 2,000 new traces, run twice, measured 10.0–12.7 µs
 * a trace for it (2.6–3.9 µs building and binding the lists, 7.4–8.8 µs executing and
 * committing), and ~3.7 µs for an append from chunks filled with JavaScript values; these are
 * filled from typed arrays.
 * `bench/query-call-writes.ts`, first derivations: 142–143K → 159–164K calls/s, 117–119K →
 * 124K calls/CPU-s.
 */
import { BLOB, DuckDBDataChunk, UBIGINT, UHUGEINT } from '@duckdb/node-api';
import type { DuckDBType } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { CHUNK_ROWS } from './connection.js';
import { rowTraceWords } from './call-chunks.js';
import { columnVector, writeFixed } from './chunk-columns.js';

/** The types of `derivations`' columns, in table order (schema.ts, version 10). */
const DERIVATION_TYPES: readonly DuckDBType[] = [UHUGEINT, UBIGINT, BLOB];

/**
 * The rows of traces `traces` (indexes into the other arguments) as chunks of at most
 * `CHUNK_ROWS` rows. `traceWords` holds each trace id's low then high 64 bits, `derivedSeqs` and
 * `callIds` each trace's seq and `call_ids` value.
 */
export function derivationChunks(
  traces: readonly number[],
  traceWords: BigUint64Array,
  derivedSeqs: BigUint64Array,
  callIds: readonly Uint8Array[],
): DuckDBDataChunk[] {
  const chunks: DuckDBDataChunk[] = [];
  for (let from = 0; from < traces.length; from += CHUNK_ROWS) {
    const rows = traces.slice(from, from + CHUNK_ROWS);
    const chunk = DuckDBDataChunk.create([...DERIVATION_TYPES], rows.length);
    writeFixed(columnVector(chunk, 0), rowTraceWords(traceWords, rows));
    writeFixed(columnVector(chunk, 1), BigUint64Array.from(rows, (t) => derivedSeqs[t]!));
    const blobs = columnVector(chunk, 2);
    rows.forEach((t, i) => duckdb.vector_assign_string_element_len(blobs, i, callIds[t]!));
    chunks.push(chunk);
  }
  return chunks;
}
