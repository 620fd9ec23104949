/**
 * The services list's rollup: `service_rollup` holds, per minute of call start time and per
 * service (kind, name), the distinct values the list counts — where the calls ran (instance,
 * namespace, workload, node), who called them, whom they called — each with how many calls carry
 * it. The services list reads the minutes inside its window from here (a few hundred rows an
 * hour) instead of grouping every call of the window, and computes only the minutes at the
 * window's edges from `calls` (see `services.ts`). Its RED figures (counts, exact percentiles) are
 * not rolled up: nearest-rank percentiles need every duration.
 *
 * Facets (the `facet` column and what `v1…v4` hold), for the calls starting in that minute:
 * - 1 `where`: instance, k8s namespace, workload, node of the call (each may be NULL);
 * - 2 `caller`: kind and name of the call's last path entry (calls with a caller only; the
 *   `unknown` caller is one);
 * - 3 `callee`: kind and name of each call X whose last path entry is the call (X is in the same
 *   trace and names it by id), counted at the call's minute whatever X's own start.
 *
 * Invariant: for every minute not in `rollup_dirty`, the rows equal `contributionsSql` over the
 * stored calls, with one row per distinct value and `calls > 0`. The call writer does not touch
 * the rollup: it marks the minutes its calls start in (new ones and deleted ones) dirty, in its
 * transaction (`markDirty`), and the store rebuilds dirty minutes in SQL once they have been quiet
 * for a while (`refreshDirtyBuckets`, on a timer). Until then the services list reads dirty
 * minutes from `calls`. Keeping the rollup inside every write instead (schema 5) cost a quarter of
 * the call writer's time (docs/benchmarks.md), on the path that bounds sustained ingest.
 * Retention and the migration rebuild it whole (`rebuildServiceRollup`). `service-rollup.test.ts`
 * and the differential tests hold the services list to the oracle with minutes dirty and clean.
 */
import { BIGINT, LIST, listValue } from '@duckdb/node-api';
import type { SerialConnection } from '../connection.js';

/** One minute, the rollup's time resolution. */
export const BUCKET_NANOS = 60_000_000_000n;

export const SERVICE_ROLLUP_DDL = `CREATE TABLE service_rollup (
  bucket BIGINT NOT NULL,
  kind VARCHAR NOT NULL,
  service VARCHAR NOT NULL,
  facet UTINYINT NOT NULL,
  v1 VARCHAR,
  v2 VARCHAR,
  v3 VARCHAR,
  v4 VARCHAR,
  calls BIGINT NOT NULL
)`;

export const FACET_WHERE = 1;
export const FACET_CALLER = 2;
export const FACET_CALLEE = 3;


/** The minute of a start time: floor(start / BUCKET_NANOS), exact for every BIGINT. */
export function bucketOf(startUnixNano: bigint): bigint {
  return startUnixNano >= 0n ? startUnixNano / BUCKET_NANOS : -((-(startUnixNano + 1n)) / BUCKET_NANOS) - 1n;
}

/** `bucketOf` in SQL, on a BIGINT column (no overflow: `-(x + 1)` fits for every BIGINT x). */
export function bucketSql(column: string): string {
  return `CASE WHEN ${column} >= 0 THEN ${column} // ${BUCKET_NANOS} ELSE -((-(${column} + 1)) // ${BUCKET_NANOS}) - 1 END`;
}

/**
 * The rollup rows of the calls `scope` selects (a condition on a `calls` row, given its alias):
 * columns `bucket, kind, service, facet, v1, v2, v3, v4, calls`, one row per distinct value.
 * For the callee facet, `scope` selects the counted (calling) call; its callees are read whatever
 * their own start.
 */
export function contributionsSql(scope: (alias: string) => string): string {
  return `SELECT bucket, kind, service, facet, v1, v2, v3, v4, sum(n)::BIGINT AS calls FROM (
  SELECT ${bucketSql('c.start_time_ns')} AS bucket, c.kind, c.service, ${FACET_WHERE} AS facet,
    c.instance AS v1, c.k8s_namespace AS v2, c.k8s_workload AS v3, c.k8s_node AS v4, count(*) AS n
  FROM calls c WHERE ${scope('c')}
  GROUP BY ALL
  UNION ALL
  SELECT k.bucket, k.kind, k.service, ${FACET_CALLER}, p.path_kinds[len(p.path_kinds)], p.path_names[len(p.path_names)], NULL, NULL, sum(k.n)
  FROM (SELECT ${bucketSql('c.start_time_ns')} AS bucket, c.kind, c.service, c.path_key, count(*) AS n
    FROM calls c WHERE ${scope('c')} AND c.depth > 0 GROUP BY ALL) k
  JOIN call_paths p ON p.path_key = k.path_key
  GROUP BY ALL
  UNION ALL
  SELECT ${bucketSql('c.start_time_ns')}, c.kind, c.service, ${FACET_CALLEE}, x.kind, x.service, NULL, NULL, count(*)
  FROM calls c JOIN calls x ON x.trace_id = c.trace_id AND x.path_call_ids[x.depth] = c.call_id
  WHERE NOT c.synthetic AND ${scope('c')}
  GROUP BY ALL
) GROUP BY ALL`;
}

/** Rebuilds the whole rollup from the stored calls (migration, retention). Call inside a transaction. */
export async function rebuildServiceRollup(conn: SerialConnection): Promise<void> {
  await conn.run('DELETE FROM service_rollup');
  await conn.run(`INSERT INTO service_rollup SELECT * FROM (${contributionsSql(() => 'true')}) WHERE calls > 0`);
}

/**
 * Which minutes' rollup rows may be stale: the call writer marks the minutes of the calls it
 * writes and deletes (in its transaction), and `refreshDirtyBuckets` rebuilds marked minutes once
 * no write has touched them for a while. Until then the services list computes those minutes
 * from `calls`, as it does the window's edges, so it is exact at every moment.
 */
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

/**
 * Rebuilds the rollup rows of up to `limit` dirty minutes whose last mark is at or before
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
    await conn.execute('DELETE FROM service_rollup WHERE bucket IN (SELECT unnest($1::BIGINT[]))', list, types);
    await conn.execute(`INSERT INTO service_rollup SELECT * FROM (${contributionsSql(scope)}) WHERE calls > 0`, list, types);
    await conn.execute('DELETE FROM rollup_dirty WHERE bucket IN (SELECT unnest($1::BIGINT[]))', list, types);
    return buckets.length;
  });
}
