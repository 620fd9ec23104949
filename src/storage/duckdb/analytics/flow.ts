/**
 * `flowGroups` in DuckDB. A call X lies below a focal call F (F real, same trace) exactly when F's
 * id is in X's `path_call_ids`; X's position in F's flow is the slice of X's path after F, plus X.
 * So the flow is one join of the focal calls with the calls of their traces, filtered by
 * `list_contains` and grouped by that slice. A call under several focal calls (recursion) pairs
 * with each of them, at its own position each time, as the oracle counts it.
 */
import type { DuckDBListValue } from '@duckdb/node-api';
import type { ServiceKind } from '../../../model/service.js';
import type { FlowGroup, FocalFilter, ServiceRef } from '../../api/call-queries.js';
import { focalCte } from './focal-sql.js';
import { nanosToMs, percentileSql, toNumber, toText } from './rows.js';
import { splitSections, unionSql, type SectionColumns } from './sections.js';
import { SqlParams } from './sql-params.js';
import type { Rows, Statement } from './statement.js';

const COLUMNS: SectionColumns = [
  ['rel_kinds', 'VARCHAR[]'],
  ['rel_names', 'VARCHAR[]'],
  ['kind', 'VARCHAR'],
  ['service', 'VARCHAR'],
  ['calls', 'BIGINT'],
  ['requests', 'BIGINT'],
  ['failed', 'BIGINT'],
  ['p50', 'BIGINT'],
  ['p90', 'BIGINT'],
  ['total', 'HUGEINT'],
];

const DURATIONS = { p50: percentileSql(0.5), p90: percentileSql(0.9), total: 'sum(duration_ns)' };

export function flowGroupsSql(filter: FocalFilter): Statement {
  const params = new SqlParams();
  const focal = focalCte(params, filter, 'c.trace_id, c.call_id, c.synthetic, c.failed, c.duration_ns, row_number() OVER () AS focal_key', { materialized: true });
  const pairs = `pairs AS (
  SELECT f.focal_key, x.kind, x.service, x.failed, x.duration_ns,
    list_slice(x.path_kinds, list_position(x.path_call_ids, f.call_id) + 1, x.depth) AS rel_kinds,
    list_slice(x.path_names, list_position(x.path_call_ids, f.call_id) + 1, x.depth) AS rel_names
  FROM focal f JOIN calls x ON x.trace_id = f.trace_id
  WHERE NOT f.synthetic AND list_contains(x.path_call_ids, f.call_id)
)`;
  const union = unionSql(COLUMNS, [
    {
      tag: 'root',
      values: { calls: 'count(*)', requests: 'count(*)', failed: 'count(*) FILTER (WHERE failed)', ...DURATIONS },
      from: 'FROM focal',
    },
    {
      tag: 'below',
      values: {
        rel_kinds: 'rel_kinds',
        rel_names: 'rel_names',
        kind: 'kind',
        service: 'service',
        calls: 'count(*)',
        requests: 'count(DISTINCT focal_key)',
        failed: 'count(*) FILTER (WHERE failed)',
        ...DURATIONS,
      },
      from: 'FROM pairs GROUP BY rel_kinds, rel_names, kind, service',
    },
  ]);
  return { sql: `WITH ${focal},\n${pairs}\n${union}`, params };
}

export function flowGroupsFromRows(rows: Rows): FlowGroup[] {
  const sections = splitSections(rows);
  const groups: FlowGroup[] = [];
  for (const row of sections.get('root') ?? []) {
    if (toNumber(row[4]) > 0) groups.push(group([], row));
  }
  for (const row of sections.get('below') ?? []) {
    const kinds = (row[0] as DuckDBListValue).items as ServiceKind[];
    const names = (row[1] as DuckDBListValue).items as string[];
    const path: ServiceRef[] = kinds.map((kind, i) => ({ kind, name: names[i]! }));
    path.push({ kind: toText(row[2]) as ServiceKind, name: toText(row[3]) });
    groups.push(group(path, row));
  }
  return groups;
}

function group(path: ServiceRef[], row: Rows[number]): FlowGroup {
  return {
    path,
    calls: toNumber(row[4]),
    requests: toNumber(row[5]),
    failed: toNumber(row[6]),
    durationP50Ms: nanosToMs(row[7]),
    durationP90Ms: nanosToMs(row[8]),
    durationTotalMs: nanosToMs(row[9]),
  };
}
