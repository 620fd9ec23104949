/**
 * Baseline for the backtrace: what answering it costs without the materialized call paths.
 *
 *   npx tsx bench/naive-backtrace.ts [--spans 200000] [--naive-runs 3] [--runs 20] [--focal product-catalog,astronomy-db] [--json <file>]
 *
 * Naive: find the traces with a call of the focal service (the traces list query), load every one
 * of them whole with `getTrace`, derive its calls from the spans (`deriveCalls`), link each call
 * to its parent call and walk up from every focal call (the analysis oracle, `analysis/oracle`).
 * Materialized: `backtraceGroups` (one aggregation over the `calls` table's path keys) folded with
 * `foldBacktrace`, as the API serves it. Both answers are asserted equal before anything is timed.
 * The store is the cached OpenTelemetry Demo store of bench/demo-store.ts.
 */
import { deepStrictEqual } from 'node:assert';
import { loadavg } from 'node:os';
import { foldBacktrace, type BacktraceNode } from '../src/analysis/backtrace.js';
import { Oracle, type OracleInput } from '../src/analysis/oracle/oracle.js';
import { ServiceInfoCache, skeletonsFromStoredTrace } from '../src/ingest/skeletons.js';
import type { FocalFilter, ServiceRef } from '../src/storage/api/call-queries.js';
import type { Storage } from '../src/storage/api/storage.js';
import { openDuckDbStorage } from '../src/storage/duckdb/duckdb-storage.js';
import { DEMO_WINDOW, demoStore } from './demo-store.js';
import { numberFlag, percentile, round, sizeLabel, stringFlag, writePartResult, type Measure } from './result.js';

const targetSpans = numberFlag('spans', 200_000);
const naiveRuns = numberFlag('naive-runs', 3);
const runs = numberFlag('runs', 20);
/** The focal services compared: a mid-graph service and a database (a synthetic callee). */
const FOCAL: Record<string, ServiceRef> = {
  'product-catalog': { kind: 'service', name: 'product-catalog' },
  'astronomy-db': { kind: 'database', name: 'astronomy-db' },
};
const focalNames = (stringFlag('focal') ?? Object.keys(FOCAL).join(',')).split(',');
/** getTrace calls in flight: the store has 2 reader connections; a naive service would not go one by one either. */
const LOAD_CONCURRENCY = 4;

interface NaiveTimings {
  readonly findMs: number;
  readonly loadMs: number;
  readonly walkMs: number;
  readonly totalMs: number;
  readonly traces: number;
  readonly spans: number;
}

async function naiveBacktrace(storage: Storage, filter: FocalFilter): Promise<{ tree: BacktraceNode; timings: NaiveTimings }> {
  const t0 = performance.now();
  const traceIds = (await storage.findTraces({ ...filter, limit: 100_000_000 })).map((t) => t.traceId);
  const t1 = performance.now();
  const services = new ServiceInfoCache({ proxyServices: [] });
  const inputs: OracleInput[] = new Array(traceIds.length);
  let next = 0;
  let spans = 0;
  await Promise.all(
    Array.from({ length: LOAD_CONCURRENCY }, async () => {
      for (let i = next++; i < traceIds.length; i = next++) {
        const traceId = traceIds[i]!;
        const skeletons = skeletonsFromStoredTrace(await storage.getTrace(traceId), services, Number.MAX_SAFE_INTEGER);
        spans += skeletons.length;
        inputs[i] = { traceId, spans: skeletons };
      }
    }),
  );
  const t2 = performance.now();
  const tree = new Oracle(inputs, { failureRules: [] }).backtrace(filter);
  const t3 = performance.now();
  return { tree, timings: { findMs: t1 - t0, loadMs: t2 - t1, walkMs: t3 - t2, totalMs: t3 - t0, traces: traceIds.length, spans } };
}

async function materializedBacktrace(storage: Storage, filter: FocalFilter): Promise<BacktraceNode> {
  return foldBacktrace(filter.service, await storage.backtraceGroups(filter));
}

interface Compared {
  readonly service: string;
  readonly focalCalls: number;
  readonly tracesLoaded: number;
  readonly spansLoaded: number;
  readonly naiveMs: number;
  readonly naiveSplitMs: { readonly find: number; readonly load: number; readonly deriveAndWalk: number };
  readonly materializedP50Ms: number;
  readonly materializedP99Ms: number;
  readonly speedup: number;
}

async function compare(storage: Storage, service: ServiceRef): Promise<Compared> {
  const filter: FocalFilter = { ...DEMO_WINDOW, service };
  // Same answers first: a baseline that computes something else measures nothing.
  const first = await naiveBacktrace(storage, filter);
  deepStrictEqual(first.tree, await materializedBacktrace(storage, filter), `naive and materialized backtraces of ${service.name} differ`);
  for (let i = 0; i < 3; i++) await materializedBacktrace(storage, filter);
  const materialized: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await materializedBacktrace(storage, filter);
    materialized.push(performance.now() - t);
  }
  // The first naive run (cold, and the equality check) is not counted when there are more.
  const naive = naiveRuns > 1 ? [] : [first.timings];
  for (let i = 1; i < naiveRuns; i++) naive.push((await naiveBacktrace(storage, filter)).timings);
  naive.sort((a, b) => a.totalMs - b.totalMs);
  const median = naive[Math.floor((naive.length - 1) / 2)]!;
  const p50 = percentile(materialized, 0.5);
  return {
    service: `${service.kind} ${service.name}`,
    focalCalls: first.tree.requests,
    tracesLoaded: median.traces,
    spansLoaded: median.spans,
    naiveMs: round(median.totalMs, 1),
    naiveSplitMs: { find: round(median.findMs, 1), load: round(median.loadMs, 1), deriveAndWalk: round(median.walkMs, 1) },
    materializedP50Ms: round(p50, 2),
    materializedP99Ms: round(percentile(materialized, 0.99), 2),
    speedup: round(median.totalMs / p50, 1),
  };
}

async function main(): Promise<void> {
  const store = await demoStore(targetSpans);
  const storage = await openDuckDbStorage({ dataDir: store.dataDir, memoryLimit: '2GB' });
  const loadBefore = loadavg()[0]!;
  let results: Compared[];
  try {
    results = [];
    for (const name of focalNames) {
      const service = FOCAL[name];
      if (service === undefined) throw new Error(`--focal: ${name} is none of ${Object.keys(FOCAL).join(', ')}`);
      results.push(await compare(storage, service));
    }
  } finally {
    await storage.close();
  }
  const load = [loadBefore, loadavg()[0]!].map((l) => round(l, 2));
  console.log(`store of ${store.spans.toLocaleString('en')} spans (${store.traces.toLocaleString('en')} traces); naive: median of ${naiveRuns} run(s), materialized: ${runs} runs; load average ${load.join(' → ')}`);
  console.table(results.map((r) => ({ focal: r.service, 'focal calls': r.focalCalls, 'traces loaded': r.tracesLoaded, 'naive ms': r.naiveMs, 'find/load/walk ms': `${r.naiveSplitMs.find}/${r.naiveSplitMs.load}/${r.naiveSplitMs.deriveAndWalk}`, 'materialized p50/p99 ms': `${r.materializedP50Ms}/${r.materializedP99Ms}`, speedup: `${r.speedup}×` })));
  const label = `${sizeLabel(store.spans)} spans`;
  const measures: Measure[] = results.flatMap((r) => [
    { name: `backtrace ${r.service}, ${label}: naive (load traces, walk parents)`, value: r.naiveMs, unit: 'ms', display: `${r.naiveMs.toLocaleString('en')} ms (${r.tracesLoaded.toLocaleString('en')} traces)` },
    { name: `backtrace ${r.service}, ${label}: materialized p50`, value: r.materializedP50Ms, unit: 'ms', display: `${r.materializedP50Ms} ms (${r.speedup}× faster, same answer)` },
  ]);
  writePartResult({ part: 'naive-backtrace', measures, details: { spans: store.spans, traces: store.traces, schemaVersion: store.schemaVersion, storeCached: store.cached, buildSeconds: store.buildSeconds, naiveRuns, runs, loadAverage: load, results } });
}

await main();
