/**
 * The flow rollup: per minute of a focal call's start and per flow node, the node's figures
 * summed over the focal calls of that minute, so a flow over many focal calls reads a few
 * thousand rows instead of every call below every focal call (10M spans, entry service: 570K
 * focal calls, 5.9M calls below them).
 *
 * A *slice* is one flow node as every focal service sees it: the focal call's kind, service and
 * request name, and the node's path from the focal call down (kinds and names, the node last; the
 * empty path is the focal calls themselves). `flow_slices` numbers the slices; rows are never
 * deleted, so a number always means the same slice.
 * - `flow_rollup (bucket, slice_id, calls, requests, failed, total_ns)`: for the focal calls
 *   starting in the minute, what `flow.ts` counts at that node. `requests` (distinct focal calls)
 *   adds up over minutes because each focal call lies in one minute.
 * - `flow_histogram (bucket, slice_id, duration_bucket, n)`: the node's call durations, counted
 *   per duration bucket (`duration-buckets.ts`), from which percentiles are read within 0.78%.
 *
 * Invariant: for every minute not in `rollup_dirty`, both tables hold exactly
 * `contributionsSql` over the stored calls for the focal calls starting in it. The minute of a
 * focal call's contributions is marked whenever any call of its trace is written or deleted,
 * because the call writer marks the minutes of every call it writes or deletes, and a trace's
 * calls are always written and deleted together. The rollup refresh (`rollup-refresh.ts`)
 * rebuilds both rollups of a quiet marked minute in one transaction; retention deletes the minutes
 * before its cutoff and marks the ones whose focal calls lost calls below them
 * (`call-retention.ts`); the migration builds it whole. ADR 0007 has the measurements and the
 * decision on percentiles.
 */
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { SerialConnection } from '../connection.js';
import { durationBucketSql } from './duration-buckets.js';
import { bucketSql } from './rollup-minutes.js';

export const FLOW_SLICES_DDL = `CREATE TABLE flow_slices (
  slice_id INTEGER NOT NULL,
  focal_kind VARCHAR NOT NULL,
  focal_service VARCHAR NOT NULL,
  focal_request VARCHAR NOT NULL,
  path_kinds VARCHAR[] NOT NULL,
  path_names VARCHAR[] NOT NULL
)`;

export const FLOW_ROLLUP_DDL = `CREATE TABLE flow_rollup (
  bucket BIGINT NOT NULL,
  slice_id INTEGER NOT NULL,
  calls BIGINT NOT NULL,
  requests BIGINT NOT NULL,
  failed BIGINT NOT NULL,
  total_ns HUGEINT NOT NULL
)`;

export const FLOW_HISTOGRAM_DDL = `CREATE TABLE flow_histogram (
  bucket BIGINT NOT NULL,
  slice_id INTEGER NOT NULL,
  duration_bucket INTEGER NOT NULL,
  n BIGINT NOT NULL
)`;

/** Conditions of one contribution statement, as SQL over bound parameters of the caller's. */
export interface ContributionScope {
  /**
   * Which focal calls contribute: a condition on their `calls` row, alias `c`. Give a query's part
   * of the window as one time range: zone maps skip the row groups outside a range, where a
   * disjunction of ranges, or a list of minutes, makes DuckDB read every row group (10M spans:
   * ~2 ms against ~20 ms).
   */
  readonly focal: string;
  /** Which path positions can name a focal call: a condition on `call_paths` columns and `position`; `true` for all. */
  readonly positions: string;
}

/**
 * The rollup's rows for the focal calls `scope` selects, in one result: node rows
 * (`duration_bucket` NULL; `calls, requests, failed, total_ns`) and histogram rows (`n` in
 * `calls`; the rest NULL), keyed by minute, focal kind, service and request, and node path.
 *
 * Every focal call counts at the root (the empty path). A call X lies below a real focal call F
 * when F's id is X's path call id at a position whose path entry is F's kind and service (as in
 * `flow.ts`); X counts at the node `path(X) after F, then X`.
 * X is found among the calls of F's trace by the trace id and the derivation seq every call of a
 * trace carries (ADR 0006), whose range lets zone maps skip the row groups of other writes; a call
 * id appears once in a path, so F is at one position of X's path at most (`list_position`).
 * Joining the calls with the focal calls before the path positions keeps the focal calls (the
 * small side) as the hash join's build side: joined with the positions first, DuckDB built the
 * table from millions of calls (10M spans: 0.53 s for 14K focal calls). The pairs are grouped by
 * numbers, joined to the texts and lists for the few groups at the end: a number per focal call
 * (`focal_key`, for the distinct count), per focal minute, kind, service and request
 * (`focal_group`) and per distinct path after the focal call (`rel_id`). Grouping the pairs by
 * the texts and lists themselves took three times as long (one minute at 36K spans/s: 3.1 s
 * against 1.9 s).
 */
export function contributionsSql(scope: ContributionScope): string {
  const node = 'focal_group, rel_id, kind, service';
  return `WITH flow_focal AS MATERIALIZED (
  SELECT c.trace_id, c.call_id, c.synthetic, c.derived_seq, c.kind, c.service, c.request, ${bucketSql('c.start_time_ns')} AS bucket,
    c.failed, c.duration_ns, row_number() OVER () AS focal_key
  FROM calls c WHERE ${scope.focal}
),
focal_groups AS MATERIALIZED (
  SELECT bucket, kind, service, request, row_number() OVER () AS focal_group
  FROM (SELECT DISTINCT bucket, kind, service, request FROM flow_focal)
),
flow_grouped AS MATERIALIZED (
  SELECT f.trace_id, f.call_id, f.synthetic, f.derived_seq, f.kind, f.service, f.failed, f.duration_ns, f.focal_key, g.focal_group
  FROM flow_focal f JOIN focal_groups g USING (bucket, kind, service, request)
),
flow_positions AS MATERIALIZED (
  SELECT path_key, position, focal_kind, focal_service, rel_kinds, rel_names, dense_rank() OVER (ORDER BY rel_kinds, rel_names) AS rel_id
  FROM (
    SELECT path_key, position, path_kinds[position] AS focal_kind, path_names[position] AS focal_service,
      list_slice(path_kinds, position + 1, len(path_kinds)) AS rel_kinds,
      list_slice(path_names, position + 1, len(path_names)) AS rel_names
    FROM (SELECT path_key, path_kinds, path_names, unnest(range(1, len(path_kinds) + 1)) AS position FROM call_paths)
    WHERE ${scope.positions}
  )
),
flow_pairs AS MATERIALIZED (
  SELECT f.focal_key, f.focal_group, NULL::BIGINT AS rel_id, NULL::VARCHAR AS kind, NULL::VARCHAR AS service, f.failed, f.duration_ns
  FROM flow_grouped f
  UNION ALL
  SELECT b.focal_key, b.focal_group, p.rel_id, b.x_kind, b.x_service, b.x_failed, b.x_duration_ns
  FROM (
    SELECT f.focal_key, f.focal_group, f.kind, f.service, x.path_key, list_position(x.path_call_ids, f.call_id) AS position,
      x.kind AS x_kind, x.service AS x_service, x.failed AS x_failed, x.duration_ns AS x_duration_ns
    FROM flow_grouped f JOIN calls x ON x.trace_id = f.trace_id AND x.derived_seq = f.derived_seq
    WHERE NOT f.synthetic
  ) b
  JOIN flow_positions p ON p.path_key = b.path_key AND p.position = b.position AND p.focal_kind = b.kind AND p.focal_service = b.service
),
flow_nodes AS (
  SELECT ${node}, NULL::INTEGER AS duration_bucket, count(*)::BIGINT AS calls, count(DISTINCT focal_key)::BIGINT AS requests,
    count(*) FILTER (WHERE failed)::BIGINT AS failed, sum(duration_ns)::HUGEINT AS total_ns
  FROM flow_pairs GROUP BY ${node}
  UNION ALL
  SELECT ${node}, ${durationBucketSql('duration_ns')} AS duration_bucket, count(*)::BIGINT, NULL::BIGINT, NULL::BIGINT, NULL::HUGEINT
  FROM flow_pairs GROUP BY ${node}, duration_bucket
)
SELECT g.bucket, g.kind AS focal_kind, g.service AS focal_service, g.request AS focal_request,
  CASE WHEN n.rel_id IS NULL THEN []::VARCHAR[] ELSE list_append(r.rel_kinds, n.kind) END AS path_kinds,
  CASE WHEN n.rel_id IS NULL THEN []::VARCHAR[] ELSE list_append(r.rel_names, n.service) END AS path_names,
  n.duration_bucket, n.calls, n.requests, n.failed, n.total_ns
FROM flow_nodes n JOIN focal_groups g USING (focal_group)
  LEFT JOIN (SELECT DISTINCT rel_id, rel_kinds, rel_names FROM flow_positions) r ON r.rel_id = n.rel_id`;
}

const STAGING_DDL = `CREATE TEMP TABLE IF NOT EXISTS flow_staging (
  bucket BIGINT, focal_kind VARCHAR, focal_service VARCHAR, focal_request VARCHAR, path_kinds VARCHAR[], path_names VARCHAR[],
  duration_bucket INTEGER, calls BIGINT, requests BIGINT, failed BIGINT, total_ns HUGEINT
)`;

const SLICE_MATCH = `l.focal_kind = s.focal_kind AND l.focal_service = s.focal_service AND l.focal_request = s.focal_request
    AND l.path_kinds = s.path_kinds AND l.path_names = s.path_names`;

/**
 * Replaces the rollup rows of the minutes `deleteWhere` selects (a condition on `bucket`) with the
 * contributions of the focal calls `focal` selects, which must be exactly the calls starting in
 * those minutes. Call inside a transaction, on the writer's connection. `values`/`types` bind
 * the `$n` placeholders both conditions use.
 */
export async function rebuildFlowBuckets(
  conn: SerialConnection,
  focal: string,
  deleteWhere: string,
  values: readonly DuckDBValue[] = [],
  types: readonly DuckDBType[] = [],
): Promise<void> {
  await conn.run(STAGING_DDL);
  await conn.execute(`INSERT INTO flow_staging ${contributionsSql({ focal, positions: 'true' })}`, values, types);
  await conn.run(`INSERT INTO flow_slices
    SELECT (SELECT coalesce(max(slice_id), 0) FROM flow_slices) + row_number() OVER (), *
    FROM (SELECT DISTINCT focal_kind, focal_service, focal_request, path_kinds, path_names FROM flow_staging
      EXCEPT SELECT focal_kind, focal_service, focal_request, path_kinds, path_names FROM flow_slices)`);
  await conn.execute(`DELETE FROM flow_rollup WHERE ${deleteWhere}`, values, types);
  await conn.execute(`DELETE FROM flow_histogram WHERE ${deleteWhere}`, values, types);
  await conn.run(`INSERT INTO flow_rollup SELECT s.bucket, l.slice_id, s.calls, s.requests, s.failed, s.total_ns
    FROM flow_staging s JOIN flow_slices l ON ${SLICE_MATCH} WHERE s.duration_bucket IS NULL`);
  await conn.run(`INSERT INTO flow_histogram SELECT s.bucket, l.slice_id, s.duration_bucket, s.calls
    FROM flow_staging s JOIN flow_slices l ON ${SLICE_MATCH} WHERE s.duration_bucket IS NOT NULL`);
  await conn.run('DELETE FROM flow_staging');
}

/** Rebuilds the whole flow rollup from the stored calls (migration). Call inside a transaction. */
export function rebuildFlowRollup(conn: SerialConnection): Promise<void> {
  return rebuildFlowBuckets(conn, 'true', 'true');
}
