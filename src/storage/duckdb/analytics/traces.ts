/**
 * `findTraces` in DuckDB (decisions of analysis/oracle/traces.ts).
 *
 * A trace is in the window when its earliest span starts in it, so only traces with *some* span
 * starting in the window are candidates; the call filters narrow them (semi-joins on trace id),
 * then their spans are aggregated (start, end) for the window and duration conditions, ordered
 * newest first and cut to `limit`. Only for those rows are the span counts and the root call read.
 *
 * Span counts collapse exact duplicates (same span id and payload). Comparing payloads for every
 * listed trace would read the payload column of every span, so the statement compares span ids
 * only: a trace whose ids are all distinct has no duplicates, and the rare trace with a repeated
 * id is recounted exactly by `exactSpanCountsSql` (its spans through the trace-id index).
 */
import { DOUBLE, UHUGEINT, UTINYINT } from '@duckdb/node-api';
import { StatusCode } from '../../../model/otlp.js';
import type { CallerKind } from '../../../model/service.js';
import type { TraceQuery, TraceSummary } from '../../api/call-queries.js';
import { traceIdHex } from '../id-codec.js';
import { chainInTraceSql, focalCte } from './focal-sql.js';
import { toNumber, toText } from './rows.js';
import { SqlParams, windowSql } from './sql-params.js';
import type { Rows, Statement } from './statement.js';

export function findTracesSql(query: TraceQuery): Statement {
  const params = new SqlParams();
  const ctes = [`candidates AS (SELECT DISTINCT trace_id FROM spans s WHERE ${windowSql(params, 's.start_time_ns', query)})`];
  const joins: string[] = [];
  const conditions: string[] = [];
  if (query.service !== undefined) {
    ctes.push(
      focalCte(params, { fromUnixNano: query.fromUnixNano, toUnixNano: query.toUnixNano, service: query.service, ...(query.request !== undefined ? { request: query.request } : {}), ...(query.chain !== undefined ? { chain: query.chain } : {}) }, 'c.trace_id, c.failed'),
    );
    joins.push(`JOIN (SELECT DISTINCT trace_id FROM focal${query.failedOnly === true ? ' WHERE failed' : ''}) AS f USING (trace_id)`);
  } else {
    if (query.chain !== undefined && query.chain.length > 0) conditions.push(chainInTraceSql(params, query.chain, 't.trace_id'));
    if (query.failedOnly === true) joins.push('JOIN (SELECT DISTINCT trace_id FROM calls WHERE failed) AS failing USING (trace_id)');
  }
  if (query.zone !== undefined) {
    joins.push(`JOIN (SELECT DISTINCT c.trace_id FROM calls c JOIN (SELECT DISTINCT unnest(${params.resourceIds(query.zone.resourceIds)}) AS id) z ON z.id = c.resource_id
    WHERE NOT c.synthetic) AS zoned USING (trace_id)`);
  }
  const where = conditions.length > 0 ? `\n  WHERE ${conditions.join(' AND ')}` : '';
  ctes.push(`filtered AS (SELECT t.trace_id FROM candidates t ${joins.join('\n  ')}${where})`);

  const durationMs = `CASE WHEN last_end > first_start THEN (last_end - first_start)::DOUBLE / 1e6 ELSE 0 END`;
  const bounds = [windowSql(params, 'first_start', query)];
  if (query.minDurationMs !== undefined) bounds.push(`${durationMs} >= ${params.add(query.minDurationMs, DOUBLE)}`);
  if (query.maxDurationMs !== undefined) bounds.push(`${durationMs} <= ${params.add(query.maxDurationMs, DOUBLE)}`);
  ctes.push(`listed AS (
  SELECT trace_id, first_start, last_end FROM (
    SELECT s.trace_id, min(s.start_time_ns) AS first_start, max(s.start_time_ns::HUGEINT + s.duration_ns) AS last_end
    FROM spans s JOIN filtered USING (trace_id)
    GROUP BY s.trace_id
  )
  WHERE ${bounds.join(' AND ')}
  ORDER BY first_start DESC, trace_id
  LIMIT ${params.count(query.limit)}
)`);
  ctes.push(`counts AS (
  SELECT s.trace_id, count(*) AS spans, count(DISTINCT s.span_id) AS ids, count(*) FILTER (WHERE s.status_code = ${params.add(StatusCode.ERROR, UTINYINT)}) AS errors
  FROM spans s JOIN listed USING (trace_id)
  GROUP BY s.trace_id
)`);
  // The root: a call without caller first, else an orphan (its only path entry is `unknown`); then earliest start, then smallest id.
  ctes.push(`roots AS (
  SELECT c.trace_id, arg_min(struct_pack(depth := c.depth, kind := c.kind, service := c.service, request := c.request), (c.depth, c.start_time_ns, c.call_id)) AS root
  FROM calls c JOIN listed USING (trace_id)
  WHERE c.depth = 0 OR (c.depth = 1 AND c.path_kinds[1] = ${params.text('unknown')})
  GROUP BY c.trace_id
)`);
  const sql = `WITH ${ctes.join(',\n')}
SELECT l.trace_id, l.first_start, l.last_end, n.spans, n.ids, n.errors, r.root.depth, r.root.kind, r.root.service, r.root.request
FROM listed l LEFT JOIN counts n USING (trace_id) LEFT JOIN roots r USING (trace_id)
ORDER BY l.first_start DESC, l.trace_id`;
  return { sql, params };
}

/** A listed row, and whether its span counts must be recounted exactly (a span id repeats). */
export interface ListedTrace {
  readonly summary: TraceSummary;
  readonly recount: boolean;
}

export function findTracesFromRows(rows: Rows): ListedTrace[] {
  return rows.map(([traceId, start, end, spans, ids, errors, depth, kind, service, request]) => {
    const first = start as bigint;
    const last = end as bigint;
    const summary: TraceSummary = {
      traceId: traceIdHex(traceId as bigint),
      rootKind: depth === 0 ? (toText(kind) as CallerKind) : 'unknown',
      rootService: service === null || service === undefined ? 'unknown' : toText(service),
      rootRequest: request === null || request === undefined ? '' : toText(request),
      startTimeUnixNano: first,
      durationMs: last > first ? Number(last - first) / 1e6 : 0,
      spanCount: toNumber(spans),
      errorCount: toNumber(errors),
    };
    return { summary, recount: toNumber(spans) !== toNumber(ids) };
  });
}

/** The distinct spans of one trace (span id, status, payload) for an exact count; uses the trace-id index. */
export function exactSpanCountsSql(traceId: bigint): Statement {
  const params = new SqlParams();
  return {
    sql: `SELECT count(*), count(*) FILTER (WHERE status_code = ${params.add(StatusCode.ERROR, UTINYINT)})
FROM (SELECT DISTINCT span_id, status_code, payload FROM spans WHERE trace_id = ${params.add(traceId, UHUGEINT)})`,
    params,
  };
}

export function withExactCounts(summary: TraceSummary, rows: Rows): TraceSummary {
  const row = rows[0];
  return { ...summary, spanCount: toNumber(row?.[0]), errorCount: toNumber(row?.[1]) };
}
