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
import type { DuckDBListValue } from '@duckdb/node-api';
import type { ServiceKind } from '../../../model/service.js';
import type { FlowGroup, FocalFilter, ServiceRef } from '../../api/call-queries.js';
import { flowGroupsFromRollupRows, flowRollupSql, rolledUpFocalCountSql, windowMinutes } from './flow-rollup-read.js';
import { focalCte } from './focal-sql.js';
import { percentilesSql } from './percentiles.js';
import { nanosToMs, toNumber, toText } from './rows.js';
import { splitSections, unionSql, type SectionColumns } from './sections.js';
import { DIRTY_BUCKETS } from './rollup-minutes.js';
import { SqlParams } from './sql-params.js';
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
 * exact. The limit keeps small flows exact rather than balancing speeds: in `npm run bench` the
 * exact statement took 30 ms for 11K focal calls (1M spans, checkout) and 50 ms for 57K (1M,
 * entry service, schema 8), a rollup read 13–30 ms at 10M spans.
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
