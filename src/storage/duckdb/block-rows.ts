/**
 * Writing encoded span blocks (`span-blocks.ts`) as rows: one `span_blocks` row per block and one
 * `trace_blocks` row per trace in it, appended as data chunks inside the caller's transaction.
 */
import { BIGINT, BLOB, HUGEINT, UBIGINT, UHUGEINT, UINTEGER, blobValue } from '@duckdb/node-api';
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { chunksOfColumns, type SerialConnection } from './connection.js';
import type { EncodedBlock } from './span-block-encoder.js';

/** `span_blocks` columns in table order (schema.ts, version 6). */
const BLOCK_TYPES: readonly DuckDBType[] = [UBIGINT, UBIGINT, UBIGINT, UINTEGER, BIGINT, BIGINT, BLOB];
/** `trace_blocks` columns in table order. */
const TRACE_TYPES: readonly DuckDBType[] = [UHUGEINT, UBIGINT, UBIGINT, BIGINT, HUGEINT, UINTEGER, UINTEGER];

/** Appends `blocks` with ids `firstBlockId`, `firstBlockId + 1`, …; call inside a transaction. */
export async function appendBlocks(conn: SerialConnection, blocks: readonly EncodedBlock[], firstBlockId: bigint): Promise<void> {
  const blockRows: DuckDBValue[][] = BLOCK_TYPES.map(() => []);
  const traceRows: DuckDBValue[][] = TRACE_TYPES.map(() => []);
  blocks.forEach((block, i) => {
    const id = firstBlockId + BigInt(i);
    push(blockRows, [id, block.firstSeq, block.lastSeq, block.spans, block.minStart, block.maxStart, blobValue(block.bytes)]);
    for (const t of block.traces) push(traceRows, [t.traceId, id, t.lastSeq, t.firstStart, t.lastEnd, t.spans, t.errors]);
  });
  await conn.appendChunks('span_blocks', chunksOfColumns(BLOCK_TYPES, blockRows));
  await conn.appendChunks('trace_blocks', chunksOfColumns(TRACE_TYPES, traceRows));
}

function push(columns: DuckDBValue[][], values: readonly DuckDBValue[]): void {
  values.forEach((value, c) => columns[c]!.push(value));
}
