/**
 * Query benchmark: the analyses (DESIGN.md §3) on a DuckDB store of OpenTelemetry Demo traffic
 * (bench/query-traffic.ts, built and cached by bench/demo-store.ts). Prints a table of p50/p99 per
 * query, writes bench/results/query.json, and with `--json <file>` the result for bench/run.ts.
 *
 *   npx tsx bench/query.ts [--spans 1000000] [--runs 50] [--budget-seconds N] [--rebuild] [--storage duckdb|clickhouse] [--json <file>]
 *
 * `--storage clickhouse` loads the same traffic into a throwaway ClickHouse server (the test
 * harness's; not cached, every run loads) and times the same queries on it.
 *
 * Each query runs twice to warm up, then `--runs` times, or fewer (at least 5) once its measured
 * runs took `--budget-seconds`; every run of "trace by id" reads a different trace. A query held
 * to a p99 target runs at least 200 times (budget permitting); with fewer than 100 runs, p99 is
 * the slowest run. Targets (issue 6, stated for 10M spans): backtrace and flow p50 < 50 ms, trace
 * by id p99 < 20 ms.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { foldBacktrace } from '../src/analysis/backtrace.js';
import { foldFlow } from '../src/analysis/flow.js';
import type { FocalFilter, ServiceRef } from '../src/storage/api/call-queries.js';
import type { Storage } from '../src/storage/api/storage.js';
import { openDuckDbStorage } from '../src/storage/duckdb/duckdb-storage.js';
import { openClickHouseQueryStore } from './clickhouse-demo-store.js';
import { DEMO_WINDOW as WINDOW, demoStore } from './demo-store.js';
import { numberFlag, round, sizeLabel, stringFlag, writePartResult, type Measure } from './result.js';

const WARMUP_RUNS = 2;
/** Runs every query gets, however slow. */
const MIN_RUNS = 5;
/** Runs a query held to a p99 target gets (budget permitting), so that its p99 is not its slowest run. */
const P99_RUNS = 200;
const targetSpans = numberFlag('spans', 1_000_000);
const runs = numberFlag('runs', 50);
/** `--storage clickhouse`: the same traffic loaded into a throwaway ClickHouse (bench/clickhouse-demo-store.ts). */
const clickhouse = stringFlag('storage') === 'clickhouse';
/** Past this many seconds of measured runs a query stops early (after MIN_RUNS): a slow query on a loaded machine would take minutes. */
const budgetSeconds = numberFlag('budget-seconds', Number.POSITIVE_INFINITY);

interface Measured {
  readonly query: string;
  /** The target this query is held to, if any, and whether this run met it. */
  readonly target?: { readonly text: string; readonly met: boolean };
  readonly runs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** What one answer held, so a reader sees the query did real work. */
  readonly size: string;
}

interface Target {
  readonly percentile: 'p50Ms' | 'p99Ms';
  readonly belowMs: number;
}

async function measure(query: string, run: (i: number) => Promise<string>, target?: Target): Promise<Measured> {
  for (let i = 0; i < WARMUP_RUNS; i++) await run(i);
  const times: number[] = [];
  let size = '';
  const budgetEnd = performance.now() + budgetSeconds * 1000;
  // A p99 of fewer than 100 runs is the slowest run: one cold read or GC pause decides it.
  const wanted = target?.percentile === 'p99Ms' ? Math.max(runs, P99_RUNS) : runs;
  for (let i = 0; i < wanted && (i < MIN_RUNS || performance.now() < budgetEnd); i++) {
    const started = performance.now();
    size = await run(i + WARMUP_RUNS);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const rank = (q: number) => round(times[Math.max(1, Math.ceil(q * times.length)) - 1]!, 2);
  const result = { query, runs: times.length, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: rank(1), size };
  if (target === undefined) return result;
  const text = `${target.percentile === 'p50Ms' ? 'p50' : 'p99'} < ${target.belowMs} ms`;
  return { ...result, target: { text, met: result[target.percentile] < target.belowMs } };
}

const svc = (name: string, kind: ServiceRef['kind'] = 'service'): ServiceRef => ({ kind, name });
const focal = (service: ServiceRef, extra: Partial<FocalFilter> = {}): FocalFilter => ({ ...WINDOW, service, ...extra });

async function queries(storage: Storage): Promise<Measured[]> {
  const traceIds = (await storage.findTraces({ ...WINDOW, limit: 5_000 })).map((t) => t.traceId);
  const p50Under50: Target = { percentile: 'p50Ms', belowMs: 50 };
  const backtrace = async (filter: FocalFilter) => {
    const tree = foldBacktrace(filter.service, await storage.backtraceGroups(filter));
    return `${tree.requests} requests, ${tree.callers.length} callers`;
  };
  return [
    await measure('backtrace: product-catalog (mid-graph service)', () => backtrace(focal(svc('product-catalog'))), p50Under50),
    await measure('backtrace: astronomy-db (database)', () => backtrace(focal(svc('astronomy-db', 'database'))), p50Under50),
    await measure('backtrace: payment, chain frontend > checkout', () => backtrace(focal(svc('payment'), { chain: [{ name: 'frontend' }, { name: 'checkout' }] }))),
    await measure('backtrace details: product-catalog under frontend', async () => {
      const d = await storage.backtraceDetails(focal(svc('product-catalog')), [{ kind: 'service', name: 'frontend' }], 10);
      return `${d.requests} requests, ${d.instances.length} instances`;
    }),
    await measure('flow: frontend-proxy (entry service)', async () => {
      const tree = foldFlow(svc('frontend-proxy'), await storage.flowGroups(focal(svc('frontend-proxy'))));
      return `${tree.calls} calls, ${tree.children.length} children`;
    }, p50Under50),
    await measure('flow: checkout (mid-graph service)', async () => {
      const tree = foldFlow(svc('checkout'), await storage.flowGroups(focal(svc('checkout'))));
      return `${tree.calls} calls, ${tree.children.length} children`;
    }, p50Under50),
    // Not a target: the window's partial minutes are read from the calls (ADR 0007), which this
    // store holds in random start order, so zone maps cannot narrow that search.
    await measure('flow: frontend-proxy, window cut inside minutes', async () => {
      const cut = focal(svc('frontend-proxy'), { fromUnixNano: WINDOW.fromUnixNano + 17_000_000_123n, toUnixNano: WINDOW.toUnixNano - 13_000_000_000n });
      const tree = foldFlow(svc('frontend-proxy'), await storage.flowGroups(cut));
      return `${tree.calls} calls, ${tree.children.length} children`;
    }),
    await measure('services list', async () => `${(await storage.serviceSummaries(WINDOW)).length} services`),
    await measure('service overview: checkout (neighbourhood)', async () => `${(await storage.serviceNeighbourhood(focal(svc('checkout')))).callees.length} callees`),
    await measure('failures: payment', async () => `${(await storage.failures(focal(svc('payment')), 60_000)).failed} failed`),
    await measure('trace by id (getTrace + getTraceCalls)', async (i) => {
      const traceId = traceIds[(i * 7_919) % traceIds.length]!;
      const [trace, calls] = await Promise.all([storage.getTrace(traceId), storage.getTraceCalls(traceId)]);
      return `${trace.spans.length} spans, ${calls.length} calls`;
    }, { percentile: 'p99Ms', belowMs: 20 }),
    await measure('traces list: newest 20', async () => `${(await storage.findTraces({ ...WINDOW, limit: 20 })).length} traces`),
    await measure('traces list: payment, failed only', async () => `${(await storage.findTraces({ ...WINDOW, service: svc('payment'), failedOnly: true, limit: 20 })).length} traces`),
  ];
}

async function main(): Promise<void> {
  const opened = clickhouse ? await openClickHouseQueryStore(targetSpans) : undefined;
  const store = opened?.store ?? (await demoStore(targetSpans, { rebuild: process.argv.includes('--rebuild') }));
  console.log(`store: ${store.dataDir} (${store.cached ? 'cached' : 'built now'}; building it took ${store.buildSeconds} s)`);
  const storage = opened?.storage ?? (await openDuckDbStorage({ dataDir: store.dataDir, memoryLimit: '2GB' }));
  // Other processes on the machine skew every figure: the 1-minute load average goes with them.
  const loadBefore = loadavg()[0]!;
  let results: Measured[];
  let calls: number;
  try {
    calls = (await storage.serviceSummaries(WINDOW)).reduce((n, s) => n + s.requests, 0);
    results = await queries(storage);
  } finally {
    await storage.close();
    await opened?.stop();
  }
  const load = [loadBefore, loadavg()[0]!].map((l) => round(l, 2));
  console.log(`${store.spans} spans, ${store.traces} traces, ${calls} calls, schema ${store.schemaVersion}; up to ${runs} runs per query${Number.isFinite(budgetSeconds) ? ` (${budgetSeconds} s budget each)` : ''}; load average ${load.join(' → ')}\n`);
  const width = Math.max(...results.map((r) => r.query.length));
  console.log(`${'query'.padEnd(width)}  ${'runs'.padStart(4)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  ${'target'.padEnd(22)}  answer`);
  for (const r of results) {
    const target = r.target === undefined ? '' : `${r.target.text} ${r.target.met ? 'met' : 'MISSED'}`;
    console.log(`${r.query.padEnd(width)}  ${String(r.runs).padStart(4)}  ${r.p50Ms.toFixed(2).padStart(8)}  ${r.p99Ms.toFixed(2).padStart(8)}  ${target.padEnd(22)}  ${r.size}`);
  }

  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  mkdirSync(path.join(repo, 'bench/results'), { recursive: true });
  const summary = { date: new Date().toISOString(), node: process.version, loadAverage: load, spans: store.spans, traces: store.traces, calls, maxRuns: runs, budgetSeconds: Number.isFinite(budgetSeconds) ? budgetSeconds : null, schemaVersion: store.schemaVersion, buildSeconds: store.buildSeconds, storeCached: store.cached, results };
  writeFileSync(path.join(repo, `bench/results/query${clickhouse ? '-clickhouse' : ''}.json`), `${JSON.stringify(summary, null, 2)}\n`);
  const label = `${sizeLabel(store.spans)}${clickhouse ? ' ClickHouse' : ''}`;
  const measures: Measure[] = results.map((r) => ({
    name: `query ${label}: ${r.query}`,
    value: r.target?.text.startsWith('p99') ? r.p99Ms : r.p50Ms,
    unit: 'ms',
    display: `p50 ${r.p50Ms.toFixed(1)} / p99 ${r.p99Ms.toFixed(1)} ms (${r.runs} runs)`,
    ...(r.target === undefined ? {} : { target: r.target }),
  }));
  writePartResult({ part: `query-${label.toLowerCase().replace(' ', '-')}`, measures, details: summary });
}

await main();
