/**
 * `flowGroups` in DuckDB. A call X lies below a focal call F (F real, same trace) exactly when F's
 * id is in X's `path_call_ids`, at a position whose path entry is F's service (a path entry
 * carries the kind and name of the call it names); X's position in F's flow is the slice of X's
 * path after F, plus X. A call under several focal calls (recursion) pairs with each of them, at
 * its own position each time, as the oracle counts it.
 *
 * Path first: `relative` finds, once per distinct path in the `call_paths` dictionary, the
 * positions that hold the focal service, and numbers the distinct slices after them. The calls
 * are joined with it by `path_key` (so only calls whose path contains the focal service are
 * read), and each (call, position) pair with the focal calls by the exact key
 * (trace, `path_call_ids[position]`), then grouped by slice number, kind and service. The earlier
 * shape joined the focal calls with every call of their traces and filtered by `list_contains`
 * and `list_position` per pair; this one, with the bitmap distinct count (`distinctFocalSql`) and
 * one ordering for both percentiles, takes about half the CPU (1M and 10M spans, entry service).
 * The pairs are found through the dictionary, so they rely on its invariant (path-keys.ts: every
 * call's key has its row).
 */
import { BIGINT, LIST, listValue, type DuckDBListValue } from '@duckdb/node-api';
import type { ServiceKind } from '../../../model/service.js';
import type { FlowGroup, FocalFilter, ServiceRef, TimeRange } from '../../api/call-queries.js';
import { histogramPercentile } from './duration-buckets.js';
import { contributionsSql } from './flow-rollup.js';
import { focalCte } from './focal-sql.js';
import { percentilesSql } from './percentiles.js';
import { nanosToMs, toNumber, toText } from './rows.js';
import { splitSections, unionSql, type SectionColumns } from './sections.js';
import { BUCKET_NANOS, bucketOf, bucketSql, DIRTY_BUCKETS } from './rollup-minutes.js';
import { clampNanos, SqlParams, windowSql } from './sql-params.js';
import { runStatement, type Rows, type Statement } from './statement.js';
import type { SerialConnection } from '../connection.js';

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

const ROOT_DURATIONS = { p50: `${percentilesSql([0.5, 0.9])}[1]`, p90: `${percentilesSql([0.5, 0.9])}[2]`, total: 'sum(duration_ns)' };

export function flowGroupsSql(filter: FocalFilter, focalBound?: number): Statement {
  const params = new SqlParams();
  const requests = distinctFocalSql(focalBound);
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
  SELECT r.rel_id, x.kind, x.service, count(*) AS calls, ${requests} AS requests,
    count(*) FILTER (WHERE x.failed) AS failed, ${percentilesSql([0.5, 0.9], 'x.duration_ns')} AS quantiles, sum(x.duration_ns) AS total
  FROM calls x JOIN relative r ON r.path_key = x.path_key
    JOIN focal f ON f.trace_id = x.trace_id AND f.call_id = x.path_call_ids[r.position] AND NOT f.synthetic
  GROUP BY r.rel_id, x.kind, x.service
)`;
  const union = unionSql(COLUMNS, [
    {
      tag: 'root',
      values: { calls: 'count(*)', requests: 'count(*)', failed: 'count(*) FILTER (WHERE failed)', ...ROOT_DURATIONS },
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
        p50: 'b.quantiles[1]',
        p90: 'b.quantiles[2]',
        total: 'b.total',
      },
      from: 'FROM below b JOIN slices s ON s.rel_id = b.rel_id',
    },
  ]);
  return { sql: `WITH ${focal},\n${relative}\n${union}`, params };
}

/**
 * `count(DISTINCT f.focal_key)`, or with a bound on the number of focal calls, the same count as
 * the set bits of a bitmap of focal keys (`focal_key` is `row_number()`, dense from 1). The
 * bitmap is several times cheaper than DuckDB's per-group distinct hash tables (1M spans, flow of
 * the entry service: the aggregate took about half the time with DISTINCT), at the price of
 * `bound / 8` bytes per group. DuckDB wants the bitmap's range as a constant, so the bound is
 * rounded up to a power of two: the statement text then takes one of a few dozen forms, which the
 * per-connection statement cache can hold.
 */
function distinctFocalSql(focalBound: number | undefined): string {
  if (focalBound === undefined || focalBound > MAX_BITMAP_BITS) return 'count(DISTINCT f.focal_key)';
  let bits = MIN_BITMAP_BITS;
  while (bits < focalBound) bits *= 2;
  return `bit_count(bitstring_agg(f.focal_key, 1, ${bits}))`;
}

const MIN_BITMAP_BITS = 1024;
/** 2^26 bits = 8 MiB per group; past it the distinct count is cheaper in memory. */
const MAX_BITMAP_BITS = 2 ** 26;

/** How many focal calls `filter` has: the bound `flowGroupsSql` sizes its bitmaps with. */
export function focalCountSql(filter: FocalFilter): Statement {
  const params = new SqlParams();
  return { sql: `WITH ${focalCte(params, filter, 'c.call_id')}\nSELECT count(*) FROM focal`, params };
}

/**
 * A flow whose window's rebuilt minutes hold at least this many focal calls is read from the flow
 * rollup (`flow-rollup.ts`), whose counts and total time are exact and whose percentiles are the
 * midpoints of duration buckets, within 0.78% (ADR 0007); a smaller one is computed from the calls,
 * exact. At this size the exact statement takes about as long as the rollup's (~10 ms on this
 * project's machine).
 */
export const FLOW_EXACT_LIMIT = 20_000;

/**
 * The flow groups of `filter`. Without a chain (the rollup keeps no chains), it first counts the
 * focal calls the rollup holds for the window's whole, rebuilt minutes, and reads the rollup when
 * they reach `exactLimit`. Otherwise it counts the focal calls and runs the exact statement sized
 * by that count.
 */
export async function runFlowGroups(conn: SerialConnection, filter: FocalFilter, exactLimit = FLOW_EXACT_LIMIT): Promise<FlowGroup[]> {
  if (filter.chain === undefined || filter.chain.length === 0) {
    // One transaction: the dirty minutes and the rollup rows come from the same snapshot.
    const rolledUp = await conn.transaction(async () => {
      const dirty = (await conn.query(DIRTY_BUCKETS)).getRows().map(([bucket]) => bucket as bigint);
      const minutes = windowMinutes(filter, dirty);
      const held = toNumber((await runStatement(conn, rolledUpFocalCountSql(filter, minutes)))[0]?.[0]);
      return held >= exactLimit ? flowGroupsFromRollupRows(await runStatement(conn, flowRollupSql(filter, minutes))) : undefined;
    });
    if (rolledUp !== undefined) return rolledUp;
  }
  const counted = await runStatement(conn, focalCountSql(filter));
  const focalCalls = toNumber(counted[0]?.[0]);
  return flowGroupsFromRows(await runStatement(conn, flowGroupsSql(filter, focalCalls)));
}

/** How a window splits into the rollup's minutes: the whole minutes inside it, and those of them not rebuilt yet. */
export interface WindowMinutes {
  /** Whole minutes [first, end) lie inside the window; none when `first >= end`. */
  readonly first: bigint;
  readonly end: bigint;
  /** The dirty minutes among them. */
  readonly dirty: readonly bigint[];
  /** Whether the window is exactly those minutes (no partial minute at either edge). */
  readonly aligned: boolean;
}

export function windowMinutes(range: TimeRange, dirtyBuckets: readonly bigint[]): WindowMinutes {
  const from = clampNanos(range.fromUnixNano);
  const to = clampNanos(range.toUnixNano);
  const first = -bucketOf(-from);
  const end = bucketOf(to);
  const dirty = first < end ? [...new Set(dirtyBuckets.filter((b) => b >= first && b < end))] : [];
  return { first, end, dirty, aligned: first < end && first * BUCKET_NANOS === from && end * BUCKET_NANOS === to };
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
