/**
 * `findTraces` in DuckDB (decisions of analysis/oracle/traces.ts).
 *
 * A trace is in the window when its earliest span starts in it. Each call filter (service,
 * chain, failed only, zone) is a set of trace ids from `calls`; the `trace_blocks` rows of the
 * traces in all of them (of every trace, without filters) are aggregated per trace (first start,
 * last end) for the window and duration conditions, ordered newest first and cut to `limit`. Only
 * for those rows are the span counts and the root call read.
 *
 * Span counts collapse exact duplicates (same span id and payload). A `trace_blocks` row counts
 * its block's spans of the trace that way already, so a trace in one block is counted exactly by
 * SQL; a trace spread over several blocks could hold the same span in two of them, so it is
 * recounted from its spans (`withExactCounts`).
 */
import { DOUBLE } from '@duckdb/node-api';
import type { StoredTrace } from '../../api/storage.js';
import { StatusCode } from '../../../model/otlp.js';
import type { CallerKind } from '../../../model/service.js';
import type { TraceQuery, TraceSummary } from '../../api/call-queries.js';
import { traceIdHex } from '../id-codec.js';
import { chainTracesSql, focalCte } from './focal-sql.js';
import { toNumber, toText } from './rows.js';
import { SqlParams, windowSql } from './sql-params.js';
import type { Rows, Statement } from './statement.js';

/** The trace's last span end (`trace_blocks.last_end` is HUGEINT, so hostile times cannot overflow). */
const LAST_END = 'max(t.last_end)';

export function findTracesSql(query: TraceQuery): Statement {
  const params = new SqlParams();
  const ctes: string[] = [];
  // Each call filter is a set of trace ids; the traces listed are in all of them.
  const sets: string[] = [];
  if (query.service !== undefined) {
    const filter = {
      fromUnixNano: query.fromUnixNano,
      toUnixNano: query.toUnixNano,
      service: query.service,
      ...(query.request !== undefined ? { request: query.request } : {}),
      ...(query.chain !== undefined ? { chain: query.chain } : {}),
    };
    ctes.push(focalCte(params, filter, 'c.trace_id, c.failed'));
    sets.push(`SELECT trace_id FROM focal${query.failedOnly === true ? ' WHERE failed' : ''}`);
  } else {
    if (query.chain !== undefined && query.chain.length > 0) sets.push(chainTracesSql(params, query.chain));
    if (query.failedOnly === true) sets.push('SELECT trace_id FROM calls WHERE failed');
  }
  if (query.zone !== undefined) {
    sets.push(`SELECT c.trace_id FROM calls c JOIN (SELECT DISTINCT unnest(${params.resourceIds(query.zone.resourceIds)}) AS id) z ON z.id = c.resource_id WHERE NOT c.synthetic`);
  }
  if (sets.length > 0) ctes.push(`filtered AS (${sets.map((set) => `(${set})`).join('\n  INTERSECT ')})`);

  const durationMs = 'CASE WHEN last_end > first_start THEN (last_end - first_start)::DOUBLE / 1e6 ELSE 0 END';
  const bounds = [windowSql(params, 'first_start', query)];
  if (query.minDurationMs !== undefined) bounds.push(`${durationMs} >= ${params.add(query.minDurationMs, DOUBLE)}`);
  if (query.maxDurationMs !== undefined) bounds.push(`${durationMs} <= ${params.add(query.maxDurationMs, DOUBLE)}`);
  // Without call filters every trace's rows are aggregated in one pass, which beat first finding
  // the traces with a span in the window and joining when rows were spans (~23 against ~60 ms per
  // 1M spans): the join has to probe every row anyway (trace ids are random, nothing prunes). The
  // last end is needed here only for duration bounds; otherwise it is read for the listed traces alone.
  const needsEnd = query.minDurationMs !== undefined || query.maxDurationMs !== undefined;
  ctes.push(`listed AS (
  SELECT trace_id, first_start FROM (
    SELECT t.trace_id, min(t.first_start) AS first_start${needsEnd ? `, ${LAST_END} AS last_end` : ''}
    FROM trace_blocks t${sets.length > 0 ? ' SEMI JOIN filtered f ON f.trace_id = t.trace_id' : ''}
    GROUP BY t.trace_id
  )
  WHERE ${bounds.join(' AND ')}
  ORDER BY first_start DESC, trace_id
  LIMIT ${params.count(query.limit)}
)`);
  ctes.push(`counts AS (
  SELECT t.trace_id, ${LAST_END} AS last_end, sum(t.spans) AS spans, count(*) AS parts, sum(t.errors) AS errors
  FROM trace_blocks t JOIN listed USING (trace_id)
  GROUP BY t.trace_id
)`);
  // The root: a call without caller first, else an orphan (its only path entry is the `unknown`
  // caller, whose call id is NULL); then the earliest start, then the smallest id.
  ctes.push(`roots AS (
  SELECT c.trace_id, arg_min(struct_pack(depth := c.depth, kind := c.kind, service := c.service, request := c.request), (c.depth, c.start_time_ns, c.call_id)) AS root
  FROM calls c JOIN listed USING (trace_id)
  WHERE c.depth = 0 OR (c.depth = 1 AND c.path_call_ids[1] IS NULL)
  GROUP BY c.trace_id
)`);
  const sql = `WITH ${ctes.join(',\n')}
SELECT l.trace_id, l.first_start, n.last_end, n.spans, n.parts, n.errors, r.root.depth, r.root.kind, r.root.service, r.root.request
FROM listed l LEFT JOIN counts n USING (trace_id) LEFT JOIN roots r USING (trace_id)
ORDER BY l.first_start DESC, l.trace_id`;
  return { sql, params };
}

/** A listed row, and whether its span counts must be recounted exactly (its spans lie in several blocks). */
export interface ListedTrace {
  readonly summary: TraceSummary;
  readonly recount: boolean;
}

export function findTracesFromRows(rows: Rows): ListedTrace[] {
  return rows.map(([traceId, start, end, spans, parts, errors, depth, kind, service, request]) => {
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
    return { summary, recount: toNumber(parts) > 1 };
  });
}

/** `summary` with its span and error counts taken from the trace as read (exact duplicates collapsed). */
export function withExactCounts(summary: TraceSummary, trace: StoredTrace): TraceSummary {
  return { ...summary, spanCount: trace.spans.length, errorCount: trace.spans.filter((s) => s.statusCode === StatusCode.ERROR).length };
}
