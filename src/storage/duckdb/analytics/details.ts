/**
 * `backtraceDetails` in DuckDB: the focal calls under one backtrace node (their path ends with the
 * node path), found once, and every list of the details panel aggregated from them in one
 * statement (see `sections.ts`).
 *
 * Decisions the oracle made (analysis/oracle/details.ts), here in SQL:
 * - stack traces: every element of every focal call's `stack_traces`, failed or not, each
 *   occurrence counted; proxies: distinct per call, then counted; referring pages: nulls left out;
 * - instances: of the node's own call on the line: the focal call for the root, else the path
 *   entry `depth − m + 1` (m = node path length) looked up by its call id; the `unknown` node's
 *   entry has no call id, so its instance and Kubernetes context are NULL;
 * - exemplars: one per trace, traces with a failed focal call first, then the newest focal call
 *   start, then trace id (numeric order of the UHUGEINT is hex order).
 */
import type { BacktraceDetails, FocalFilter, InstanceGroup, NodeRef } from '../../api/call-queries.js';
import { traceIdHex } from '../id-codec.js';
import { focalCte, pathEndsWithSql } from './focal-sql.js';
import { byCountThenText, compareInstanceGroups, INSTANCE_COLUMNS, instanceFromRow, toNumber, toText } from './rows.js';
import { splitSections, unionSql, type Section, type SectionColumns } from './sections.js';
import { SqlParams } from './sql-params.js';
import type { Rows, Statement } from './statement.js';

const COLUMNS: SectionColumns = [
  ['text', 'VARCHAR'],
  ...INSTANCE_COLUMNS.slice(1).map((name) => [name, 'VARCHAR'] as const),
  ['trace_id', 'UHUGEINT'],
  ['n', 'BIGINT'],
  ['failed', 'BIGINT'],
];

export function backtraceDetailsSql(filter: FocalFilter, nodePath: readonly NodeRef[], exemplarLimit: number): Statement {
  const params = new SqlParams();
  const m = nodePath.length;
  const own = m === 0 ? INSTANCE_COLUMNS.map((column) => `c.${column}`).join(', ') : `c.path_call_ids[c.depth::BIGINT - ${m - 1}] AS node_call_id`;
  const focal = focalCte(
    params,
    filter,
    `c.trace_id, c.failed, c.failure_reason, c.stack_traces, c.referring_page, c.proxies, c.start_time_ns, ${own}`,
    { materialized: true, where: [pathEndsWithSql(params, nodePath, 'c')] },
  );
  // The node's call is the path entry's call, so it has the entry's kind and name: saying so lets
  // DuckDB filter the scan of `calls` by them instead of reading every call for the join.
  const node = nodePath[0];
  const nodeCall = node === undefined || node.kind === 'unknown' ? '' : ` AND n.kind = ${params.text(node.kind)} AND n.service = ${params.text(node.name)}`;
  const nodes =
    m === 0
      ? 'nodes AS (SELECT * FROM focal)'
      : `nodes AS (
  SELECT f.failed, ${INSTANCE_COLUMNS.map((column) => `n.${column}`).join(', ')}
  FROM focal f LEFT JOIN calls n ON n.trace_id = f.trace_id AND n.call_id = f.node_call_id AND NOT n.synthetic${nodeCall}
)`;
  const sections: Section[] = [
    { tag: 'total', values: { n: 'count(*)', failed: 'count(*) FILTER (WHERE failed)' }, from: 'FROM focal' },
    { tag: 'reason', values: { text: 'failure_reason', n: 'count(*)' }, from: 'FROM focal WHERE failed AND failure_reason IS NOT NULL GROUP BY failure_reason' },
    { tag: 'stack', values: { text: 'stack', n: 'count(*)' }, from: 'FROM (SELECT unnest(stack_traces) AS stack FROM focal) GROUP BY stack' },
    { tag: 'page', values: { text: 'referring_page', n: 'count(*)' }, from: 'FROM focal WHERE referring_page IS NOT NULL GROUP BY referring_page' },
    { tag: 'proxy', values: { text: 'proxy', n: 'count(*)' }, from: 'FROM (SELECT unnest(list_distinct(proxies)) AS proxy FROM focal) GROUP BY proxy' },
    {
      tag: 'instance',
      values: { text: 'instance', ...Object.fromEntries(INSTANCE_COLUMNS.slice(1).map((c) => [c, c])), n: 'count(*)', failed: 'count(*) FILTER (WHERE failed)' },
      from: `FROM nodes GROUP BY ${INSTANCE_COLUMNS.join(', ')}`,
    },
    {
      tag: 'exemplar',
      values: { trace_id: 'trace_id', n: 'row_number() OVER (ORDER BY any_failed DESC, newest DESC, trace_id)' },
      from: `FROM (SELECT trace_id, bool_or(failed) AS any_failed, max(start_time_ns) AS newest FROM focal GROUP BY trace_id
     ORDER BY any_failed DESC, newest DESC, trace_id LIMIT ${params.count(exemplarLimit)})`,
    },
  ];
  return { sql: `WITH ${focal},\n${nodes}\n${unionSql(COLUMNS, sections)}`, params };
}

export function backtraceDetailsFromRows(rows: Rows): BacktraceDetails {
  const sections = splitSections(rows);
  const total = sections.get('total')?.[0];
  const counted = (tag: string) => (sections.get(tag) ?? []).map((row) => ({ text: toText(row[0]), count: toNumber(row[7]) })).sort(byCountThenText((x) => x.count, (x) => x.text));
  const instances: InstanceGroup[] = (sections.get('instance') ?? [])
    .map((row) => ({ ...instanceFromRow(row, 0), requests: toNumber(row[7]), failed: toNumber(row[8]) }))
    .sort(compareInstanceGroups);
  return {
    requests: toNumber(total?.[7]),
    failed: toNumber(total?.[8]),
    failureReasons: counted('reason').map(({ text, count }) => ({ reason: text, count })),
    stackTraces: counted('stack').map(({ text, count }) => ({ stackTrace: text, count })),
    referringPages: counted('page').map(({ text, count }) => ({ page: text, count })),
    proxies: counted('proxy').map(({ text, count }) => ({ proxy: text, count })),
    instances,
    // UNION ALL keeps no order: the section numbers its rows in exemplar order.
    exemplarTraceIds: (sections.get('exemplar') ?? [])
      .map((row) => ({ traceId: row[6] as bigint, rank: toNumber(row[7]) }))
      .sort((a, b) => a.rank - b.rank)
      .map((e) => traceIdHex(e.traceId)),
  };
}
