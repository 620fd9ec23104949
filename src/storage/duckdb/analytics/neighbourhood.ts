/**
 * `serviceNeighbourhood` in DuckDB: one hop around the focal calls, in one statement.
 * - callers: the last path entry (`depth`), which is the `unknown` caller for an orphan; the focal
 *   calls are counted by `path_key` and the last entry read from the `call_paths` dictionary for
 *   those few keys, rather than from every focal call's lists;
 * - callees: the calls whose last path entry has a focal call's id (whenever they start). Such a
 *   call's last entry is that focal call, so it names the focal service: only calls whose
 *   dictionary path ends with the focal service are joined, which spares reading the
 *   `path_call_ids` of every other call of the focal traces;
 * - requests and instances: the focal calls grouped, with nearest-rank percentiles.
 */
import type { CallerKind } from '../../../model/service.js';
import type { FocalFilter, HopCount, InstanceSummary, RequestSummary, ServiceNeighbourhood } from '../../api/call-queries.js';
import { StorageError } from '../../api/storage.js';
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
  ['unkeyed', 'BOOLEAN'],
];

const COUNTS = { n: 'count(*)', failed: 'count(*) FILTER (WHERE failed)' };

export function serviceNeighbourhoodSql(filter: FocalFilter): Statement {
  const params = new SqlParams();
  const columns = `c.trace_id, c.call_id, c.synthetic, c.request, c.failed, c.duration_ns, c.depth, c.path_key,
    ${INSTANCE_COLUMNS.map((column) => `c.${column}`).join(', ')}`;
  const focal = focalCte(params, filter, columns, { materialized: true });
  const callers = `callers AS (
  SELECT p.path_kinds[len(p.path_kinds)] AS caller_kind, p.path_names[len(p.path_names)] AS caller_name, p.path_key IS NULL AS unkeyed, k.n, k.failed
  FROM (SELECT path_key, ${COUNTS.n} AS n, ${COUNTS.failed} AS failed FROM focal WHERE depth > 0 GROUP BY path_key) k
    LEFT JOIN call_paths p ON p.path_key = k.path_key
)`;
  const callsOfFocal = `SELECT p.path_key FROM call_paths p
     WHERE len(p.path_kinds) > 0 AND p.path_kinds[len(p.path_kinds)] = ${params.text(filter.service.kind)} AND p.path_names[len(p.path_names)] = ${params.text(filter.service.name)}`;
  const union = unionSql(COLUMNS, [
    {
      tag: 'caller',
      values: { kind: 'caller_kind', name: 'caller_name', n: 'sum(n)::BIGINT', failed: 'sum(failed)::BIGINT', unkeyed: 'bool_or(unkeyed)' },
      from: 'FROM callers GROUP BY caller_kind, caller_name',
    },
    { tag: 'here', values: { n: 'count(*)' }, from: 'FROM focal WHERE depth = 0' },
    {
      tag: 'callee',
      values: { kind: 'x.kind', name: 'x.service', n: 'count(*)', failed: 'count(*) FILTER (WHERE x.failed)' },
      from: `FROM focal f JOIN calls x ON x.trace_id = f.trace_id AND x.path_call_ids[x.depth] = f.call_id
   WHERE NOT f.synthetic AND x.path_key IN (${callsOfFocal}) GROUP BY x.kind, x.service`,
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
  return { sql: `WITH ${focal},\n${callers}\n${union}`, params };
}

export function serviceNeighbourhoodFromRows(rows: Rows): ServiceNeighbourhood {
  const sections = splitSections(rows);
  if ((sections.get('caller') ?? []).some((row) => row[12] === true)) {
    throw new StorageError('calls whose path key has no row in call_paths: the store is inconsistent');
  }
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
