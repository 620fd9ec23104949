/**
 * Span rows as schema versions 1–5 held them (a `spans` row per span), for the migration tests,
 * which write such a store by hand and open it with today's code. New resources and scopes are
 * inserted as the span writer did.
 */
import { BIGINT, BLOB, MAP, UBIGINT, UHUGEINT, UTINYINT, VARCHAR, blobValue, mapValue } from '@duckdb/node-api';
import type { SpanBatch } from '../../../model/span-batch.js';
import { encodeAttributes, flattenAttributes } from '../attribute-codec.js';
import type { SerialConnection } from '../connection.js';
import { dataViewOf, spanIdAt, traceIdAt } from '../id-codec.js';

const INSERT_SPAN = `INSERT INTO spans VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`;
const SPAN_TYPES = [UHUGEINT, UBIGINT, UBIGINT, UBIGINT, UBIGINT, UBIGINT, VARCHAR, UTINYINT, BIGINT, BIGINT, UTINYINT, VARCHAR, BLOB];

/** Stores `batch` with seq `seq` in the `spans` table, in one transaction. */
export async function insertVersion1Spans(conn: SerialConnection, batch: SpanBatch, seq: bigint): Promise<void> {
  const traceIds = dataViewOf(batch.traceIds);
  const spanIds = dataViewOf(batch.spanIds);
  const parentIds = dataViewOf(batch.parentSpanIds);
  await conn.transaction(async () => {
    for (const r of batch.resources) {
      const strings = mapValue([...flattenAttributes(r.attributes)].map(([key, value]) => ({ key, value })));
      await conn.execute('INSERT INTO resources VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [r.id, blobValue(r.bytes), encodeAttributes(r.attributes), strings], [UBIGINT, BLOB, VARCHAR, MAP(VARCHAR, VARCHAR)]);
    }
    for (const s of batch.scopes) {
      await conn.execute('INSERT INTO scopes VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [s.id, blobValue(s.bytes), s.name, s.version], [UBIGINT, BLOB, VARCHAR, VARCHAR]);
    }
    for (let i = 0; i < batch.length; i++) {
      const start = batch.startTimeUnixNano[i]!;
      await conn.execute(INSERT_SPAN, [
        traceIdAt(traceIds, i),
        spanIdAt(spanIds, i),
        spanIdAt(parentIds, i),
        seq,
        batch.resources[batch.resourceIndex[i]!]!.id,
        batch.scopes[batch.scopeIndex[i]!]!.id,
        batch.names[i]!,
        batch.kinds[i]!,
        start,
        BigInt.asIntN(64, batch.endTimeUnixNano[i]! - start),
        batch.statusCodes[i]!,
        batch.statusMessages[i]!,
        blobValue(batch.payloads[i]!),
      ], SPAN_TYPES);
    }
  });
}
