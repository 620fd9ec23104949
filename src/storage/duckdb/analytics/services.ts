/**
 * The services list, service kinds and the resource list for zones, in DuckDB.
 *
 * Services list (decisions of analysis/oracle/services.ts): the counted calls are those starting in
 * the window and, with a zone, whose resource is in it — a synthetic call through the resource of
 * the call that made it (its last path entry). Callers are the last path entries of the counted
 * calls (the `unknown` caller is one service; a root call adds none). Callees are the calls whose
 * last path entry is a counted call, whenever they start and whatever their zone.
 */
import type { DuckDBListValue, DuckDBMapValue } from '@duckdb/node-api';
import { SERVICE_KINDS, type ServiceKind } from '../../../model/service.js';
import type { ServiceSummary, TimeRange, ZoneFilter } from '../../api/call-queries.js';
import { id64Hex } from '../id-codec.js';
import { compareText, nanosToMs, percentileSql, toNumber, toText } from './rows.js';
import { SqlParams, windowSql } from './sql-params.js';
import type { Rows, Statement } from './statement.js';

export function serviceSummariesSql(range: TimeRange, zone?: ZoneFilter): Statement {
  const params = new SqlParams();
  const window = windowSql(params, 'c.start_time_ns', range);
  const zoned =
    zone === undefined
      ? `FROM calls c WHERE ${window}`
      : `FROM calls c
  LEFT JOIN calls o ON c.synthetic AND o.trace_id = c.trace_id AND o.call_id = c.path_call_ids[c.depth] AND NOT o.synthetic
  JOIN (SELECT DISTINCT unnest(${params.resourceIds(zone.resourceIds)}) AS id) z ON z.id = CASE WHEN c.synthetic THEN o.resource_id ELSE c.resource_id END
  WHERE ${window}`;
  const distinctSorted = (column: string) => `list(DISTINCT ${column}) FILTER (WHERE ${column} IS NOT NULL)`;
  const sql = `WITH counted AS MATERIALIZED (
  SELECT c.trace_id, c.call_id, c.synthetic, c.kind, c.service, c.failed, c.duration_ns, c.instance, c.k8s_namespace, c.k8s_workload, c.k8s_node,
    c.path_kinds[c.depth] AS caller_kind, c.path_names[c.depth] AS caller_name
  ${zoned}
),
summary AS (
  SELECT kind, service, count(*) AS requests, count(*) FILTER (WHERE failed) AS failed,
    ${percentileSql(0.5)} AS p50, ${percentileSql(0.9)} AS p90, ${percentileSql(0.99)} AS p99,
    count(DISTINCT (caller_kind, caller_name)) FILTER (WHERE caller_kind IS NOT NULL) AS callers,
    count(DISTINCT instance) AS instances,
    ${distinctSorted('k8s_namespace')} AS namespaces, ${distinctSorted('k8s_workload')} AS workloads, ${distinctSorted('k8s_node')} AS nodes
  FROM counted GROUP BY kind, service
),
callees AS (
  SELECT c.kind, c.service, count(DISTINCT (x.kind, x.service)) AS callees
  FROM counted c JOIN calls x ON x.trace_id = c.trace_id AND x.path_call_ids[x.depth] = c.call_id
  WHERE NOT c.synthetic
  GROUP BY c.kind, c.service
)
SELECT s.kind, s.service, s.requests, s.failed, s.p50, s.p90, s.p99, s.callers, coalesce(e.callees, 0), s.instances, s.namespaces, s.workloads, s.nodes
FROM summary s LEFT JOIN callees e ON e.kind = s.kind AND e.service = s.service`;
  return { sql, params };
}

export function serviceSummariesFromRows(rows: Rows): ServiceSummary[] {
  return rows
    .map((row) => ({
      kind: toText(row[0]) as ServiceKind,
      name: toText(row[1]),
      requests: toNumber(row[2]),
      failed: toNumber(row[3]),
      durationP50Ms: nanosToMs(row[4]),
      durationP90Ms: nanosToMs(row[5]),
      durationP99Ms: nanosToMs(row[6]),
      callers: toNumber(row[7]),
      callees: toNumber(row[8]),
      instances: toNumber(row[9]),
      namespaces: sortedTexts(row[10]),
      workloads: sortedTexts(row[11]),
      nodes: sortedTexts(row[12]),
    }))
    .sort((a, b) => compareText(a.kind, b.kind) || compareText(a.name, b.name));
}

function sortedTexts(value: Rows[number][number] | undefined): string[] {
  if (value === null || value === undefined) return [];
  return [...((value as DuckDBListValue).items as string[])].sort(compareText);
}

export function serviceKindsSql(name: string): Statement {
  const params = new SqlParams();
  return { sql: `SELECT DISTINCT kind FROM calls WHERE service = ${params.text(name)}`, params };
}

/** In `SERVICE_KINDS` order. */
export function serviceKindsFromRows(rows: Rows): ServiceKind[] {
  const kinds = new Set(rows.map((row) => row[0] as string));
  return SERVICE_KINDS.filter((kind) => kinds.has(kind));
}

export const LIST_RESOURCES_SQL = 'SELECT id, attribute_strings FROM resources';

export function resourcesFromRows(rows: Rows): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const [id, strings] of rows) {
    // fromEntries defines own properties, so a key such as `__proto__` stays an attribute.
    const attributes = Object.fromEntries((strings as DuckDBMapValue).entries.map(({ key, value }) => [key as string, value as string]));
    out.set(id64Hex(id as bigint), attributes);
  }
  return out;
}
