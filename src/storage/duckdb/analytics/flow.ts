/**
 * `flowGroups` in DuckDB. A call X lies below a focal call F (F real, same trace) exactly when F's
 * id is in X's `path_call_ids`; X's position in F's flow is the slice of X's path after F, plus X.
 * So the flow is one join of the focal calls with the calls of their traces, filtered by
 * `list_contains` and grouped by that slice. A call under several focal calls (recursion) pairs
 * with each of them, at its own position each time, as the oracle counts it.
 *
 * The slice is not cut per pair. `relative` cuts it once per (path, position) on the `call_paths`
 * dictionary, for the positions that hold the focal service (F's own entry in X's path is F:
 * a path entry carries the kind and name of the call it names), and numbers the distinct slices;
 * a pair finds its number by X's `path_key` and F's position, and the pairs are grouped by that
 * number. Grouping every pair by its two sliced lists cost ~70% of the statement (1M spans: 481K
 * pairs). A pair without a number would mean a broken store invariant: the LEFT JOIN keeps it,
 * and the mapping rejects the answer rather than lose it.
 */
import type { DuckDBListValue } from '@duckdb/node-api';
import type { ServiceKind } from '../../../model/service.js';
import type { FlowGroup, FocalFilter, ServiceRef } from '../../api/call-queries.js';
import { StorageError } from '../../api/storage.js';
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
  ['unnumbered', 'BOOLEAN'],
];

const DURATIONS = { p50: percentileSql(0.5), p90: percentileSql(0.9), total: 'sum(duration_ns)' };

export function flowGroupsSql(filter: FocalFilter): Statement {
  const params = new SqlParams();
  const focal = focalCte(params, filter, 'c.trace_id, c.call_id, c.synthetic, c.failed, c.duration_ns, row_number() OVER () AS focal_key', { materialized: true });
  const relative = `relative AS MATERIALIZED (
  SELECT path_key, position,
    list_slice(path_kinds, position + 1, len(path_kinds)) AS rel_kinds,
    list_slice(path_names, position + 1, len(path_names)) AS rel_names,
    dense_rank() OVER (ORDER BY rel_kinds, rel_names) AS rel_id
  FROM (SELECT path_key, path_kinds, path_names, unnest(range(1, len(path_kinds) + 1)) AS position FROM call_paths)
  WHERE path_kinds[position] = ${params.text(filter.service.kind)} AND path_names[position] = ${params.text(filter.service.name)}
),
slices AS (SELECT DISTINCT rel_id, rel_kinds, rel_names FROM relative),
below AS (
  SELECT r.rel_id, x.kind, x.service, count(*) AS calls, count(DISTINCT f.focal_key) AS requests,
    count(*) FILTER (WHERE x.failed) AS failed, ${percentileSql(0.5, 'x.duration_ns')} AS p50, ${percentileSql(0.9, 'x.duration_ns')} AS p90,
    sum(x.duration_ns) AS total
  FROM focal f JOIN calls x ON x.trace_id = f.trace_id
    LEFT JOIN relative r ON r.path_key = x.path_key AND r.position = list_position(x.path_call_ids, f.call_id)
  WHERE NOT f.synthetic AND list_contains(x.path_call_ids, f.call_id)
  GROUP BY r.rel_id, x.kind, x.service
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
        rel_kinds: 's.rel_kinds',
        rel_names: 's.rel_names',
        kind: 'b.kind',
        service: 'b.service',
        calls: 'b.calls',
        requests: 'b.requests',
        failed: 'b.failed',
        p50: 'b.p50',
        p90: 'b.p90',
        total: 'b.total',
        unnumbered: 'b.rel_id IS NULL',
      },
      from: 'FROM below b LEFT JOIN slices s ON s.rel_id = b.rel_id',
    },
  ]);
  return { sql: `WITH ${focal},\n${relative}\n${union}`, params };
}

export function flowGroupsFromRows(rows: Rows): FlowGroup[] {
  const sections = splitSections(rows);
  const groups: FlowGroup[] = [];
  for (const row of sections.get('root') ?? []) {
    if (toNumber(row[4]) > 0) groups.push(group([], row));
  }
  for (const row of sections.get('below') ?? []) {
    if (row[10] === true) throw new StorageError('calls below a focal call whose path has no row in call_paths: the store is inconsistent');
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
