/**
 * Schema version 6's data step: the rows of the old `spans` table become span blocks
 * (`span-blocks.ts`), append by append, and the table is dropped. Spans are read in seq ranges of
 * about `RANGE_SPANS` rows, so the migration's memory stays bounded on any store size.
 */
import type { DuckDBBlobValue } from '@duckdb/node-api';
import { UBIGINT } from '@duckdb/node-api';
import type { SerialConnection } from './connection.js';
import { MAX_BLOCK_SPANS, slotOf } from './block-cutter.js';
import { appendBlocks } from './block-rows.js';
import { encodeSpanBlock, type EncodedBlock } from './span-block-encoder.js';
import { allocateBlockSpans, type BlockSpans } from './span-blocks.js';

const RANGE_SPANS = 100_000;

const SPANS_IN_RANGE = `SELECT trace_id, span_id, parent_span_id, seq, resource_id, scope_id, name, kind, start_time_ns, duration_ns,
  status_code, status_message, payload
FROM spans WHERE seq BETWEEN $1 AND $2 ORDER BY seq, rowid`;

export async function convertSpansToBlocks(conn: SerialConnection): Promise<void> {
  const counts = (await conn.query('SELECT seq, count(*) FROM spans GROUP BY seq ORDER BY seq')).getRows();
  let nextBlockId = 1n;
  let from = 0;
  while (from < counts.length) {
    let to = from;
    let size = 0;
    while (to < counts.length && (to === from || size + Number(counts[to]![1]) <= RANGE_SPANS)) size += Number(counts[to++]![1]);
    const rows = (await conn.query(SPANS_IN_RANGE, [counts[from]![0] as bigint, counts[to - 1]![0] as bigint], [UBIGINT, UBIGINT])).getRows();
    const blocks: EncodedBlock[] = [];
    for (let at = 0; at < rows.length; at += MAX_BLOCK_SPANS) blocks.push(encodeSpanBlock(blockOfRows(rows.slice(at, at + MAX_BLOCK_SPANS))));
    await appendBlocks(conn, blocks, nextBlockId);
    nextBlockId += BigInt(blocks.length);
    from = to;
  }
  await conn.run('DROP TABLE spans');
}

/** Rows in `SPANS_IN_RANGE`'s layout as a block's columns. */
function blockOfRows(rows: readonly (readonly unknown[])[]): BlockSpans {
  const n = rows.length;
  const resourceIds: bigint[] = [];
  const scopeIds: bigint[] = [];
  const slots = new Map<bigint, number>();
  const scopeSlots = new Map<bigint, number>();
  const out = allocateBlockSpans(n, resourceIds, scopeIds);

  const traceIds = new DataView(out.traceIds.buffer);
  const spanIds = new DataView(out.spanIds.buffer);
  const parentIds = new DataView(out.parentSpanIds.buffer);
  rows.forEach(([traceId, spanId, parentId, seq, resourceId, scopeId, name, kind, start, duration, statusCode, statusMessage, payload], i) => {
    traceIds.setBigUint64(16 * i, (traceId as bigint) >> 64n);
    traceIds.setBigUint64(16 * i + 8, BigInt.asUintN(64, traceId as bigint));
    spanIds.setBigUint64(8 * i, spanId as bigint);
    parentIds.setBigUint64(8 * i, parentId as bigint);
    out.seqs[i] = seq as bigint;
    out.resourceIndex[i] = slotOf(slots, resourceIds, resourceId as bigint);
    out.scopeIndex[i] = slotOf(scopeSlots, scopeIds, scopeId as bigint);
    out.kinds[i] = kind as number;
    out.statusCodes[i] = statusCode as number;
    out.startTimeUnixNano[i] = start as bigint;
    out.endTimeUnixNano[i] = BigInt.asIntN(64, (start as bigint) + (duration as bigint));
    out.names.push(name as string);
    out.statusMessages.push(statusMessage as string);
    out.payloads.push((payload as DuckDBBlobValue).bytes);
  });
  return out;
}
