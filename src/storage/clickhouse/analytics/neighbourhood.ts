/**
 * `serviceNeighbourhood` in ClickHouse: one hop around the focal calls.
 * - callers: the focal calls by their last path entry (`[-1]`, the `unknown` caller for an
 *   orphan); those with an empty path started here;
 * - callees: the calls whose last path entry is a real focal call (whenever they start). That
 *   entry names the focal call, so it has the focal service's kind and name: a PREWHERE on the
 *   name spares reading and looking up every other call;
 * - requests and instances: the focal calls grouped, with nearest-rank percentiles.
 */
import type { CallerKind } from '../../../model/service.js';
import type { FocalFilter, HopCount, InstanceSummary, RequestSummary, ServiceNeighbourhood } from '../../api/call-queries.js';
import { liveCallsFilter } from '../live-calls.js';
import type { ClickHouseTables } from '../tables.js';
import type { AnalyticsConnection, Row } from './connection.js';
import { focalWhere } from './focal-sql.js';
import { stringLiteral } from '../sql-literal.js';
import {
  byCountThenService,
  byCountThenText,
  column,
  compareInstanceGroups,
  INSTANCE_COLUMNS,
  instanceFromRow,
  instanceSelect,
  nanosToMs,
  percentileSql,
  toNumber,
  toText,
} from './rows.js';

export interface NeighbourhoodStatements {
  readonly callers: string;
  readonly callees: string;
  readonly requests: string;
  readonly instances: string;
}

export function serviceNeighbourhoodSql(tables: ClickHouseTables, filter: FocalFilter): NeighbourhoodStatements {
  const focal = `FROM ${tables.calls} AS c\nWHERE ${focalWhere(tables, filter, 'c')}`;
  const counts = 'count() AS n, countIf(c.failed = 1) AS n_failed';
  return {
    // An empty path reads '' for the entry: such rows are the `started here` group (depth 0).
    callers: `SELECT c.depth = 0 AS here, c.path_kinds[-1] AS hop_kind, c.path_names[-1] AS hop_name, ${counts}
${focal}
GROUP BY here, hop_kind, hop_name`,
    callees: `SELECT x.kind AS hop_kind, x.service AS hop_name, count() AS n, countIf(x.failed = 1) AS n_failed
FROM ${tables.calls} AS x
PREWHERE x.path_names[-1] = ${stringLiteral(filter.service.name)}
WHERE x.depth > 0 AND x.path_kinds[-1] = ${stringLiteral(filter.service.kind)} AND x.path_names[-1] = ${stringLiteral(filter.service.name)} AND ${liveCallsFilter('x', tables)}
  AND (x.trace_id, x.path_call_ids[-1]) IN (SELECT f.trace_id, f.call_id FROM ${tables.local.calls} AS f WHERE ${focalWhere(tables, filter, 'f', ['f.synthetic = 0'])})
GROUP BY hop_kind, hop_name`,
    requests: `SELECT c.request AS request, ${counts}, ${percentileSql(0.5, 'c.duration_ns')} AS p50, ${percentileSql(0.9, 'c.duration_ns')} AS p90, ${percentileSql(0.99, 'c.duration_ns')} AS p99
${focal}
GROUP BY request`,
    instances: `SELECT ${instanceSelect('c')}, ${counts}, ${percentileSql(0.5, 'c.duration_ns')} AS p50
${focal}
GROUP BY ${INSTANCE_COLUMNS.join(', ')}`,
  };
}

export async function runServiceNeighbourhood(conn: AnalyticsConnection, statements: NeighbourhoodStatements): Promise<ServiceNeighbourhood> {
  const [callerRows, calleeRows, requestRows, instanceRows] = await Promise.all([
    conn.query(statements.callers),
    conn.query(statements.callees),
    conn.query(statements.requests),
    conn.query(statements.instances),
  ]);
  const hop = (row: Row): HopCount => ({
    kind: toText(column(row, 'hop_kind')) as CallerKind,
    name: toText(column(row, 'hop_name')),
    calls: toNumber(column(row, 'n')),
    failed: toNumber(column(row, 'n_failed')),
  });
  const isHere = (row: Row) => toNumber(column(row, 'here')) === 1;
  const requests: RequestSummary[] = requestRows
    .map((row) => ({
      name: toText(column(row, 'request')),
      requests: toNumber(column(row, 'n')),
      failed: toNumber(column(row, 'n_failed')),
      durationP50Ms: nanosToMs(column(row, 'p50')),
      durationP90Ms: nanosToMs(column(row, 'p90')),
      durationP99Ms: nanosToMs(column(row, 'p99')),
    }))
    .sort(byCountThenText((r) => r.requests, (r) => r.name));
  const instances: InstanceSummary[] = instanceRows
    .map((row) => ({ ...instanceFromRow(row), requests: toNumber(column(row, 'n')), failed: toNumber(column(row, 'n_failed')), durationP50Ms: nanosToMs(column(row, 'p50')) }))
    .sort(compareInstanceGroups);
  return {
    callers: callerRows.filter((row) => !isHere(row)).map(hop).sort(byCountThenService((h) => h.calls)),
    startedHere: callerRows.filter(isHere).reduce((sum, row) => sum + toNumber(column(row, 'n')), 0),
    callees: calleeRows.map(hop).sort(byCountThenService((h) => h.calls)),
    requests,
    instances,
  };
}
