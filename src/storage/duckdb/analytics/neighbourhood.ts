/**
 * `serviceNeighbourhood` in DuckDB: one hop around the focal calls, in one statement.
 * - callers: the last path entry (`depth`), which is the `unknown` caller for an orphan;
 * - callees: the calls whose last path entry has a focal call's id (whenever they start);
 * - requests and instances: the focal calls grouped, with nearest-rank percentiles.
 */
import type { CallerKind } from '../../../model/service.js';
import type { FocalFilter, HopCount, InstanceSummary, RequestSummary, ServiceNeighbourhood } from '../../api/call-queries.js';
import { focalCte } from './focal-sql.js';
import { byCountThenService, byCountThenText, compareInstanceGroups, INSTANCE_COLUMNS, instanceFromRow, nanosToMs, percentileSql, toNumber, toText } from './rows.js';
import { splitSections, unionSql, type SectionColumns } from './sections.js';
import { SqlParams } from './sql-params.js';
import type { Rows, Statement } from './statement.js';

const COLUMNS: SectionColumns = [
  ['kind', 'VARCHAR'],
  ['name', 'VARCHAR'],
  ...INSTANCE_COLUMNS.slice(1).map((name) => [name, 'VARCHAR'] as const),
  ['n', 'BIGINT'],
  ['failed', 'BIGINT'],
  ['p50', 'BIGINT'],
  ['p90', 'BIGINT'],
  ['p99', 'BIGINT'],
];

const COUNTS = { n: 'count(*)', failed: 'count(*) FILTER (WHERE failed)' };

export function serviceNeighbourhoodSql(filter: FocalFilter): Statement {
  const params = new SqlParams();
  const columns = `c.trace_id, c.call_id, c.synthetic, c.request, c.failed, c.duration_ns, c.depth,
    c.path_kinds[c.depth] AS caller_kind, c.path_names[c.depth] AS caller_name, ${INSTANCE_COLUMNS.map((column) => `c.${column}`).join(', ')}`;
  const focal = focalCte(params, filter, columns, { materialized: true });
  const union = unionSql(COLUMNS, [
    { tag: 'caller', values: { kind: 'caller_kind', name: 'caller_name', ...COUNTS }, from: 'FROM focal WHERE depth > 0 GROUP BY caller_kind, caller_name' },
    { tag: 'here', values: { n: 'count(*)' }, from: 'FROM focal WHERE depth = 0' },
    {
      tag: 'callee',
      values: { kind: 'x.kind', name: 'x.service', n: 'count(*)', failed: 'count(*) FILTER (WHERE x.failed)' },
      from: `FROM focal f JOIN calls x ON x.trace_id = f.trace_id AND x.path_call_ids[x.depth] = f.call_id
   WHERE NOT f.synthetic GROUP BY x.kind, x.service`,
    },
    {
      tag: 'request',
      values: { name: 'request', ...COUNTS, p50: percentileSql(0.5), p90: percentileSql(0.9), p99: percentileSql(0.99) },
      from: 'FROM focal GROUP BY request',
    },
    {
      tag: 'instance',
      values: { name: 'instance', ...Object.fromEntries(INSTANCE_COLUMNS.slice(1).map((c) => [c, c])), ...COUNTS, p50: percentileSql(0.5) },
      from: `FROM focal GROUP BY ${INSTANCE_COLUMNS.join(', ')}`,
    },
  ]);
  return { sql: `WITH ${focal}\n${union}`, params };
}

export function serviceNeighbourhoodFromRows(rows: Rows): ServiceNeighbourhood {
  const sections = splitSections(rows);
  const hops = (tag: string): HopCount[] =>
    (sections.get(tag) ?? [])
      .map((row) => ({ kind: toText(row[0]) as CallerKind, name: toText(row[1]), calls: toNumber(row[7]), failed: toNumber(row[8]) }))
      .sort(byCountThenService((h) => h.calls));
  const requests: RequestSummary[] = (sections.get('request') ?? [])
    .map((row) => ({
      name: toText(row[1]),
      requests: toNumber(row[7]),
      failed: toNumber(row[8]),
      durationP50Ms: nanosToMs(row[9]),
      durationP90Ms: nanosToMs(row[10]),
      durationP99Ms: nanosToMs(row[11]),
    }))
    .sort(byCountThenText((r) => r.requests, (r) => r.name));
  const instances: InstanceSummary[] = (sections.get('instance') ?? [])
    .map((row) => ({ ...instanceFromRow(row, 1), requests: toNumber(row[7]), failed: toNumber(row[8]), durationP50Ms: nanosToMs(row[9]) }))
    .sort(compareInstanceGroups);
  return {
    callers: hops('caller'),
    startedHere: toNumber(sections.get('here')?.[0]?.[7]),
    callees: hops('callee'),
    requests,
    instances,
  };
}
