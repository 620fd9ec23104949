/**
 * The services list and service kinds in ClickHouse (decisions of analysis/oracle/services.ts).
 * The counted calls are those starting in the window and, with a zone, in it (`zones.ts`).
 * Callers are the last path entries of the counted calls (the `unknown` caller is one service; a
 * root call adds none). Callees are the calls whose last path entry is a counted real call,
 * whenever they start and whatever their zone; that entry names the caller's kind and name, so
 * they are grouped by it without a join. Every aggregate merges exactly across shards. (18.16's
 * `uniqExact` of a Nullable column with only NULLs is NULL, not 0: hence the `ifNull`.)
 */
import { SERVICE_KINDS, type ServiceKind } from '../../../model/service.js';
import type { ServiceSummary, TimeRange, ZoneFilter } from '../../api/call-queries.js';
import { liveCallsFilter } from '../live-calls.js';
import type { ClickHouseTables } from '../tables.js';
import type { AnalyticsConnection, Row } from './connection.js';
import { windowSql } from './focal-sql.js';
import { stringLiteral } from '../sql-literal.js';
import { column, compareText, nanosToMs, percentileSql, toNumber, toText, toTexts } from './rows.js';
import { callInZoneSql, resourceIdsInSql } from './zones.js';

export interface ServiceStatements {
  readonly services: string;
  readonly callees: string;
}

export function serviceSummariesSql(tables: ClickHouseTables, range: TimeRange, zone?: ZoneFilter): ServiceStatements {
  const counted = (alias: string) =>
    [windowSql(`${alias}.start_time_ns`, range), liveCallsFilter(alias, tables), ...(zone === undefined ? [] : [callInZoneSql(tables, zone, alias)])].join('\n  AND ');
  // The callers of counted calls are real calls only, so the zone test on them is the plain one.
  const countedReal = [windowSql('p.start_time_ns', range), 'p.synthetic = 0', liveCallsFilter('p', tables), ...(zone === undefined ? [] : [resourceIdsInSql('p.resource_id', zone)])];
  return {
    services: `SELECT c.kind AS kind, c.service AS name, count() AS n, countIf(c.failed = 1) AS n_failed,
  ${percentileSql(0.5, 'c.duration_ns')} AS p50, ${percentileSql(0.9, 'c.duration_ns')} AS p90, ${percentileSql(0.99, 'c.duration_ns')} AS p99,
  uniqExactIf(c.path_kinds[-1], c.path_names[-1], c.depth > 0) AS callers, ifNull(uniqExact(c.instance), 0) AS instances,
  groupUniqArray(c.k8s_namespace) AS namespaces, groupUniqArray(c.k8s_workload) AS workloads, groupUniqArray(c.k8s_node) AS nodes
FROM ${tables.calls} AS c
WHERE ${counted('c')}
GROUP BY kind, name`,
    callees: `SELECT x.path_kinds[-1] AS caller_kind, x.path_names[-1] AS caller_name, uniqExact(x.kind, x.service) AS callees
FROM ${tables.calls} AS x
WHERE x.depth > 0 AND ${liveCallsFilter('x', tables)}
  AND (x.trace_id, x.path_call_ids[-1]) IN (SELECT p.trace_id, p.call_id FROM ${tables.local.calls} AS p WHERE ${countedReal.join(' AND ')})
GROUP BY caller_kind, caller_name`,
  };
}

export async function runServiceSummaries(conn: AnalyticsConnection, statements: ServiceStatements): Promise<ServiceSummary[]> {
  const [services, callees] = await Promise.all([conn.query(statements.services), conn.query(statements.callees)]);
  const key = (row: Row, kind: string, name: string) => JSON.stringify([toText(column(row, kind)), toText(column(row, name))]);
  const calleeCounts = new Map(callees.map((row) => [key(row, 'caller_kind', 'caller_name'), toNumber(column(row, 'callees'))]));
  const sorted = (value: unknown) => toTexts(value).sort(compareText);
  return services
    .map((row) => ({
      kind: toText(column(row, 'kind')) as ServiceKind,
      name: toText(column(row, 'name')),
      requests: toNumber(column(row, 'n')),
      failed: toNumber(column(row, 'n_failed')),
      durationP50Ms: nanosToMs(column(row, 'p50')),
      durationP90Ms: nanosToMs(column(row, 'p90')),
      durationP99Ms: nanosToMs(column(row, 'p99')),
      callers: toNumber(column(row, 'callers')),
      callees: calleeCounts.get(key(row, 'kind', 'name')) ?? 0,
      instances: toNumber(column(row, 'instances')),
      namespaces: sorted(column(row, 'namespaces')),
      workloads: sorted(column(row, 'workloads')),
      nodes: sorted(column(row, 'nodes')),
    }))
    .sort((a, b) => compareText(a.kind, b.kind) || compareText(a.name, b.name));
}

export function serviceKindsSql(tables: ClickHouseTables, name: string): string {
  return `SELECT DISTINCT c.kind AS kind FROM ${tables.calls} AS c WHERE c.service = ${stringLiteral(name)} AND ${liveCallsFilter('c', tables)}`;
}

/** In `SERVICE_KINDS` order. */
export function serviceKindsFromRows(rows: readonly Row[]): ServiceKind[] {
  const kinds = new Set(rows.map((row) => toText(column(row, 'kind'))));
  return SERVICE_KINDS.filter((kind) => kinds.has(kind));
}
