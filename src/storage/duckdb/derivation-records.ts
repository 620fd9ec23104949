/**
 * What the store records about derivation, for the assembler (`Storage`'s derivation methods):
 * which traces have a derivation (the `derivations` rows the call writer upserts, `call-writer.ts`),
 * which traces' spans are newer than their calls, and the derived watermark in `meta`. Reads run
 * on a reader connection; the watermark is written on the call writer's.
 */
import { LIST, UBIGINT, UHUGEINT, listValue } from '@duckdb/node-api';
import type { SerialConnection } from './connection.js';
import { parseTraceId, traceIdHex } from './id-codec.js';
import { SET_META } from './span-writer.js';

/** Which of `traceIds` have a `derivations` row. */
export async function derivedTraces(conn: SerialConnection, traceIds: readonly string[]): Promise<Set<string>> {
  const ids = traceIds.map(parseTraceId);
  if (ids.length === 0) return new Set<string>();
  // A join with the unnested list (0.9 ms p50 for 50 ids among 1M) beats `IN (SELECT unnest(…))` (2.8 ms).
  const rows = (await conn.query(`SELECT d.trace_id FROM derivations d
    JOIN (SELECT DISTINCT unnest($1::UHUGEINT[]) AS trace_id) q ON d.trace_id = q.trace_id`, [listValue(ids)], [LIST(UHUGEINT)])).getRows();
  return new Set(rows.map(([id]) => traceIdHex(id as bigint)));
}

/** The traces with spans appended after `afterSeq` (below 0: every append) that are newer than their derivation, or have none. */
export async function tracesNeedingDerivation(conn: SerialConnection, afterSeq: bigint): Promise<string[]> {
  // `last_seq` grows with insertion order, so zone maps confine this scan to the recent row groups.
  const rows = (await conn.query(`SELECT s.trace_id
    FROM (SELECT trace_id, max(last_seq) AS last_seq FROM trace_blocks WHERE last_seq > $1 GROUP BY trace_id) s
    LEFT JOIN derivations d ON d.trace_id = s.trace_id
    WHERE d.derived_seq IS NULL OR d.derived_seq < s.last_seq`, [afterSeq < 0n ? 0n : afterSeq], [UBIGINT])).getRows();
  return rows.map(([id]) => traceIdHex(id as bigint));
}

export async function readDerivedWatermark(conn: SerialConnection): Promise<bigint> {
  const rows = (await conn.query('SELECT value FROM meta WHERE key = $1', ['derived_watermark'])).getRows();
  return rows.length === 0 ? 0n : BigInt(rows[0]![0] as string);
}

export async function writeDerivedWatermark(conn: SerialConnection, seq: bigint): Promise<void> {
  await conn.execute(SET_META, ['derived_watermark', seq.toString()]);
}
