/**
 * `backtraceDetails` in ClickHouse: the focal calls under one backtrace node (their path ends with
 * the node path, kinds and names) and every list of the details panel, one small statement per
 * list, run together. Decisions the oracle made (analysis/oracle/details.ts), here in SQL:
 * - stack traces: every element of every focal call's `stack_traces`, failed or not, each
 *   occurrence counted; proxies: distinct per call, then counted; referring pages: nulls left out;
 * - instances: of the node's own call on the line — the focal call for the root, else the path
 *   entry `[-m]` (m = node path length) looked up by its call id in the same trace. The `unknown`
 *   node's entry names no call (id 0): those focal calls form the group with no instance and no
 *   Kubernetes context, as does a node call that is not stored;
 * - exemplars: one per trace, traces with a failed focal call first, then the newest focal call
 *   start, then trace id (byte order of the id is hex order).
 */
import type { BacktraceDetails, FocalFilter, InstanceGroup, NodeRef } from '../../api/call-queries.js';
import { liveCallsFilter } from '../live-calls.js';
import type { ClickHouseTables } from '../tables.js';
import type { AnalyticsConnection, Row } from './connection.js';
import { focalWhere, pathEndsWithSql } from './focal-sql.js';
import { stringLiteral } from '../sql-literal.js';
import { countLiteral } from './literal.js';
import { column, compareInstanceGroups, INSTANCE_COLUMNS, instanceFromRow, instanceSelect, rankedTexts, toNumber, toText } from './rows.js';

export interface DetailsStatements {
  readonly total: string;
  readonly reasons: string;
  readonly stacks: string;
  readonly pages: string;
  readonly proxies: string;
  readonly instances: string;
  readonly exemplars: string;
}

export function backtraceDetailsSql(tables: ClickHouseTables, filter: FocalFilter, nodePath: readonly NodeRef[], exemplarLimit: number): DetailsStatements {
  const m = nodePath.length;
  const under = (alias: string) => focalWhere(tables, filter, alias, [pathEndsWithSql(nodePath, alias)]);
  const focal = `FROM ${tables.calls} AS c\nWHERE ${under('c')}`;
  const grouped = INSTANCE_COLUMNS.join(', ');
  let instances: string;
  if (m === 0) {
    instances = `SELECT ${instanceSelect('c')}, count() AS n, countIf(c.failed = 1) AS n_failed
${focal}
GROUP BY ${grouped}`;
  } else {
    // The node's own calls (the outer table, so the statement runs per shard when it is
    // distributed), joined with the focal calls counted by their node call's id (entry `[-m]`).
    // USING, not ON: 18.16 loses `x.call_id` in an ON clause once Distributed rewrites the table,
    // and the names join only in a wrapping subquery (an alias `call_id` beside the column
    // `call_id` would replace the column in the chain condition).
    // The node call has the entry's kind and name, which selects it by the table's sort key. Focal
    // calls whose node call is not found are the rest of `total`; the mapping adds them to the
    // group without instance.
    const node = nodePath[0]!;
    instances = `SELECT ${instanceSelect('x')}, sum(under_n) AS n, sum(under_failed) AS n_failed
FROM ${tables.calls} AS x
ANY INNER JOIN (
  SELECT under_trace AS trace_id, under_node AS call_id, under_n, under_failed FROM (
    SELECT y.trace_id AS under_trace, y.path_call_ids[${-m}] AS under_node, count() AS under_n, countIf(y.failed = 1) AS under_failed
    FROM ${tables.local.calls} AS y
    WHERE ${under('y')}
    GROUP BY under_trace, under_node
  )
) USING (trace_id, call_id)
WHERE x.synthetic = 0 AND x.kind = ${stringLiteral(node.kind)} AND x.service = ${stringLiteral(node.name)} AND ${liveCallsFilter('x', tables)}
GROUP BY ${grouped}`;
  }
  return {
    total: `SELECT count() AS n, countIf(c.failed = 1) AS n_failed\n${focal}`,
    reasons: `SELECT c.failure_reason AS text, count() AS n\n${focal}\n  AND c.failed = 1 AND c.failure_reason IS NOT NULL\nGROUP BY text`,
    stacks: `SELECT stack AS text, count() AS n\nFROM ${tables.calls} AS c ARRAY JOIN c.stack_traces AS stack\nWHERE ${under('c')}\nGROUP BY text`,
    pages: `SELECT c.referring_page AS text, count() AS n\n${focal}\n  AND c.referring_page IS NOT NULL\nGROUP BY text`,
    proxies: `SELECT proxy AS text, count() AS n\nFROM ${tables.calls} AS c ARRAY JOIN arrayDistinct(c.proxies) AS proxy\nWHERE ${under('c')}\nGROUP BY text`,
    instances,
    exemplars: `SELECT lower(hex(c.trace_id)) AS exemplar, max(c.failed) AS any_failed, max(c.start_time_ns) AS newest
${focal}
GROUP BY exemplar
ORDER BY any_failed DESC, newest DESC, exemplar
LIMIT ${countLiteral(exemplarLimit)}`,
  };
}

export async function runBacktraceDetails(conn: AnalyticsConnection, statements: DetailsStatements): Promise<BacktraceDetails> {
  const [total, reasons, stacks, pages, proxies, instanceRows, exemplars] = await Promise.all([
    conn.query(statements.total),
    conn.query(statements.reasons),
    conn.query(statements.stacks),
    conn.query(statements.pages),
    conn.query(statements.proxies),
    conn.query(statements.instances),
    conn.query(statements.exemplars),
  ]);
  const requests = toNumber(column(total[0] ?? { n: 0 }, 'n'));
  const failed = toNumber(column(total[0] ?? { n_failed: 0 }, 'n_failed'));
  return {
    requests,
    failed,
    failureReasons: rankedTexts(reasons).map(({ text, count }) => ({ reason: text, count })),
    stackTraces: rankedTexts(stacks).map(({ text, count }) => ({ stackTrace: text, count })),
    referringPages: rankedTexts(pages).map(({ text, count }) => ({ page: text, count })),
    proxies: rankedTexts(proxies).map(({ text, count }) => ({ proxy: text, count })),
    instances: withUnplaced(instanceRows.map(instanceGroup), requests, failed).sort(compareInstanceGroups),
    exemplarTraceIds: exemplars.map((row) => toText(column(row, 'exemplar'))),
  };
}

function instanceGroup(row: Row): InstanceGroup {
  return { ...instanceFromRow(row), requests: toNumber(column(row, 'n')), failed: toNumber(column(row, 'n_failed')) };
}

/** Adds the focal calls no instance group holds (node call unknown or missing) to the group without instance. */
function withUnplaced(groups: InstanceGroup[], requests: number, failed: number): InstanceGroup[] {
  const placed = groups.reduce((sum, g) => sum + g.requests, 0);
  const placedFailed = groups.reduce((sum, g) => sum + g.failed, 0);
  if (placed >= requests) return groups;
  const isBare = (g: InstanceGroup) => g.instance === null && Object.values(g.k8s).every((v) => v === null);
  const bare = groups.find(isBare);
  const rest = { requests: requests - placed, failed: failed - placedFailed };
  const merged = { instance: null, k8s: { cluster: null, node: null, namespace: null, pod: null, workload: null }, requests: rest.requests + (bare?.requests ?? 0), failed: rest.failed + (bare?.failed ?? 0) };
  return [...groups.filter((g) => !isBare(g)), merged];
}
