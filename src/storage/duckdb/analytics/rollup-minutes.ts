/**
 * The minutes both rollups are kept by (`service-rollup.ts`, `flow-rollup.ts`): the bucket of a
 * start time, the table of minutes whose rollup rows may be stale, and the refresh that rebuilds
 * them.
 *
 * The call writer does not touch the rollups: it marks the minutes its calls start in (new ones
 * and deleted ones) dirty, in its transaction (`markDirty`), and the store rebuilds dirty minutes
 * in SQL once they have been quiet for a while (`refreshDirtyBuckets` in `rollup-refresh.ts`, on a
 * timer). Until then the
 * queries read dirty minutes from `calls`, as they do the edges of their window, so they are exact
 * at every moment. Keeping the services rollup inside every write instead (schema 5) cost a
 * quarter of the call writer's time (docs/benchmarks.md), on the path that bounds sustained ingest.
 */
import { BIGINT, LIST, listValue } from '@duckdb/node-api';
import type { SerialConnection } from '../connection.js';

/** One minute, the rollups' time resolution. */
export const BUCKET_NANOS = 60_000_000_000n;

/** The minute of a start time: floor(start / BUCKET_NANOS), exact for every BIGINT. */
export function bucketOf(startUnixNano: bigint): bigint {
  return startUnixNano >= 0n ? startUnixNano / BUCKET_NANOS : -((-(startUnixNano + 1n)) / BUCKET_NANOS) - 1n;
}

/** `bucketOf` in SQL, on a BIGINT column (no overflow: `-(x + 1)` fits for every BIGINT x). */
export function bucketSql(column: string): string {
  return `CASE WHEN ${column} >= 0 THEN ${column} // ${BUCKET_NANOS} ELSE -((-(${column} + 1)) // ${BUCKET_NANOS}) - 1 END`;
}

/** Which minutes' rollup rows may be stale, and when a write last marked them. */
export const ROLLUP_DIRTY_DDL = `CREATE TABLE rollup_dirty (
  bucket BIGINT NOT NULL,
  marked_ms BIGINT NOT NULL
)`;

/** Marks the minutes of `starts` dirty, at `nowMs`. Call inside the call write's transaction. */
export async function markDirty(conn: SerialConnection, starts: Iterable<bigint>, nowMs: number): Promise<void> {
  const buckets = new Set<bigint>();
  for (const start of starts) buckets.add(bucketOf(start));
  if (buckets.size === 0) return;
  await conn.execute('INSERT INTO rollup_dirty SELECT unnest($1::BIGINT[]), $2', [listValue([...buckets]), BigInt(nowMs)], [LIST(BIGINT), BIGINT]);
}

/** The dirty minutes, for a query that reads them from `calls` (run it in the query's transaction). */
export const DIRTY_BUCKETS = 'SELECT DISTINCT bucket FROM rollup_dirty';
