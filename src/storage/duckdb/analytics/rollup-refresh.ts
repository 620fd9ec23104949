/** The rollup refresh: rebuilds the marked minutes of both rollups (`rollup-minutes.ts`). */
import { BIGINT, LIST, listValue } from '@duckdb/node-api';
import type { SerialConnection } from '../connection.js';
import { rebuildFlowBuckets } from './flow-rollup.js';
import { BUCKET_NANOS, bucketSql } from './rollup-minutes.js';
import { serviceContributionsSql } from './service-rollup.js';

/**
 * Rebuilds both rollups' rows of up to `limit` dirty minutes whose last mark is at or before
 * `quietSinceMs`, oldest minutes first, in one transaction; resolves with how many. Runs on the
 * call writer's connection, so no write marks a minute meanwhile.
 */
export async function refreshDirtyBuckets(conn: SerialConnection, quietSinceMs: number, limit = 30): Promise<number> {
  return conn.transaction(async () => {
    const rows = (await conn.query('SELECT bucket FROM rollup_dirty GROUP BY bucket HAVING max(marked_ms) <= $1 ORDER BY bucket LIMIT $2', [BigInt(quietSinceMs), BigInt(limit)], [BIGINT, BIGINT])).getRows();
    if (rows.length === 0) return 0;
    const buckets = rows.map(([bucket]) => bucket as bigint);
    const list = [listValue(buckets)];
    const types = [LIST(BIGINT)];
    // A start-time range first, so zone maps skip the row groups of other minutes.
    const lowest = buckets[0]! * BUCKET_NANOS;
    const highest = buckets.at(-1)! * BUCKET_NANOS + (BUCKET_NANOS - 1n);
    const scope = (alias: string) =>
      `${alias}.start_time_ns BETWEEN ${lowest} AND ${highest} AND ${bucketSql(`${alias}.start_time_ns`)} IN (SELECT unnest($1::BIGINT[]))`;
    const inBuckets = 'bucket IN (SELECT unnest($1::BIGINT[]))';
    await conn.execute(`DELETE FROM service_rollup WHERE ${inBuckets}`, list, types);
    await conn.execute(`INSERT INTO service_rollup SELECT * FROM (${serviceContributionsSql(scope)}) WHERE calls > 0`, list, types);
    await rebuildFlowBuckets(conn, scope('c'), inBuckets, list, types);
    await conn.execute(`DELETE FROM rollup_dirty WHERE ${inBuckets}`, list, types);
    return buckets.length;
  });
}
