/**
 * The services list, service kinds and the resource list for zones, in DuckDB.
 *
 * Services list (decisions of analysis/oracle/services.ts): the counted calls are those starting in
 * the window and, with a zone, whose resource is in it — a synthetic call through the resource of
 * the call that made it (its last path entry). Callers are the last path entries of the counted
 * calls (the `unknown` caller is one service; a root call adds none). Callees are the calls whose
 * last path entry is a counted call, whenever they start and whatever their zone.
 */
import { BIGINT, LIST, listValue, type DuckDBMapValue } from '@duckdb/node-api';
import { SERVICE_KINDS, type ServiceKind } from '../../../model/service.js';
import type { ServiceSummary, TimeRange, ZoneFilter } from '../../api/call-queries.js';
import { StorageError } from '../../api/storage.js';
import { id64Hex } from '../id-codec.js';
import { compareText, nanosToMs, percentileSql, toNumber, toText } from './rows.js';
import { splitSections, unionSql, type SectionColumns } from './sections.js';
import { clampNanos, SqlParams, windowSql } from './sql-params.js';
import { percentilesSql } from './percentiles.js';
import { BUCKET_NANOS, bucketOf, bucketSql } from './rollup-minutes.js';
import { serviceContributionsSql, FACET_CALLEE, FACET_CALLER, FACET_WHERE } from './service-rollup.js';
import type { Rows, Statement } from './statement.js';

const COLUMNS: SectionColumns = [
  ['kind', 'VARCHAR'],
  ['service', 'VARCHAR'],
  ['a', 'VARCHAR'],
  ['b', 'VARCHAR'],
  ['c', 'VARCHAR'],
  ['d', 'VARCHAR'],
  ['n', 'BIGINT'],
  ['failed', 'BIGINT'],
  ['p50', 'BIGINT'],
  ['p90', 'BIGINT'],
  ['p99', 'BIGINT'],
];

/**
 * The services list of `range` (and `zone`): one statement of four grouped sections, mapped by
 * `serviceSummariesFromRows` — the RED figures per service (`red`), and the distinct
 * (instance, namespace, workload, node) (`where`), callers (`caller`) and callees (`callee`) per
 * service, which are counted and listed in JavaScript.
 *
 * Without a zone, only `red` reads every call of the window (exact percentiles need every
 * duration; the three are one `quantile_disc` list, which orders each group once). The other
 * sections come from `service_rollup` (`service-rollup.ts`) for the whole minutes inside the
 * window, and from `calls` (the same rules, `serviceContributionsSql`) only for the partial minutes at its
 * edges and the minutes whose rollup rows are not rebuilt yet (`dirtyBuckets`, read from
 * `rollup_dirty` in the same transaction). With a zone, the counted calls depend on each call's resource, which the rollup does not
 * keep: `zonedSummariesSql` groups the calls themselves.
 */
export function serviceSummariesSql(range: TimeRange, zone?: ZoneFilter, dirtyBuckets: readonly bigint[] = []): Statement {
  if (zone !== undefined) return zonedSummariesSql(range, zone);
  const params = new SqlParams();
  const from = clampNanos(range.fromUnixNano);
  const to = clampNanos(range.toUnixNano);
  // Whole minutes [firstBucket, endBucket) lie inside [from, to); the rest of the window is its edges.
  const firstBucket = -bucketOf(-from);
  const endBucket = bucketOf(to);
  const inside = firstBucket < endBucket;
  const window = windowSql(params, 'c.start_time_ns', range);
  const facetSources: string[] = [];
  let fromCalls = window;
  if (inside) {
    const dirty = [...new Set(dirtyBuckets.filter((b) => b >= firstBucket && b < endBucket))];
    const dirtyList = dirty.length > 0 ? params.add(listValue(dirty), LIST(BIGINT)) : '';
    facetSources.push(`SELECT kind, service, facet, v1, v2, v3, v4 FROM service_rollup
    WHERE bucket >= ${params.add(firstBucket, BIGINT)} AND bucket < ${params.add(endBucket, BIGINT)}${dirty.length > 0 ? ` AND bucket NOT IN (SELECT unnest(${dirtyList}))` : ''}`);
    const aligned = firstBucket * BUCKET_NANOS === from && endBucket * BUCKET_NANOS === to;
    // From the calls: the window's edges, and the whole minutes whose rollup rows are stale.
    const parts = aligned ? [] : [`NOT (${windowSql(params, 'c.start_time_ns', { fromUnixNano: firstBucket * BUCKET_NANOS, toUnixNano: endBucket * BUCKET_NANOS })})`];
    if (dirty.length > 0) parts.push(`${bucketSql('c.start_time_ns')} IN (SELECT unnest(${dirtyList}))`);
    fromCalls = parts.length === 0 ? '' : `${window} AND (${parts.join(' OR ')})`;
  }
  if (fromCalls !== '') facetSources.push(`SELECT kind, service, facet, v1, v2, v3, v4 FROM (${serviceContributionsSql(() => fromCalls)})`);
  const union = unionSql(COLUMNS, [
    {
      tag: 'red',
      values: { kind: 'kind', service: 'service', n: 'n', failed: 'failed', p50: 'q[1]', p90: 'q[2]', p99: 'q[3]' },
      from: `FROM (SELECT kind, service, count(*) AS n, count(*) FILTER (WHERE failed) AS failed, ${percentilesSql([0.5, 0.9, 0.99])} AS q
    FROM calls c WHERE ${window} GROUP BY kind, service)`,
    },
    ...FACET_SECTIONS.map(({ tag, facet, values }) => ({
      tag,
      values: { kind: 'kind', service: 'service', ...values },
      from: `FROM facets WHERE facet = ${facet} GROUP BY ALL`,
    })),
  ]);
  return { sql: `WITH facets AS MATERIALIZED (\n  ${facetSources.join('\n  UNION ALL\n  ')}\n)\n${union}`, params };
}

/** The rollup's facets as the sections of the zoned statement (`serviceSummariesFromRows` reads both alike). */
const FACET_SECTIONS = [
  { tag: 'where', facet: FACET_WHERE, values: { a: 'v1', b: 'v2', c: 'v3', d: 'v4' } },
  { tag: 'caller', facet: FACET_CALLER, values: { a: 'v1', b: 'v2', c: "'false'" } },
  { tag: 'callee', facet: FACET_CALLEE, values: { a: 'v1', b: 'v2' } },
] as const;

/**
 * The services list in a zone: one statement of four grouped sections over the counted calls: the RED figures per service,
 * and the distinct (instance, namespace, workload, node), callers and callees per service, which
 * are counted and listed here. Small GROUP BYs instead of `count(DISTINCT …)` aggregates: on 1M
 * spans they took ~100 ms where the five DISTINCT aggregates took ~290 ms. `counted` is inlined
 * (each section scans `calls` itself, reading only its columns). The callers are grouped by
 * `path_key` first and read their last path entry from the `call_paths` dictionary (~20 ms on 1M
 * spans, against ~95 ms reading every counted call's path lists).
 */
function zonedSummariesSql(range: TimeRange, zone: ZoneFilter): Statement {
  const params = new SqlParams();
  const window = windowSql(params, 'c.start_time_ns', range);
  const zoned = `FROM calls c
  LEFT JOIN calls o ON c.synthetic AND o.trace_id = c.trace_id AND o.call_id = c.path_call_ids[c.depth] AND NOT o.synthetic
  JOIN (SELECT DISTINCT unnest(${params.resourceIds(zone.resourceIds)}) AS id) z ON z.id = CASE WHEN c.synthetic THEN o.resource_id ELSE c.resource_id END
  WHERE ${window}`;
  const counted = `counted AS NOT MATERIALIZED (
  SELECT c.trace_id, c.call_id, c.synthetic, c.kind, c.service, c.failed, c.duration_ns, c.depth, c.path_key,
    c.instance, c.k8s_namespace, c.k8s_workload, c.k8s_node
  ${zoned}
)`;
  const union = unionSql(COLUMNS, [
    {
      tag: 'red',
      values: { kind: 'kind', service: 'service', n: 'count(*)', failed: 'count(*) FILTER (WHERE failed)', p50: percentileSql(0.5), p90: percentileSql(0.9), p99: percentileSql(0.99) },
      from: 'FROM counted GROUP BY kind, service',
    },
    {
      tag: 'where',
      values: { kind: 'kind', service: 'service', a: 'instance', b: 'k8s_namespace', c: 'k8s_workload', d: 'k8s_node' },
      from: 'FROM counted GROUP BY kind, service, instance, k8s_namespace, k8s_workload, k8s_node',
    },
    {
      tag: 'caller',
      values: { kind: 'k.kind', service: 'k.service', a: 'p.path_kinds[len(p.path_kinds)]', b: 'p.path_names[len(p.path_names)]', c: 'bool_or(p.path_key IS NULL)::VARCHAR' },
      from: `FROM (SELECT kind, service, path_key FROM counted WHERE depth > 0 GROUP BY kind, service, path_key) k
   LEFT JOIN call_paths p ON p.path_key = k.path_key
   GROUP BY k.kind, k.service, p.path_kinds[len(p.path_kinds)], p.path_names[len(p.path_names)]`,
    },
    {
      tag: 'callee',
      values: { kind: 'p.kind', service: 'p.service', a: 'x.kind', b: 'x.service' },
      from: `FROM counted p JOIN calls x ON x.trace_id = p.trace_id AND x.path_call_ids[x.depth] = p.call_id
   WHERE NOT p.synthetic GROUP BY p.kind, p.service, x.kind, x.service`,
    },
  ]);
  return { sql: `WITH ${counted}\n${union}`, params };
}

interface ServiceSets {
  readonly instances: Set<string>;
  readonly namespaces: Set<string>;
  readonly workloads: Set<string>;
  readonly nodes: Set<string>;
  readonly callers: Set<string>;
  readonly callees: Set<string>;
}

export function serviceSummariesFromRows(rows: Rows): ServiceSummary[] {
  const sections = splitSections(rows);
  const sets = new Map<string, ServiceSets>();
  const setsOf = (row: Rows[number]): ServiceSets => {
    const key = JSON.stringify([row[0], row[1]]);
    let entry = sets.get(key);
    if (entry === undefined) {
      entry = { instances: new Set(), namespaces: new Set(), workloads: new Set(), nodes: new Set(), callers: new Set(), callees: new Set() };
      sets.set(key, entry);
    }
    return entry;
  };
  const add = (set: Set<string>, value: Rows[number][number] | undefined) => {
    if (value !== null && value !== undefined) set.add(value as string);
  };
  for (const row of sections.get('where') ?? []) {
    const entry = setsOf(row);
    add(entry.instances, row[2]);
    add(entry.namespaces, row[3]);
    add(entry.workloads, row[4]);
    add(entry.nodes, row[5]);
  }
  for (const row of sections.get('caller') ?? []) {
    // A caller read from no dictionary row: a call's path key is missing from call_paths.
    if (row[4] === 'true') throw new StorageError('calls whose path key has no row in call_paths: the store is inconsistent');
    setsOf(row).callers.add(JSON.stringify([row[2], row[3]]));
  }
  for (const row of sections.get('callee') ?? []) setsOf(row).callees.add(JSON.stringify([row[2], row[3]]));
  const sorted = (set: Set<string>) => [...set].sort(compareText);
  return (sections.get('red') ?? [])
    .map((row) => {
      const entry = setsOf(row);
      return {
        kind: toText(row[0]) as ServiceKind,
        name: toText(row[1]),
        requests: toNumber(row[6]),
        failed: toNumber(row[7]),
        durationP50Ms: nanosToMs(row[8]),
        durationP90Ms: nanosToMs(row[9]),
        durationP99Ms: nanosToMs(row[10]),
        callers: entry.callers.size,
        callees: entry.callees.size,
        instances: entry.instances.size,
        namespaces: sorted(entry.namespaces),
        workloads: sorted(entry.workloads),
        nodes: sorted(entry.nodes),
      };
    })
    .sort((a, b) => compareText(a.kind, b.kind) || compareText(a.name, b.name));
}

export function serviceKindsSql(name: string): Statement {
  const params = new SqlParams();
  return { sql: `SELECT DISTINCT kind FROM calls WHERE service = ${params.text(name)}`, params };
}

/** In `SERVICE_KINDS` order. */
export function serviceKindsFromRows(rows: Rows): ServiceKind[] {
  const kinds = new Set(rows.map((row) => row[0] as string));
  return SERVICE_KINDS.filter((kind) => kinds.has(kind));
}

export const LIST_RESOURCES_SQL = 'SELECT id, attribute_strings FROM resources';

export function resourcesFromRows(rows: Rows): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const [id, strings] of rows) {
    // fromEntries defines own properties, so a key such as `__proto__` stays an attribute.
    const attributes = Object.fromEntries((strings as DuckDBMapValue).entries.map(({ key, value }) => [key as string, value as string]));
    out.set(id64Hex(id as bigint), attributes);
  }
  return out;
}
