/**
 * Call-write benchmark: how fast the DuckDB store takes derived service calls
 * (`replaceTraceCalls`, on the ingest hot path behind the assembler), so a change to the `calls`
 * layout or to the writer shows what it costs there.
 *
 *   npx tsx bench/query-call-writes.ts [--traces 40000] [--rounds 3]
 *
 * The calls are derived up front, as the assembler derives them, from the OpenTelemetry Demo
 * traffic of the query benchmark (bench/query-traffic.ts; ~10 calls per trace, depth up to 5).
 * Each round writes them into a fresh store in entries of 2,000 traces (the assembler's settle
 * chunk): first as first derivations (append only), then once more as re-derivations (delete the
 * trace's calls, then append). Prints calls per second (wall time) and calls per CPU-second (the
 * process's CPU time, DuckDB's threads included: steadier than wall time on a shared machine), per
 * round and the median.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { deriveCalls } from '../src/analysis/derive-calls.js';
import { ServiceInfoCache, skeletonsOfBatch, traceIdOf } from '../src/ingest/skeletons.js';
import type { SpanSkeleton } from '../src/model/skeleton.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import type { TraceCalls } from '../src/storage/api/storage.js';
import { openDuckDbStorage } from '../src/storage/duckdb/duckdb-storage.js';
import { DemoTraffic } from './query-traffic.js';

const WINDOW_START = 1_767_225_600_000_000_000n;
const SETTLE_CHUNK = 2_000;

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at < 0 ? undefined : Number(process.argv[at + 1]);
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

const targetTraces = argument('traces', 40_000);
const rounds = argument('rounds', 3);

function deriveAll(): TraceCalls[] {
  const services = new ServiceInfoCache({ proxyServices: [] });
  const traffic = new DemoTraffic({ seed: 7, windowStartUnixNano: WINDOW_START, windowMs: 3_600_000, tracesPerRequest: 100 });
  const entries: TraceCalls[] = [];
  while (entries.length < targetTraces) {
    const decoded = decodeTraceRequest(encodeTraceRequest(traffic.next().request));
    if (!decoded.ok) throw new Error(`generated request does not decode: ${decoded.error}`);
    const traces = new Map<string, SpanSkeleton[]>();
    const skeletons = skeletonsOfBatch(decoded.batch, services);
    for (let i = 0; i < decoded.batch.length; i++) {
      const traceId = traceIdOf(decoded.batch, i);
      let spans = traces.get(traceId);
      if (spans === undefined) traces.set(traceId, (spans = []));
      spans.push(skeletons[i]!);
    }
    for (const [traceId, spans] of traces) {
      entries.push({ traceId, calls: deriveCalls(traceId, spans, { failureRules: [] }).calls, derivedSeq: 1n, firstDerivation: true });
    }
  }
  return entries.slice(0, targetTraces);
}

interface Timing {
  readonly wallMs: number;
  /** CPU time of the whole process (JavaScript and DuckDB's threads): less skewed by other load than wall time. */
  readonly cpuMs: number;
}

async function writeAll(entries: readonly TraceCalls[], firstDerivation: boolean): Promise<Timing> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tributary-bench-call-writes-'));
  const storage = await openDuckDbStorage({ dataDir, memoryLimit: '1GB' });
  try {
    if (!firstDerivation) {
      for (let i = 0; i < entries.length; i += SETTLE_CHUNK) await storage.replaceTraceCalls(entries.slice(i, i + SETTLE_CHUNK));
    }
    const again = entries.map((e) => ({ ...e, derivedSeq: 2n, firstDerivation }));
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < again.length; i += SETTLE_CHUNK) await storage.replaceTraceCalls(again.slice(i, i + SETTLE_CHUNK));
    const used = process.cpuUsage(cpu);
    return { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

async function main(): Promise<void> {
  const entries = deriveAll();
  const calls = entries.reduce((n, e) => n + e.calls.length, 0);
  const depth = entries.reduce((d, e) => e.calls.reduce((m, c) => Math.max(m, c.path.length), d), 0);
  console.log(`${entries.length} traces, ${calls} calls (max path length ${depth}); entries of ${SETTLE_CHUNK} traces; load average ${loadavg()[0]!.toFixed(2)}`);
  for (const [label, first] of [['first derivations (append)', true], ['re-derivations (delete + append)', false]] as const) {
    const timings: Timing[] = [];
    for (let round = 0; round < rounds; round++) timings.push(await writeAll(entries, first));
    const rates = timings.map((t) => calls / (t.wallMs / 1000));
    const cpuRates = timings.map((t) => calls / (t.cpuMs / 1000));
    const rounded = (xs: number[]) => xs.map((r) => Math.round(r).toLocaleString('en')).join(', ');
    console.log(
      `${label.padEnd(34)} median ${Math.round(median(rates)).toLocaleString('en')} calls/s, ${Math.round(median(cpuRates)).toLocaleString('en')} calls/CPU-s` +
        `   rounds: ${rounded(rates)} calls/s; ${rounded(cpuRates)} calls/CPU-s`,
    );
  }
  console.log(`load average after: ${loadavg()[0]!.toFixed(2)}`);
}

await main();
