/**
 * appendSpans into DuckDB on the main thread vs through the storage worker
 * (`src/storage/worker/`): throughput, and how much of the main thread each leaves free for the
 * receivers, the decoder and the assembler.
 *
 *   npx tsx bench/worker-append.ts
 *   SPANS=600000 CONCURRENCY=4 ROUNDS=2 npx tsx bench/worker-append.ts
 *
 * Batches: realistic OTLP requests from bench/payloads.ts (1000 spans, 10-span traces over
 * Kubernetes services), encoded with `encodeTraceRequest` and decoded with `decodeTraceRequest`,
 * so payloads are views into the request buffer as in the server. A pool of distinct requests is
 * built up front and replayed; CONCURRENCY callers (default 4) append until SPANS are stored.
 * Two scenarios: `append` appends pre-decoded batches (the store alone); `decode+append` decodes
 * each request right before appending it, as the OTLP receiver does on the main thread, so the
 * main thread has real work competing with the store (SCENARIO=… runs one).
 *
 * Per mode: spans/s; main-thread event-loop utilization (the share of wall time the main thread
 * was busy; 1 − ELU is what is left for ingest work); main-thread GC time; process CPU (every
 * thread: the main one, the worker, DuckDB's); after the appends, sequential getTrace latency
 * (the read path's round trip). Then the transfer's own cost per span: packing,
 * `postMessage` (serialization on the sending thread), receiving and unpacking.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { bytesToHex } from '../src/model/ids.js';
import type { SpanBatch } from '../src/model/span-batch.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import type { Storage } from '../src/storage/api/storage.js';
import { openDuckDbStorage } from '../src/storage/duckdb/duckdb-storage.js';
import { packSpanBatch, unpackSpanBatch } from '../src/storage/worker/batch-transfer.js';
import type { PackedSpanBatch } from '../src/storage/worker/batch-transfer.js';
import { openWorkerStorage } from '../src/storage/worker/worker-storage.js';
import { makeTraceRequest } from './payloads.js';

const TOTAL_SPANS = Number(process.env.SPANS ?? 300_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const POOL_BATCHES = Number(process.env.POOL ?? 60);
const LOOKUPS = 500;
const MEMORY_LIMIT = process.env.MEMORY ?? '1GB';
const SCENARIOS: readonly Scenario[] = process.env.SCENARIO ? [process.env.SCENARIO as Scenario] : ['append', 'decode+append'];

type Mode = 'direct' | 'worker';

/**
 * `append`: callers append pre-decoded batches (the store's cost alone).
 * `decode+append`: callers decode each request first, as the OTLP receiver does on the main thread.
 */
type Scenario = 'append' | 'decode+append';

interface Pooled {
  readonly request: Uint8Array;
  readonly batch: SpanBatch;
}

interface RunResult {
  readonly scenario: Scenario;
  readonly mode: Mode;
  readonly spansPerSecond: number;
  readonly seconds: number;
  readonly mainBusy: number;
  readonly mainBusyMsPerBatch: number;
  readonly mainGcMs: number;
  readonly processCpuCores: number;
  readonly getTraceP50Ms: number;
  readonly getTraceP99Ms: number;
}

function buildPool(): Pooled[] {
  const pool: Pooled[] = [];
  for (let seed = 1; seed <= POOL_BATCHES; seed++) {
    const request = encodeTraceRequest(makeTraceRequest({ traces: 100, spansPerTrace: 10, seed, startTimeUnixNano: 1_767_225_600_000_000_000n + BigInt(seed) * 1_000_000_000n }));
    pool.push({ request, batch: decode(request) });
  }
  return pool;
}

function decode(request: Uint8Array): SpanBatch {
  const outcome = decodeTraceRequest(request);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.batch;
}

async function open(mode: Mode, dataDir: string): Promise<Storage> {
  return mode === 'direct'
    ? openDuckDbStorage({ dataDir, memoryLimit: MEMORY_LIMIT })
    : openWorkerStorage({ backend: 'duckdb', dataDir, memoryLimit: MEMORY_LIMIT });
}

async function run(scenario: Scenario, mode: Mode, pool: readonly Pooled[]): Promise<RunResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `tributary-worker-bench-${mode}-`));
  const storage = await open(mode, dataDir);
  // Warm-up: the first appends create the table's first row groups and JIT the paths.
  for (let i = 0; i < 5; i++) await storage.appendSpans(pool[i % pool.length]!.batch);

  const batches = Math.ceil(TOTAL_SPANS / pool[0]!.batch.length);
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  let spans = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < batches; i = next++) {
        const pooled = pool[i % pool.length]!;
        const batch = scenario === 'append' ? pooled.batch : decode(pooled.request);
        await storage.appendSpans(batch);
        spans += batch.length;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  await new Promise((resolve) => setImmediate(resolve)); // let the last GC entries arrive
  gc.disconnect();
  const lookupMillis = await lookups(storage, pool);
  await storage.close();
  await rm(dataDir, { recursive: true, force: true });
  return {
    scenario,
    mode,
    spansPerSecond: spans / seconds,
    seconds,
    mainBusy: elu.utilization,
    mainBusyMsPerBatch: elu.active / batches,
    mainGcMs: gcMs,
    processCpuCores: (cpu.user + cpu.system) / 1e6 / seconds,
    getTraceP50Ms: percentile(lookupMillis, 0.5),
    getTraceP99Ms: percentile(lookupMillis, 0.99),
  };
}

/** Sequential `getTrace` latencies (milliseconds) of traces the run stored: the read path's round trip. */
async function lookups(storage: Storage, pool: readonly Pooled[]): Promise<number[]> {
  const millis: number[] = [];
  for (let i = 0; i < LOOKUPS; i++) {
    const batch = pool[i % pool.length]!.batch;
    const traceId = bytesToHex(batch.traceIds.subarray(0, 16));
    const t = performance.now();
    const trace = await storage.getTrace(traceId);
    millis.push(performance.now() - t);
    if (trace.spans.length === 0) throw new Error(`trace ${traceId} came back empty`);
  }
  return millis.sort((a, b) => a - b);
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/** Nanoseconds per span of each step of the transfer, over the whole pool, best of 5 passes. */
function transferCost(pool: readonly SpanBatch[]): Record<string, number> {
  const spans = pool.reduce((n, b) => n + b.length, 0);
  const best: Record<string, number> = {};
  const keep = (step: string, ms: number): void => {
    best[step] = Math.min(best[step] ?? Infinity, (ms * 1e6) / spans);
  };
  const { port1, port2 } = new MessageChannel();
  for (let pass = 0; pass < 5; pass++) {
    let t = performance.now();
    const packed = pool.map(packSpanBatch);
    keep('pack', performance.now() - t);

    t = performance.now();
    for (const p of packed) port1.postMessage(p, [p.buffer]);
    keep('postMessage (transfer)', performance.now() - t);

    t = performance.now();
    const received: PackedSpanBatch[] = [];
    for (let m = receiveMessageOnPort(port2); m; m = receiveMessageOnPort(port2)) received.push(m.message as PackedSpanBatch);
    keep('receive (deserialize)', performance.now() - t);

    t = performance.now();
    for (const p of received) unpackSpanBatch(p);
    keep('unpack', performance.now() - t);

    // For comparison: the batch as it is, by structured clone (copies each payload view's buffer).
    t = performance.now();
    for (const b of pool) port1.postMessage(b);
    keep('postMessage of the raw batch (clone)', performance.now() - t);
    t = performance.now();
    while (receiveMessageOnPort(port2));
    keep('receive of the raw batch', performance.now() - t);
  }
  port1.close();
  return best;
}

type Figure = Exclude<keyof RunResult, 'scenario' | 'mode'>;
const FIGURES: readonly Figure[] = ['spansPerSecond', 'seconds', 'mainBusy', 'mainBusyMsPerBatch', 'mainGcMs', 'processCpuCores', 'getTraceP50Ms', 'getTraceP99Ms'];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function row(r: RunResult): string {
  return [
    r.scenario.padEnd(14),
    r.mode.padEnd(7),
    Math.round(r.spansPerSecond).toLocaleString('en').padStart(10),
    `${(r.mainBusy * 100).toFixed(1)}%`.padStart(9),
    `${((1 - r.mainBusy) * 100).toFixed(1)}%`.padStart(9),
    r.mainBusyMsPerBatch.toFixed(2).padStart(12),
    `${r.mainGcMs.toFixed(0)} ms`.padStart(10),
    r.processCpuCores.toFixed(2).padStart(10),
    `${r.getTraceP50Ms.toFixed(2)} / ${r.getTraceP99Ms.toFixed(2)}`.padStart(16),
  ].join('  ');
}

async function main(): Promise<void> {
  const pool = buildPool();
  const batches = pool.map((p) => p.batch);
  const payloadBytes = batches.reduce((n, b) => n + b.payloads.reduce((m, p) => m + p.byteLength, 0), 0) / batches.reduce((n, b) => n + b.length, 0);
  console.log(`${TOTAL_SPANS.toLocaleString('en')} spans per run in batches of ${batches[0]!.length} (pool of ${pool.length}, payload avg ${payloadBytes.toFixed(0)} B), ${CONCURRENCY} concurrent callers, DuckDB memory_limit ${MEMORY_LIMIT}`);
  console.log(`${'scenario'.padEnd(14)}  ${'mode'.padEnd(7)}  ${'spans/s'.padStart(10)}  ${'main busy'.padStart(9)}  ${'main free'.padStart(9)}  ${'main ms/batch'.padStart(12)}  ${'main GC'.padStart(10)}  ${'CPU cores'.padStart(10)}  ${'getTrace p50/p99'.padStart(16)}`);
  const results: RunResult[] = [];
  for (const scenario of SCENARIOS) {
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order, so neither mode always runs on a warmer machine.
      for (const mode of round % 2 === 0 ? (['direct', 'worker'] as const) : (['worker', 'direct'] as const)) {
        const result = await run(scenario, mode, pool);
        results.push(result);
        console.log(row(result));
      }
    }
  }
  if (ROUNDS > 1) {
    console.log(`\nmedians of ${ROUNDS} rounds:`);
    for (const scenario of SCENARIOS) {
      for (const mode of ['direct', 'worker'] as const) {
        const runs = results.filter((r) => r.scenario === scenario && r.mode === mode);
        const figures = Object.fromEntries(FIGURES.map((key) => [key, median(runs.map((r) => r[key]))])) as Pick<RunResult, Figure>;
        console.log(row({ scenario, mode, ...figures }));
      }
    }
  }
  console.log('\ntransfer cost per span (main thread: pack + postMessage; worker: receive + unpack):');
  for (const [step, ns] of Object.entries(transferCost(batches))) console.log(`  ${step.padEnd(38)} ${ns.toFixed(0).padStart(6)} ns`);
}

await main();
