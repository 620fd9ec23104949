/**
 * Flow on a live-like store, and the rollup refresh's cost (ADR 0007). `bench/query.ts` times
 * flows on stores whose traces start at random within the hour, with every minute's rollup rebuilt.
 * A serving store differs: its calls are written in about start order, and its newest minutes
 * are not rebuilt yet, so a flow reads them from the calls. This program loads OpenTelemetry Demo
 * traffic (`query-traffic.ts`) minute by minute through the real ingest path, rebuilds the rollups
 * of all but the last `--dirty` minutes (timed: the refresh timer's work per minute), loads those,
 * and times flows over the whole hour and over "the last hour" cut inside minutes at both ends.
 *
 *   npm run bench:flow-live                                   # 60 minutes × 166,700 spans (10M), 2 dirty
 *   npm run bench:flow-live -- --minutes 3 --spans-per-minute 2160000 --dirty 1   # refresh at 36K spans/s
 *
 * Flags: `--minutes`, `--spans-per-minute`, `--dirty`, `--runs` (12), `--data DIR` (kept and reused
 * when it holds a store; default a fresh temp dir, deleted), `--json FILE`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { foldFlow } from '../src/analysis/flow.js';
import type { Assembler } from '../src/ingest/assembler.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import type { FocalFilter, TimeRange } from '../src/storage/api/call-queries.js';
import { DATABASE_FILE, openDuckDbStorage, type DuckDbStore } from '../src/storage/duckdb/duckdb-storage.js';
import { DEMO_WINDOW, demoAssembler } from './demo-load.js';
import { DemoTraffic } from './query-traffic.js';
import { numberFlag, percentile, round, stringFlag, writePartResult, type Measure } from './result.js';

const START = DEMO_WINDOW.fromUnixNano;
const MINUTE = 60_000_000_000n;
const minutes = numberFlag('minutes', 60);
const spansPerMinute = numberFlag('spans-per-minute', 166_700);
const dirty = Math.min(minutes, Math.max(0, Number(stringFlag('dirty') ?? 2)));
const runs = numberFlag('runs', 12);

/** Loads minute `m` of traffic (its traces start within that minute) and derives its calls. */
async function loadMinute(storage: DuckDbStore, assembler: Assembler, m: number): Promise<number> {
  const traffic = new DemoTraffic({ seed: m + 1, windowStartUnixNano: START + BigInt(m) * MINUTE, windowMs: 60_000, tracesPerRequest: 100 });
  let spans = 0;
  for (let r = 0; spans < spansPerMinute; r++) {
    const decoded = decodeTraceRequest(encodeTraceRequest(traffic.next().request));
    if (!decoded.ok) throw new Error(`generated request does not decode: ${decoded.error}`);
    assembler.add(decoded.batch, (await storage.appendSpans(decoded.batch)).seq);
    spans += decoded.batch.length;
    if (r % 10 === 9) await assembler.flush();
  }
  await assembler.flush();
  return spans;
}

async function timeFlow(storage: DuckDbStore, filter: FocalFilter): Promise<{ p50Ms: number; maxMs: number; focalCalls: number }> {
  const times: number[] = [];
  let focalCalls = 0;
  for (let i = 0; i < runs + 2; i++) {
    const started = performance.now();
    focalCalls = foldFlow(filter.service, await storage.flowGroups(filter)).calls;
    if (i >= 2) times.push(performance.now() - started); // two warm-up runs
  }
  return { p50Ms: round(percentile(times, 0.5), 1), maxMs: round(Math.max(...times), 1), focalCalls };
}

async function main(): Promise<void> {
  const given = stringFlag('data');
  const dataDir = given ?? (await mkdtemp(path.join(tmpdir(), 'tributary-flow-live-')));
  const reuse = existsSync(path.join(dataDir, DATABASE_FILE));
  // No timer: the refresh runs when this program says, and is timed.
  const storage = await openDuckDbStorage({ dataDir, memoryLimit: '2GB', rollupRefresh: { intervalMs: 2 ** 31 - 1, quietMs: 0 } });
  const details: Record<string, unknown> = { dataDir, reused: reuse, minutes, spansPerMinute, dirty, runs };
  try {
    if (!reuse) {
      const assembler = demoAssembler(storage);
      const loading = performance.now();
      let spans = 0;
      for (let m = 0; m < minutes - dirty; m++) spans += await loadMinute(storage, assembler, m);
      const refreshing = performance.now();
      const rebuilt = await storage.refreshRollups();
      const refreshMs = performance.now() - refreshing;
      for (let m = minutes - dirty; m < minutes; m++) spans += await loadMinute(storage, assembler, m);
      // Per minute of traffic loaded before the refresh (a minute's late calls spill into the next).
      const refreshMsPerMinute = round(refreshMs / Math.max(1, minutes - dirty));
      Object.assign(details, { spans, loadSeconds: round((performance.now() - loading - refreshMs) / 1000), minutesRebuilt: rebuilt, refreshMs: round(refreshMs), refreshMsPerMinute });
      console.log(`loaded ${spans.toLocaleString('en')} spans over ${minutes} minutes; both rollups of the first ${minutes - dirty} (${rebuilt} minutes marked) rebuilt in ${round(refreshMs)} ms: ${refreshMsPerMinute} ms a minute of ${spansPerMinute.toLocaleString('en')} spans; the last ${dirty} left dirty`);
    }
    const whole: TimeRange = { fromUnixNano: START, toUnixNano: START + BigInt(minutes) * MINUTE };
    const cut: TimeRange = { fromUnixNano: whole.fromUnixNano + 17_000_000_123n, toUnixNano: whole.toUnixNano - 13_000_000_000n };
    const measures: Measure[] = [];
    const flows: Record<string, unknown> = {};
    for (const name of ['frontend-proxy', 'checkout']) {
      for (const [label, window] of [['whole minutes', whole], ['cut inside minutes', cut]] as const) {
        const timed = await timeFlow(storage, { ...window, service: { kind: 'service', name } });
        const measure = `flow ${name}, ${label}`;
        flows[measure] = timed;
        measures.push({ name: `live-like store: ${measure}`, value: timed.p50Ms, unit: 'ms', display: `p50 ${timed.p50Ms} / max ${timed.maxMs} ms (${timed.focalCalls} focal calls)` });
        console.log(`${measure.padEnd(42)} p50 ${String(timed.p50Ms).padStart(7)} ms  max ${String(timed.maxMs).padStart(7)} ms  ${timed.focalCalls} focal calls`);
      }
    }
    if (details.refreshMsPerMinute !== undefined) {
      measures.push({ name: `rollup refresh (both rollups) per minute of ${spansPerMinute.toLocaleString('en')} spans`, value: details.refreshMsPerMinute as number, unit: 'ms' });
    }
    writePartResult({ part: 'flow-live', measures, details: { ...details, flows } });
  } finally {
    await storage.close();
    if (given === undefined) await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
