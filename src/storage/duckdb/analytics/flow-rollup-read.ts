/**
 * Reading a flow from the flow rollup (`flow-rollup.ts`, ADR 0007): the window's clean whole
 * minutes from the rollup's rows, its partial and dirty minutes from the calls by the statement
 * that builds the rollup, added up per flow path, with percentiles read from duration histograms.
 * `flow.ts` decides when a flow is read this way.
 */
import { BIGINT, LIST, listValue, type DuckDBListValue } from '@duckdb/node-api';
import type { ServiceKind } from '../../../model/service.js';
import type { FlowGroup, FocalFilter, ServiceRef, TimeRange } from '../../api/call-queries.js';
import { histogramPercentile } from './duration-buckets.js';
import { contributionsSql } from './flow-rollup.js';
import { nanosToMs, toNumber } from './rows.js';
import { BUCKET_NANOS, bucketOf } from './rollup-minutes.js';
import { clampNanos, SqlParams, windowSql } from './sql-params.js';
import type { Rows, Statement } from './statement.js';

/** How a window splits into the rollup's minutes: the whole minutes inside it, and those of them not rebuilt yet. */
export interface WindowMinutes {
  /** Whole minutes [first, end) lie inside the window; none when `first >= end`. */
  readonly first: bigint;
  readonly end: bigint;
  /** The dirty minutes among them. */
  readonly dirty: readonly bigint[];
}

export function windowMinutes(range: TimeRange, dirtyBuckets: readonly bigint[]): WindowMinutes {
  const from = clampNanos(range.fromUnixNano);
  const to = clampNanos(range.toUnixNano);
  const first = -bucketOf(-from);
  const end = bucketOf(to);
  const dirty = first < end ? [...new Set(dirtyBuckets.filter((b) => b >= first && b < end))] : [];
  return { first, end, dirty };
}

/** `focal_slices`: the slices of the focal service (and request), and the condition on `bucket` for the clean whole minutes. */
function rollupParts(params: SqlParams, filter: FocalFilter, minutes: WindowMinutes): { slices: string; buckets: string } {
  const conditions = [`focal_kind = ${params.text(filter.service.kind)}`, `focal_service = ${params.text(filter.service.name)}`];
  if (filter.request !== undefined) conditions.push(`focal_request = ${params.text(filter.request)}`);
  const dirty = minutes.dirty.length > 0 ? ` AND bucket NOT IN (SELECT unnest(${params.add(listValue([...minutes.dirty]), LIST(BIGINT))}))` : '';
  return {
    slices: `focal_slices AS MATERIALIZED (
  SELECT slice_id, path_kinds, path_names FROM flow_slices WHERE ${conditions.join(' AND ')}
)`,
    buckets: `bucket >= ${params.add(minutes.first, BIGINT)} AND bucket < ${params.add(minutes.end, BIGINT)}${dirty}`,
  };
}

/** The focal calls of `filter` the rollup holds for the window's clean whole minutes (its root slices). */
export function rolledUpFocalCountSql(filter: FocalFilter, minutes: WindowMinutes): Statement {
  const params = new SqlParams();
  if (minutes.first >= minutes.end) return { sql: 'SELECT 0', params };
  const { slices, buckets } = rollupParts(params, filter, minutes);
  return {
    sql: `WITH ${slices}
SELECT coalesce(sum(calls), 0) FROM flow_rollup
WHERE ${buckets} AND slice_id IN (SELECT slice_id FROM focal_slices WHERE len(path_kinds) = 0)`,
    params,
  };
}

/**
 * The flow of `filter` (no chain) from the rollup: node and histogram rows of its slices for the
 * window's clean whole minutes, and the same rows computed from the calls (`contributionsSql`)
 * for the focal calls in the window's partial minutes and in its dirty minutes, added up per flow
 * path (over the slices of one path, one per focal request name, and over the minutes). The
 * result holds a row per path with its lists, and rows of sums keyed by the path's number.
 */
export function flowRollupSql(filter: FocalFilter, minutes: WindowMinutes): Statement {
  const params = new SqlParams();
  const parts: string[] = [];
  let prefix = '';
  if (minutes.first < minutes.end) {
    const { slices, buckets } = rollupParts(params, filter, minutes);
    prefix = `WITH ${slices}\n`;
    const ofSlices = 'slice_id IN (SELECT slice_id FROM focal_slices)';
    parts.push(`SELECT s.path_kinds, s.path_names, NULL::INTEGER AS duration_bucket, r.calls, r.requests, r.failed, r.total_ns
  FROM (SELECT slice_id, sum(calls) AS calls, sum(requests) AS requests, sum(failed) AS failed, sum(total_ns) AS total_ns
    FROM flow_rollup WHERE ${buckets} AND ${ofSlices} GROUP BY slice_id) r JOIN focal_slices s USING (slice_id)`);
    parts.push(`SELECT s.path_kinds, s.path_names, h.duration_bucket, h.n, NULL, NULL, NULL
  FROM (SELECT slice_id, duration_bucket, sum(n) AS n
    FROM flow_histogram WHERE ${buckets} AND ${ofSlices} GROUP BY slice_id, duration_bucket) h JOIN focal_slices s USING (slice_id)`);
  }
  const ranges = rangesFromCalls(filter, minutes);
  if (ranges.length > 0) {
    const kind = params.text(filter.service.kind);
    const name = params.text(filter.service.name);
    const conditions = [`c.kind = ${kind}`, `c.service = ${name}`];
    if (filter.request !== undefined) conditions.push(`c.request = ${params.text(filter.request)}`);
    const positions = `path_kinds[position] = ${kind} AND path_names[position] = ${name}`;
    // A statement per range: the calls below a range's focal calls are found by their derivation
    // seqs, whose span DuckDB turns into a zone-map filter; one statement for the window's old
    // start and its newest minutes would span every seq in between (live-like 10M store, a
    // window cut at both ends: ~65 ms more).
    for (const range of ranges) {
      const focal = [...conditions, windowSql(params, 'c.start_time_ns', range)].join(' AND ');
      parts.push(`SELECT path_kinds, path_names, duration_bucket, calls, requests, failed, total_ns FROM (${contributionsSql({ focal, positions })})`);
    }
  }
  // An empty window: no rows, in the same columns.
  if (parts.length === 0) return { sql: 'SELECT NULL::BIGINT, NULL::VARCHAR[], NULL::VARCHAR[], NULL::INTEGER, NULL::HUGEINT, NULL::HUGEINT, NULL::HUGEINT, NULL::HUGEINT WHERE false', params };
  // Each path's lists once (turning a list into JavaScript values is the costly part of reading a
  // row: ~30 ms for 12K rows), and per path number the sums of its node and histogram rows.
  const sql = `${prefix === '' ? 'WITH ' : `${prefix.trimEnd()},\n`}flow_rows AS MATERIALIZED (
${parts.join('\nUNION ALL\n')}
),
flow_paths AS MATERIALIZED (
  SELECT path_kinds, path_names, row_number() OVER () AS path_no FROM (SELECT DISTINCT path_kinds, path_names FROM flow_rows)
)
SELECT path_no, path_kinds, path_names, NULL::INTEGER, NULL::HUGEINT, NULL::HUGEINT, NULL::HUGEINT, NULL::HUGEINT FROM flow_paths
UNION ALL
SELECT p.path_no, NULL, NULL, r.duration_bucket, sum(r.calls), sum(r.requests), sum(r.failed), sum(r.total_ns)
FROM flow_rows r JOIN flow_paths p ON p.path_kinds = r.path_kinds AND p.path_names = r.path_names
GROUP BY p.path_no, r.duration_bucket`;
  return { sql, params };
}

/**
 * The parts of the window whose focal calls are read from `calls`, as disjoint ranges in time
 * order: the whole window when it holds no whole minute, else its partial minutes at each end
 * and each run of consecutive dirty minutes.
 */
export function rangesFromCalls(range: TimeRange, minutes: WindowMinutes): TimeRange[] {
  const from = clampNanos(range.fromUnixNano);
  const to = clampNanos(range.toUnixNano);
  if (from >= to) return [];
  if (minutes.first >= minutes.end) return [{ fromUnixNano: from, toUnixNano: to }];
  const ranges: TimeRange[] = [];
  const add = (lo: bigint, hi: bigint) => {
    const last = ranges.at(-1);
    if (last !== undefined && last.toUnixNano === lo) ranges[ranges.length - 1] = { fromUnixNano: last.fromUnixNano, toUnixNano: hi };
    else ranges.push({ fromUnixNano: lo, toUnixNano: hi });
  };
  if (from < minutes.first * BUCKET_NANOS) add(from, minutes.first * BUCKET_NANOS);
  for (const bucket of [...minutes.dirty].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) add(bucket * BUCKET_NANOS, (bucket + 1n) * BUCKET_NANOS);
  if (minutes.end * BUCKET_NANOS < to) add(minutes.end * BUCKET_NANOS, to);
  return ranges;
}

/** The rows of `flowRollupSql`, a path's lists or its sums, as flow groups with percentiles read from their histograms. */
export function flowGroupsFromRollupRows(rows: Rows): FlowGroup[] {
  const nodes = new Map<bigint, { path: ServiceRef[]; calls: number; requests: number; failed: number; totalNanos: bigint; histogram: Map<number, number> }>();
  const node = (pathNo: bigint) => {
    let found = nodes.get(pathNo);
    if (found === undefined) nodes.set(pathNo, (found = { path: [], calls: 0, requests: 0, failed: 0, totalNanos: 0n, histogram: new Map() }));
    return found;
  };
  for (const row of rows) {
    const target = node(row[0] as bigint);
    if (row[1] !== null) {
      const kinds = (row[1] as DuckDBListValue).items as ServiceKind[];
      const names = (row[2] as DuckDBListValue).items as string[];
      target.path = kinds.map((kind, i) => ({ kind, name: names[i]! }));
    } else if (row[3] === null) {
      target.calls += toNumber(row[4]);
      target.requests += toNumber(row[5]);
      target.failed += toNumber(row[6]);
      target.totalNanos += row[7] as bigint;
    } else {
      target.histogram.set(Number(row[3]), toNumber(row[4]));
    }
  }
  return [...nodes.values()].map((node) => ({
    path: node.path,
    calls: node.calls,
    requests: node.requests,
    failed: node.failed,
    durationP50Ms: nanosToMs(histogramPercentile(node.histogram, 0.5)),
    durationP90Ms: nanosToMs(histogramPercentile(node.histogram, 0.9)),
    durationTotalMs: nanosToMs(node.totalNanos),
  }));
}
