/**
 * Retention's part in the calls: deletes the calls that start before a cutoff, and keeps what
 * is derived from them exact (both rollups, the dirty minutes, the derivations).
 */
import { BIGINT } from '@duckdb/node-api';
import type { SerialConnection } from './connection.js';
import { BUCKET_NANOS, bucketOf, bucketSql, markDirty } from './analytics/rollup-minutes.js';
import { rebuildServiceRollup } from './analytics/service-rollup.js';

/**
 * Deletes the calls starting before `cutoffUnixNano`, rebuilds the services rollup, drops the flow
 * rollup's minutes before the cutoff and marks the ones it must rebuild, and deletes derivations
 * left with neither spans nor calls (so delete the spans first). Call inside the retention's
 * transaction, holding both writers.
 */
export async function deleteCallsBefore(conn: SerialConnection, cutoffUnixNano: bigint): Promise<void> {
  // Flow rollup rows are per minute of a focal call, and count the calls below it: the
  // minutes of focal calls that keep their place but lose calls below them (a callee
  // starting before the cutoff, its caller after) must be rebuilt, as must the cutoff's own.
  const cut = (await conn.query(`SELECT DISTINCT ${bucketSql('r.start_time_ns')} FROM calls r
    WHERE r.start_time_ns >= $1 AND EXISTS (SELECT 1 FROM calls o WHERE o.trace_id = r.trace_id AND o.start_time_ns < $1)`, [cutoffUnixNano], [BIGINT])).getRows();
  await conn.execute('DELETE FROM calls WHERE start_time_ns < $1', [cutoffUnixNano], [BIGINT]);
  await rebuildServiceRollup(conn);
  const cutoffBucket = bucketOf(cutoffUnixNano);
  await conn.execute('DELETE FROM flow_rollup WHERE bucket < $1', [cutoffBucket], [BIGINT]);
  await conn.execute('DELETE FROM flow_histogram WHERE bucket < $1', [cutoffBucket], [BIGINT]);
  // Minutes before the cutoff have no calls left and both rollups hold none of them; the
  // rest stay marked (the services rollup is exact for them now, the flow rollup may not be).
  await conn.execute('DELETE FROM rollup_dirty WHERE bucket < $1', [cutoffBucket], [BIGINT]);
  await markDirty(conn, [cutoffUnixNano, ...cut.map(([bucket]) => (bucket as bigint) * BUCKET_NANOS)], Date.now());
  await conn.execute(`DELETE FROM derivations d
    WHERE NOT EXISTS (SELECT 1 FROM trace_blocks t WHERE t.trace_id = d.trace_id)
      AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.trace_id = d.trace_id)`);
}
