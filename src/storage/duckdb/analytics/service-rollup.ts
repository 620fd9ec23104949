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
 * Invariant: for every minute not in `rollup_dirty`, the rows equal `serviceContributionsSql`
 * over the stored calls, with one row per distinct value and `calls > 0`. The writer marks
 * minutes and a timer rebuilds them (`rollup-minutes.ts`); until then the services list reads
 * dirty minutes from `calls`. Retention drops and marks minutes like the flow rollup's
 * (`call-retention.ts`); the migration builds it whole (`rebuildServiceRollup`).
 * `service-rollup.test.ts` and the differential tests hold the services list to the oracle with
 * minutes dirty and clean.
 */
import type { SerialConnection } from '../connection.js';
import { bucketSql } from './rollup-minutes.js';

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


/**
 * The rollup rows of the calls `scope` selects (a condition on a `calls` row, given its alias):
 * columns `bucket, kind, service, facet, v1, v2, v3, v4, calls`, one row per distinct value.
 * For the callee facet, `scope` selects the counted (calling) call; its callees are read whatever
 * their own start.
 */
export function serviceContributionsSql(scope: (alias: string) => string): string {
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

/** Rebuilds the whole rollup from the stored calls (migration). Call inside a transaction. */
export async function rebuildServiceRollup(conn: SerialConnection): Promise<void> {
  await conn.run('DELETE FROM service_rollup');
  await conn.run(`INSERT INTO service_rollup SELECT * FROM (${serviceContributionsSql(() => 'true')}) WHERE calls > 0`);
}

