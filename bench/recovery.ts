/**
 * `tsx bench/recovery.ts [--traces 20000] [--base-spans 500000] [--batched-only]`: start-up recovery of traces a
 * crash left underived, per-trace reads (`getTrace`, the code before batching) against batched
 * reads (`Assembler.recover` with `getTraces`), through the storage worker as `serve` runs it.
 *
 * Builds one DuckDB store (OpenTelemetry Demo traffic): `--base-spans` of derived history, then
 * `--traces` traces appended but never derived (what a kill -9 with a long settle window leaves).
 * Copies it twice and recovers each copy once. Prints wall time, process CPU (both threads) and
 * the load average before and after, since the machine is shared.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deriveCalls } from '../src/analysis/derive-calls.js';
import { ServiceInfoCache, skeletonsFromStoredTrace } from '../src/ingest/skeletons.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import type { Storage, TraceCalls } from '../src/storage/api/storage.js';
import { openDuckDbStorage } from '../src/storage/duckdb/duckdb-storage.js';
import { openWorkerStorage } from '../src/storage/worker/worker-storage.js';
import { demoAssembler } from './demo-load.js';
import { DemoTraffic } from './query-traffic.js';

const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const TRACES = flag('traces', 20_000);
const BASE_SPANS = flag('base-spans', 500_000);
const TRACES_PER_REQUEST = 100;


async function build(dataDir: string): Promise<{ baseSpans: number; pendingSpans: number }> {
  const storage = await openDuckDbStorage({ dataDir });
  const traffic = new DemoTraffic({ seed: 3, windowStartUnixNano: 1_767_225_600_000_000_000n, windowMs: 3_600_000, tracesPerRequest: TRACES_PER_REQUEST });
  const history = demoAssembler(storage);
  let baseSpans = 0;
  while (baseSpans < BASE_SPANS) {
    const decoded = decodeTraceRequest(encodeTraceRequest(traffic.next().request));
    if (!decoded.ok) throw new Error(decoded.error);
    history.add(decoded.batch, (await storage.appendSpans(decoded.batch)).seq);
    baseSpans += decoded.batch.length;
  }
  await history.flush();
  let pendingSpans = 0;
  for (let traces = 0; traces < TRACES; traces += TRACES_PER_REQUEST) {
    const decoded = decodeTraceRequest(encodeTraceRequest(traffic.next().request));
    if (!decoded.ok) throw new Error(decoded.error);
    await storage.appendSpans(decoded.batch);
    pendingSpans += decoded.batch.length;
  }
  await storage.close();
  return { baseSpans, pendingSpans };
}

/** The recovery loop as it was before `getTraces`: one `getTrace` per trace, 2,000 traces per write. */
async function recoverPerTrace(storage: Storage): Promise<number> {
  const services = new ServiceInfoCache({ proxyServices: [] });
  const pending = await storage.tracesNeedingDerivation(await storage.getDerivedWatermark());
  for (let i = 0; i < pending.length; i += 2_000) {
    const entries: TraceCalls[] = [];
    for (const traceId of pending.slice(i, i + 2_000)) {
      const stored = await storage.getTrace(traceId);
      if (stored.spans.length === 0) continue;
      let maxSeq = 0n;
      for (const span of stored.spans) if (span.seq > maxSeq) maxSeq = span.seq;
      const { calls } = deriveCalls(traceId, skeletonsFromStoredTrace(stored, services, 100_000), { failureRules: [] });
      entries.push({ traceId, calls, derivedSeq: maxSeq, firstDerivation: false });
    }
    await storage.replaceTraceCalls(entries);
  }
  return pending.length;
}

/** `storage` with the wall time spent in each method added up in `spent` (calls do not overlap here). */
function timed(storage: Storage, spent: Map<string, number>): Storage {
  const wrapped: Record<string, unknown> = { capabilities: storage.capabilities };
  // The worker's proxy is frozen, so wrap each method rather than proxy the object.
  for (const key of Object.keys(storage)) {
    const method: unknown = (storage as unknown as Record<string, unknown>)[key];
    if (typeof method !== 'function') continue;
    wrapped[key] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await (method as (...a: unknown[]) => Promise<unknown>)(...args);
      } finally {
        spent.set(key, (spent.get(key) ?? 0) + performance.now() - started);
      }
    };
  }
  return wrapped as unknown as Storage;
}

async function measure(label: string, dataDir: string, recover: (storage: Storage) => Promise<number>): Promise<void> {
  const spent = new Map<string, number>();
  const storage = timed(await openWorkerStorage({ backend: 'duckdb', dataDir }), spent);
  const load = os.loadavg()[0]!.toFixed(2);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const traces = await recover(storage);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const left = (await storage.tracesNeedingDerivation(-1n)).length;
  await storage.close();
  const cpuMs = (used.user + used.system) / 1_000;
  console.log(
    `${label.padEnd(22)} ${traces} traces: wall ${(wallMs / 1_000).toFixed(2)} s (${(wallMs / traces).toFixed(3)} ms/trace), ` +
      `cpu ${(cpuMs / 1_000).toFixed(2)} s, load ${load} → ${os.loadavg()[0]!.toFixed(2)}, left underived ${left}`,
  );
  spent.delete('close');
  spent.delete('tracesNeedingDerivation');
  console.log(`${''.padEnd(22)} store calls: ${[...spent].map(([method, ms]) => `${method} ${(ms / 1_000).toFixed(2)} s`).join(', ')}`);
}

const root = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-recovery-'));
try {
  const source = path.join(root, 'source');
  const built = await build(source);
  console.log(`store: ${built.baseSpans} derived spans + ${TRACES} underived traces (${built.pendingSpans} spans); ${os.cpus().length} cores`);
  for (const name of ['per-trace', 'batched']) cpSync(source, path.join(root, name), { recursive: true });
  if (!process.argv.includes('--batched-only')) await measure('per-trace getTrace', path.join(root, 'per-trace'), recoverPerTrace);
  await measure('batched getTraces', path.join(root, 'batched'), (storage) => demoAssembler(storage).recover());
} finally {
  rmSync(root, { recursive: true, force: true });
}
