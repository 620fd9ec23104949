/**
 * Retention's part in the calls: deletes the calls that start before a cutoff, and keeps what
 * is derived from them exact (both rollups, the dirty minutes, the derivations).
 */
import { BIGINT } from '@duckdb/node-api';
import type { SerialConnection } from './connection.js';
import { BUCKET_NANOS, bucketOf, bucketSql, markDirty } from './analytics/rollup-minutes.js';

/**
 * Deletes the calls starting before `cutoffUnixNano` and keeps both rollups exact the way call
 * writes do (`rollup-minutes.ts`): the minutes before the cutoff lose all their rows, and the
 * minutes whose rows may change are marked for the refresh. Then deletes derivations left with
 * neither spans nor calls (so delete the spans first). Call inside the retention's transaction,
 * holding both writers.
 *
 * Rollup rows are per minute of a call's start (the services list's) or of a focal call's start
 * (the flow's), and both count calls below that call (callees, flow nodes) whatever their own
 * start. So the minutes to rebuild are the cutoff's own and those of calls that stay while their
 * trace loses calls (a callee starting before the cutoff, its caller after).
 */
export async function deleteCallsBefore(conn: SerialConnection, cutoffUnixNano: bigint): Promise<void> {
  const cut = (await conn.query(`SELECT DISTINCT ${bucketSql('r.start_time_ns')} FROM calls r
    WHERE r.start_time_ns >= $1 AND EXISTS (SELECT 1 FROM calls o WHERE o.trace_id = r.trace_id AND o.start_time_ns < $1)`, [cutoffUnixNano], [BIGINT])).getRows();
  await conn.execute('DELETE FROM calls WHERE start_time_ns < $1', [cutoffUnixNano], [BIGINT]);
  const before = [bucketOf(cutoffUnixNano)];
  for (const table of ['service_rollup', 'flow_rollup', 'flow_histogram', 'rollup_dirty']) {
    await conn.execute(`DELETE FROM ${table} WHERE bucket < $1`, before, [BIGINT]);
  }
  await markDirty(conn, [cutoffUnixNano, ...cut.map(([bucket]) => (bucket as bigint) * BUCKET_NANOS)], Date.now());
  await conn.execute(`DELETE FROM derivations d
    WHERE NOT EXISTS (SELECT 1 FROM trace_blocks t WHERE t.trace_id = d.trace_id)
      AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.trace_id = d.trace_id)`);
}
