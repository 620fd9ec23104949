/**
 * Query benchmark: the analyses (DESIGN.md §3) on a DuckDB store of ≥ 1M spans of OpenTelemetry
 * Demo traffic (bench/query-traffic.ts), ingested through the real path: encode → decode →
 * appendSpans → Assembler.add → flush. Prints a table of p50/p99 per query and writes
 * bench/results/query.json.
 *
 *   npx tsx bench/query.ts [--spans 1000000] [--runs 50] [--rebuild]
 *
 * The built store is cached in the temp directory, keyed by its size, so re-runs start at once.
 * Each query runs 3 times to warm up, then `--runs` times; every run of "trace by id" reads a
 * different trace. Targets (call-queries.ts fast path): backtrace p50 < 50 ms, trace by id p99 < 20 ms.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { foldBacktrace } from '../src/analysis/backtrace.js';
import { foldFlow } from '../src/analysis/flow.js';
import { Metrics } from '../src/app/metrics.js';
import { Assembler } from '../src/ingest/assembler.js';
import { ServiceInfoCache } from '../src/ingest/skeletons.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import type { FocalFilter, ServiceRef } from '../src/storage/api/call-queries.js';
import type { Storage } from '../src/storage/api/storage.js';
import { openDuckDbStorage } from '../src/storage/duckdb/duckdb-storage.js';
import { DemoTraffic } from './query-traffic.js';

const WINDOW_START = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
const WINDOW_MS = 3_600_000;
const WINDOW = { fromUnixNano: WINDOW_START, toUnixNano: WINDOW_START + BigInt(WINDOW_MS) * 1_000_000n };
const CACHE_VERSION = 2; // 2: path keys (schema version 3)
const WARMUP_RUNS = 3;

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at < 0 ? undefined : Number(process.argv[at + 1]);
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

const targetSpans = argument('spans', 1_000_000);
const runs = argument('runs', 50);
const dataDir = path.join(tmpdir(), 'tributary-bench-query', `otel-demo-${targetSpans}-v${CACHE_VERSION}`);
const builtFile = path.join(dataDir, 'built.json');

interface Built {
  readonly spans: number;
  readonly traces: number;
  readonly buildSeconds: number;
}

async function build(): Promise<Built> {
  rmSync(dataDir, { recursive: true, force: true });
  const started = performance.now();
  const storage = await openDuckDbStorage({ dataDir, memoryLimit: '2GB' });
  const logs: string[] = [];
  const assembler = new Assembler({
    storage,
    services: new ServiceInfoCache({ proxyServices: [] }),
    derivation: { failureRules: [] },
    metrics: new Metrics(),
    settleMs: 0,
    maxLiveSpans: 10_000_000,
    maxSpansPerTrace: 1_000_000,
    log: (message) => logs.push(message),
  });
  const tracesPerRequest = 100;
  const traffic = new DemoTraffic({ seed: 1, windowStartUnixNano: WINDOW_START, windowMs: WINDOW_MS, tracesPerRequest });
  let spans = 0;
  let traces = 0;
  for (let requests = 0; spans < targetSpans; requests++) {
    const next = traffic.next();
    const decoded = decodeTraceRequest(encodeTraceRequest(next.request));
    if (!decoded.ok) throw new Error(`generated request does not decode: ${decoded.error}`);
    assembler.add(decoded.batch, (await storage.appendSpans(decoded.batch)).seq);
    spans += decoded.batch.length;
    traces += tracesPerRequest;
    // Each request holds whole traces: derive them now rather than holding every skeleton.
    if (requests % 10 === 9) await assembler.flush();
    if (requests % 100 === 99) process.stderr.write(`  built ${spans} spans\r`);
  }
  await assembler.flush();
  await storage.close();
  if (logs.length > 0) console.error(`assembler said:\n  ${logs.slice(0, 5).join('\n  ')}`);
  const built = { spans, traces, buildSeconds: Math.round((performance.now() - started) / 100) / 10 };
  writeFileSync(builtFile, JSON.stringify(built));
  return built;
}

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
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    size = await run(i + WARMUP_RUNS);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const rank = (q: number) => Math.round(times[Math.max(1, Math.ceil(q * times.length)) - 1]! * 100) / 100;
  const result = { query, runs, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: rank(1), size };
  if (target === undefined) return result;
  const text = `${target.percentile === 'p50Ms' ? 'p50' : 'p99'} < ${target.belowMs} ms`;
  return { ...result, target: { text, met: result[target.percentile] < target.belowMs } };
}

const svc = (name: string, kind: ServiceRef['kind'] = 'service'): ServiceRef => ({ kind, name });
const focal = (service: ServiceRef, extra: Partial<FocalFilter> = {}): FocalFilter => ({ ...WINDOW, service, ...extra });

async function queries(storage: Storage): Promise<Measured[]> {
  const traceIds = (await storage.findTraces({ ...WINDOW, limit: 5_000 })).map((t) => t.traceId);
  const backtraceTarget: Target = { percentile: 'p50Ms', belowMs: 50 };
  const backtrace = async (filter: FocalFilter) => {
    const tree = foldBacktrace(filter.service, await storage.backtraceGroups(filter));
    return `${tree.requests} requests, ${tree.callers.length} callers`;
  };
  return [
    await measure('backtrace: product-catalog (mid-graph service)', () => backtrace(focal(svc('product-catalog'))), backtraceTarget),
    await measure('backtrace: astronomy-db (database)', () => backtrace(focal(svc('astronomy-db', 'database'))), backtraceTarget),
    await measure('backtrace: payment, chain frontend > checkout', () => backtrace(focal(svc('payment'), { chain: [{ name: 'frontend' }, { name: 'checkout' }] }))),
    await measure('backtrace details: product-catalog under frontend', async () => {
      const d = await storage.backtraceDetails(focal(svc('product-catalog')), [{ kind: 'service', name: 'frontend' }], 10);
      return `${d.requests} requests, ${d.instances.length} instances`;
    }),
    await measure('flow: frontend-proxy (entry service)', async () => {
      const tree = foldFlow(svc('frontend-proxy'), await storage.flowGroups(focal(svc('frontend-proxy'))));
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
  let built: Built;
  if (existsSync(builtFile) && process.argv.indexOf('--rebuild') < 0) {
    built = JSON.parse(readFileSync(builtFile, 'utf8')) as Built;
    console.log(`store: ${dataDir} (cached)`);
  } else {
    console.log(`building a store of ${targetSpans} spans in ${dataDir} …`);
    built = await build();
  }
  const storage = await openDuckDbStorage({ dataDir, memoryLimit: '2GB' });
  // Other processes on the machine skew every figure: the 1-minute load average goes with them.
  const loadBefore = loadavg()[0]!;
  let results: Measured[];
  let calls: number;
  try {
    calls = (await storage.serviceSummaries(WINDOW)).reduce((n, s) => n + s.requests, 0);
    results = await queries(storage);
  } finally {
    await storage.close();
  }
  const load = [loadBefore, loadavg()[0]!].map((l) => Math.round(l * 100) / 100);
  console.log(`${built.spans} spans, ${built.traces} traces, ${calls} calls (built in ${built.buildSeconds} s); ${runs} runs per query; load average ${load.join(' → ')}\n`);
  const width = Math.max(...results.map((r) => r.query.length));
  console.log(`${'query'.padEnd(width)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  ${'target'.padEnd(22)}  answer`);
  for (const r of results) {
    const target = r.target === undefined ? '' : `${r.target.text} ${r.target.met ? 'met' : 'MISSED'}`;
    console.log(`${r.query.padEnd(width)}  ${r.p50Ms.toFixed(2).padStart(8)}  ${r.p99Ms.toFixed(2).padStart(8)}  ${target.padEnd(22)}  ${r.size}`);
  }

  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  mkdirSync(path.join(repo, 'bench/results'), { recursive: true });
  const summary = { date: new Date().toISOString(), node: process.version, loadAverage: load, spans: built.spans, traces: built.traces, calls, runs, results };
  writeFileSync(path.join(repo, 'bench/results/query.json'), `${JSON.stringify(summary, null, 2)}\n`);
}

await main();
