/**
 * `findTraces` in ClickHouse (decisions of analysis/oracle/traces.ts), in two steps:
 * 1. the listing: the spans of every trace (or of the traces every call filter admits — service,
 *    chain, failed only, zone, each a trace-local `IN` over `calls`) aggregated per trace for the
 *    window and duration conditions, newest first, cut to `limit`;
 * 2. for those few traces only, by trace id (the spans table's sort key): the span counts and the
 *    root call, two statements run together.
 *
 * Span counts collapse exact duplicates (same span id and payload) with `uniqExact` over both,
 * which ClickHouse keeps as 128-bit hashes: exact barring a hash collision.
 * Duration is `max(start + duration) − min(start)` in Int64: a trace ending after 2262 overflows.
 */
import { StatusCode } from '../../../model/otlp.js';
import type { CallerKind } from '../../../model/service.js';
import type { FocalFilter, TraceQuery, TraceSummary } from '../../api/call-queries.js';
import { liveCallsFilter } from '../live-calls.js';
import type { ClickHouseTables } from '../tables.js';
import type { AnalyticsConnection, Row } from './connection.js';
import { chainEndsSql, focalWhere, matchesUnknownAlone, windowSql } from './focal-sql.js';
import { int64Literal, stringLiteral, traceIdLiteral } from '../sql-literal.js';
import { countLiteral, INT64_BOUNDS } from './literal.js';
import { column, toBigInt, toNumber, toText } from './rows.js';
import { resourceIdsInSql } from './zones.js';

const DURATION = 'if(last_end > first_start, last_end - first_start, 0)';

export function listTracesSql(tables: ClickHouseTables, query: TraceQuery): string {
  const calls = tables.local.calls;
  // Each call filter is a set of trace ids; the traces listed are in all of them.
  const sets: string[] = [];
  if (query.service !== undefined) {
    const filter: FocalFilter = {
      fromUnixNano: query.fromUnixNano,
      toUnixNano: query.toUnixNano,
      service: query.service,
      ...(query.request !== undefined ? { request: query.request } : {}),
      ...(query.chain !== undefined ? { chain: query.chain } : {}),
    };
    sets.push(`SELECT c.trace_id FROM ${calls} AS c WHERE ${focalWhere(tables, filter, 'c', query.failedOnly === true ? ['c.failed = 1'] : [])}`);
  } else {
    const chain = query.chain;
    if (chain !== undefined && chain.length > 0) {
      let set = `SELECT e.trace_id FROM ${calls} AS e WHERE ${chainEndsSql(chain, 'e')} AND ${liveCallsFilter('e', tables)}`;
      if (matchesUnknownAlone(chain)) {
        set += `\n    UNION ALL SELECT o.trace_id FROM ${calls} AS o WHERE o.depth > 0 AND o.path_kinds[1] = ${stringLiteral('unknown')} AND ${liveCallsFilter('o', tables)}`;
      }
      sets.push(set);
    }
    if (query.failedOnly === true) sets.push(`SELECT f.trace_id FROM ${calls} AS f WHERE f.failed = 1 AND ${liveCallsFilter('f', tables)}`);
  }
  if (query.zone !== undefined) {
    sets.push(`SELECT z.trace_id FROM ${calls} AS z WHERE z.synthetic = 0 AND ${resourceIdsInSql('z.resource_id', query.zone)} AND ${liveCallsFilter('z', tables)}`);
  }
  const bounds = [windowSql('first_start', query), ...durationBoundsSql(query)];
  return `SELECT lower(hex(s.trace_id)) AS listed, min(s.start_time_ns) AS first_start, max(s.start_time_ns + s.duration_ns) AS last_end
FROM ${tables.spans} AS s${sets.length > 0 ? `\nWHERE ${sets.map((set) => `s.trace_id IN (\n    ${set})`).join('\n  AND ')}` : ''}
GROUP BY listed
HAVING ${bounds.join(' AND ')}
ORDER BY first_start DESC, listed
LIMIT ${countLiteral(query.limit)}`;
}

/**
 * The duration bounds as exact integer conditions: the oracle compares `Number(d) / 1e6` (d the
 * duration in nanoseconds) with the bound, so the threshold is the first (last) d for which that
 * holds, found by bisection — no float parsing or rounding on the server's side.
 */
function durationBoundsSql(query: TraceQuery): string[] {
  const out: string[] = [];
  const min = query.minDurationMs;
  if (min !== undefined) {
    const first = firstNanos((d) => Number(d) / 1e6 >= min);
    if (first === undefined) out.push('0');
    else if (first > 0n) out.push(`${DURATION} >= ${int64Literal(first)}`);
  }
  const max = query.maxDurationMs;
  if (max !== undefined) {
    const over = firstNanos((d) => !(Number(d) / 1e6 <= max));
    if (over === 0n) out.push('0');
    else if (over !== undefined) out.push(`${DURATION} < ${int64Literal(over)}`);
  }
  return out;
}

/** The least d in [0, Int64 max] for which the monotone `holds` is true; undefined when none. */
function firstNanos(holds: (nanos: bigint) => boolean): bigint | undefined {
  if (!holds(INT64_BOUNDS.max)) return undefined;
  let lo = 0n;
  let hi = INT64_BOUNDS.max;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (holds(mid)) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}

export interface ListedStatements {
  readonly counts: string;
  readonly roots: string;
}

/** Span counts and root calls of the listed traces (hex ids, at least one). */
export function listedDetailsSql(tables: ClickHouseTables, traceIds: readonly string[]): ListedStatements {
  const ids = traceIds.map(traceIdLiteral).join(', ');
  // The root: a call without caller first, else an orphan (its only path entry is the `unknown`
  // caller); then the earliest start, then the smallest id (numeric order is hex order).
  const key = '(c.depth, c.start_time_ns, c.call_id)';
  return {
    counts: `SELECT lower(hex(s.trace_id)) AS listed, uniqExact(s.span_id, s.payload) AS span_count,
  uniqExactIf(s.span_id, s.payload, s.status_code = ${StatusCode.ERROR}) AS error_count
FROM ${tables.spans} AS s
WHERE s.trace_id IN (${ids})
GROUP BY listed`,
    roots: `SELECT lower(hex(c.trace_id)) AS listed, argMin(c.depth, ${key}) AS root_depth, argMin(c.kind, ${key}) AS root_kind,
  argMin(c.service, ${key}) AS root_service, argMin(c.request, ${key}) AS root_request
FROM ${tables.calls} AS c
WHERE c.trace_id IN (${ids}) AND (c.depth = 0 OR c.depth = 1 AND c.path_kinds[1] = ${stringLiteral('unknown')}) AND ${liveCallsFilter('c', tables)}
GROUP BY listed`,
  };
}

export async function runFindTraces(conn: AnalyticsConnection, tables: ClickHouseTables, query: TraceQuery): Promise<TraceSummary[]> {
  const listed = await conn.query(listTracesSql(tables, query));
  if (listed.length === 0) return [];
  const statements = listedDetailsSql(
    tables,
    listed.map((row) => toText(column(row, 'listed'))),
  );
  const [counts, roots] = await Promise.all([conn.query(statements.counts), conn.query(statements.roots)]);
  const byId = (rows: Row[]) => new Map(rows.map((row) => [toText(column(row, 'listed')), row]));
  const countsById = byId(counts);
  const rootsById = byId(roots);
  return listed.map((row) => {
    const traceId = toText(column(row, 'listed'));
    const first = toBigInt(column(row, 'first_start'));
    const last = toBigInt(column(row, 'last_end'));
    const count = countsById.get(traceId);
    const root = rootsById.get(traceId);
    return {
      traceId,
      rootKind: root !== undefined && toNumber(column(root, 'root_depth')) === 0 ? (toText(column(root, 'root_kind')) as CallerKind) : 'unknown',
      rootService: root === undefined ? 'unknown' : toText(column(root, 'root_service')),
      rootRequest: root === undefined ? '' : toText(column(root, 'root_request')),
      startTimeUnixNano: first,
      durationMs: last > first ? Number(last - first) / 1e6 : 0,
      spanCount: count === undefined ? 0 : toNumber(column(count, 'span_count')),
      errorCount: count === undefined ? 0 : toNumber(column(count, 'error_count')),
    };
  });
}
