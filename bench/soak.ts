/**
 * Soak: does a real `tributary serve` hold steady memory under sustained ingest? (Issue 6: "no
 * growth over a 10-minute soak at 80% of max ingest".) A program, not a test: it prints figures
 * and a verdict and asserts nothing.
 *
 *   npm run bench:soak -- [--minutes 10] [--rate SPANS_PER_S | --fraction 0.8] [--calibrate-seconds 20]
 *                         [--spans-per-request 1000] [--sample-seconds 10] [--warmup-seconds 60] [--keep-data]
 *
 * 1. Starts the built CLI (`bin/tributary.js serve`, default settings: 10 s settle window, default
 *    limits) on a fresh data directory, with the environment `npm start` gives it (`MALLOC_ENV`).
 * 2. Without `--rate`: measures max ingest first — 4 closed-loop keep-alive senders for
 *    `--calibrate-seconds` — and drives `--fraction` of it.
 * 3. Sends at that rate, open loop (a request is started every 1/rate s whatever the answers, as
 *    independent clients would; refused requests are retried after `Retry-After`), realistic
 *    1000-span requests from bench/payloads.ts with fresh trace ids on every send.
 * 4. Every `--sample-seconds` prints the server's RSS (/proc/<pid>/status VmRSS), V8 heap used,
 *    acked spans/s, traces derived/s, 429s, the ingest queue and the assembler's live spans (from
 *    /metrics). Live spans that keep rising mean derivation is slower than ingest: the assembler
 *    then holds skeletons up to `limits.maxLiveSpans`, and RSS grows with them.
 *    And the store's own memory (`tributary_store_memory_bytes`: DuckDB's buffer manager, which
 *    keeps the table blocks it wrote cached until its `memory_limit` makes it evict them).
 * 5. Verdict over the samples after `--warmup-seconds` (the assembler fills first), for RSS and for
 *    RSS outside the store (RSS minus the store's memory): the least-squares slope in MiB/min and
 *    the change from the first to the last third; "grew" when the slope would add more than
 *    max(32 MiB, 5% of the mean) over the soak. The store's memory is bounded by its limit, not by
 *    time: a buffer pool still filling towards it grows RSS in a soak shorter than the fill, so the
 *    store's peak is reported against the limit and the verdict is on the memory outside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MALLOC_ENV } from '../src/app/malloc-tuning.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import type { OtlpTraceRequest } from '../src/model/otlp.js';
import { makeTraceRequest } from './payloads.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function numberFlag(name: string, fallback: number): number {
  const text = flag(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: expected a positive number, got ${JSON.stringify(text)}`);
  return value;
}

const minutes = numberFlag('minutes', 10);
const fraction = numberFlag('fraction', 0.8);
const calibrateSeconds = numberFlag('calibrate-seconds', 20);
const spansPerRequest = numberFlag('spans-per-request', 1000);
const sampleSeconds = numberFlag('sample-seconds', 10);
const warmupSeconds = numberFlag('warmup-seconds', 60);
const fixedRate = flag('rate') === undefined ? undefined : numberFlag('rate', 1);
const keepData = process.argv.includes('--keep-data');

/** Trace ids in the templates are MARKER + 10 bytes; each send overwrites bytes 6–9 with its own counter. */
const MARKER = Uint8Array.from([0x50, 0x0a, 0x4b, 0xbe, 0xef, 0x14]);

interface Template {
  readonly body: Uint8Array;
  /** Offsets of the send-counter bytes of every trace id in `body`. */
  readonly counterOffsets: readonly number[];
}

/** A request whose trace ids carry MARKER, encoded once; sends patch the counter into a copy. */
function makeTemplate(seed: number): Template {
  const request = makeTraceRequest({ traces: spansPerRequest / 10, spansPerTrace: 10, seed });
  const ids = new Map<string, Uint8Array>();
  const marked: OtlpTraceRequest = {
    resourceSpans: request.resourceSpans.map((rs) => ({
      ...rs,
      scopeSpans: rs.scopeSpans.map((ss) => ({
        ...ss,
        spans: ss.spans.map((span) => {
          const key = Buffer.from(span.traceId).toString('hex');
          let id = ids.get(key);
          if (id === undefined) {
            id = new Uint8Array(16);
            id.set(MARKER, 0);
            new DataView(id.buffer).setUint32(10, seed);
            new DataView(id.buffer).setUint16(14, ids.size);
            ids.set(key, id);
          }
          return { ...span, traceId: id };
        }),
      })),
    })),
  };
  const body = encodeTraceRequest(marked);
  const counterOffsets: number[] = [];
  for (let i = body.indexOf(MARKER[0]!); i >= 0 && i + 16 <= body.length; i = body.indexOf(MARKER[0]!, i + 1)) {
    if (MARKER.every((b, k) => body[i + k] === b)) counterOffsets.push(i + MARKER.length);
  }
  return { body, counterOffsets };
}

function bodyForSend(template: Template, send: number): Uint8Array {
  const body = Uint8Array.from(template.body);
  const view = new DataView(body.buffer);
  for (const offset of template.counterOffsets) view.setUint32(offset, send);
  return body;
}

interface Server {
  readonly child: ChildProcess;
  readonly apiPort: number;
  readonly otlpHttpPort: number;
}

async function startServer(dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, [
    path.join(repo, 'bin/tributary.js'), 'serve', '--data', dataDir, '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0',
  ], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...MALLOC_ENV } });
  const ready = await new Promise<{ apiPort: number; otlpHttpPort: number }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as { apiPort: number; otlpHttpPort: number });
    });
    child.once('exit', (code) => reject(new Error(`tributary serve exited with ${code} before it was ready`)));
  });
  return { child, ...ready };
}

function rssMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) / 1024;
}

async function metric(server: Server, names: readonly string[]): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${server.apiPort}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    for (const name of names) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) values.set(name, (values.get(name) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
  }
  return values;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Counters {
  ackedSpans: number;
  throttled: number;
  failed: number;
  inFlight: number;
  firstError?: string;
}

/** One export, retried after `Retry-After` while the server refuses it as retryable. */
async function send(server: Server, body: Uint8Array, counters: Counters, stopped: () => boolean): Promise<void> {
  counters.inFlight++;
  try {
    while (!stopped()) {
      let response: Response;
      try {
        response = await fetch(`http://127.0.0.1:${server.otlpHttpPort}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
        await response.arrayBuffer();
      } catch (error) {
        counters.failed++;
        counters.firstError ??= String(error);
        return;
      }
      if (response.status === 200) {
        counters.ackedSpans += spansPerRequest;
        return;
      }
      if (response.status !== 429 && response.status !== 503) {
        counters.failed++;
        counters.firstError ??= `HTTP ${response.status}`;
        return;
      }
      counters.throttled++;
      await sleep(Number(response.headers.get('retry-after') ?? '1') * 1000);
    }
  } finally {
    counters.inFlight--;
  }
}

/** Max ingest: acked spans/s of 4 closed-loop senders. */
async function calibrate(server: Server, templates: readonly Template[], nextSend: () => number): Promise<number> {
  const counters: Counters = { ackedSpans: 0, throttled: 0, failed: 0, inFlight: 0 };
  const deadline = performance.now() + calibrateSeconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (performance.now() < deadline) {
      const n = nextSend();
      await send(server, bodyForSend(templates[n % templates.length]!, n), counters, () => performance.now() >= deadline);
    }
  }));
  if (counters.failed > 0) throw new Error(`calibration: ${counters.failed} request(s) failed: ${counters.firstError}`);
  return counters.ackedSpans / ((performance.now() - started) / 1000);
}

interface Sample {
  readonly atSeconds: number;
  readonly rssMiB: number;
  /** The store's memory (`tributary_store_memory_bytes`), 0 when the server reports none. */
  readonly storeMiB: number;
}

function slopePerMinute(samples: readonly Sample[], value: (s: Sample) => number): number {
  const n = samples.length;
  const meanT = samples.reduce((s, x) => s + x.atSeconds, 0) / n;
  const meanR = samples.reduce((s, x) => s + value(x), 0) / n;
  let num = 0;
  let den = 0;
  for (const x of samples) {
    num += (x.atSeconds - meanT) * (value(x) - meanR);
    den += (x.atSeconds - meanT) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

/** First-third and last-third means, slope and verdict of one memory measure over the steady samples. */
function growth(what: string, steady: readonly Sample[], value: (s: Sample) => number): boolean {
  const third = Math.max(1, Math.floor(steady.length / 3));
  const first = mean(steady.slice(0, third).map(value));
  const last = mean(steady.slice(-third).map(value));
  const slope = slopePerMinute(steady, value);
  const allowance = Math.max(32, mean(steady.map(value)) * 0.05);
  const projected = slope * minutes;
  console.log(`${what} after warm-up: first third ${first.toFixed(0)} MiB, last third ${last.toFixed(0)} MiB, ` +
    `peak ${Math.max(...steady.map(value)).toFixed(0)} MiB; slope ${slope.toFixed(2)} MiB/min ` +
    `(${projected.toFixed(0)} MiB over ${minutes} min, allowance ${allowance.toFixed(0)} MiB)`);
  return projected > allowance;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tributary-soak-'));
  const templates = Array.from({ length: 16 }, (_, i) => makeTemplate(i + 1));
  let sends = 0;
  const nextSend = () => sends++;
  const server = await startServer(dataDir);
  const pid = server.child.pid!;
  const loadBefore = loadavg()[0]!;
  try {
    let rate = fixedRate;
    if (rate === undefined) {
      const max = await calibrate(server, templates, nextSend);
      rate = max * fraction;
      console.log(`max ingest (4 closed-loop senders, ${calibrateSeconds} s): ${Math.round(max)} spans/s; soaking at ${fraction} × = ${Math.round(rate)} spans/s`);
    } else {
      console.log(`soaking at ${Math.round(rate)} spans/s (--rate)`);
    }
    console.log(`${minutes} min, ${spansPerRequest}-span requests, sample every ${sampleSeconds} s, data in ${dataDir}`);
    console.log('   t s  RSS MiB  store MiB  heap MiB  acked spans/s  derived traces/s  429s  queue spans  live spans  in flight');

    const counters: Counters = { ackedSpans: 0, throttled: 0, failed: 0, inFlight: 0 };
    const durationMs = minutes * 60_000;
    const started = performance.now();
    let stopped = false;
    const intervalMs = (spansPerRequest / rate) * 1000;
    const clients: Promise<void>[] = [];
    const driver = (async () => {
      for (let i = 0; !stopped; i++) {
        const due = started + i * intervalMs;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (stopped) break;
        const n = nextSend();
        const client = send(server, bodyForSend(templates[n % templates.length]!, n), counters, () => stopped);
        clients.push(client);
        void client.then(() => clients.splice(clients.indexOf(client), 1));
      }
    })();

    const samples: Sample[] = [];
    let storeLimitMiB = 0;
    let lastAcked = 0;
    let lastDerived = (await metric(server, ['tributary_traces_derived_total'])).get('tributary_traces_derived_total') ?? 0;
    let lastAt = started;
    while (performance.now() - started < durationMs) {
      await sleep(Math.min(sampleSeconds * 1000, durationMs - (performance.now() - started)));
      const now = performance.now();
      const m = await metric(server, ['nodejs_heap_size_used_bytes', 'tributary_ingest_queue_spans', 'tributary_assembler_live_spans', 'tributary_traces_derived_total', 'tributary_store_memory_bytes', 'tributary_store_memory_limit_bytes']);
      const sample = { atSeconds: (now - started) / 1000, rssMiB: rssMiB(pid), storeMiB: (m.get('tributary_store_memory_bytes') ?? 0) / 2 ** 20 };
      storeLimitMiB = (m.get('tributary_store_memory_limit_bytes') ?? 0) / 2 ** 20;
      samples.push(sample);
      const ackedPerSecond = (counters.ackedSpans - lastAcked) / ((now - lastAt) / 1000);
      const derived = m.get('tributary_traces_derived_total') ?? 0;
      const derivedPerSecond = (derived - lastDerived) / ((now - lastAt) / 1000);
      lastAcked = counters.ackedSpans;
      lastDerived = derived;
      lastAt = now;
      console.log([
        sample.atSeconds.toFixed(0).padStart(6),
        sample.rssMiB.toFixed(0).padStart(8),
        sample.storeMiB.toFixed(0).padStart(10),
        ((m.get('nodejs_heap_size_used_bytes') ?? 0) / 2 ** 20).toFixed(0).padStart(9),
        ackedPerSecond.toFixed(0).padStart(14),
        derivedPerSecond.toFixed(0).padStart(17),
        String(counters.throttled).padStart(5),
        String(m.get('tributary_ingest_queue_spans') ?? 0).padStart(12),
        String(m.get('tributary_assembler_live_spans') ?? 0).padStart(11),
        String(counters.inFlight).padStart(10),
      ].join(' '));
    }
    stopped = true;
    await driver;
    await Promise.all(clients);

    const elapsedSeconds = (performance.now() - started) / 1000;
    const steady = samples.filter((s) => s.atSeconds >= warmupSeconds);
    console.log('');
    console.log(`offered ${Math.round(rate)} spans/s, acked ${Math.round(counters.ackedSpans / elapsedSeconds)} spans/s on average; ` +
      `${counters.throttled} refusals (429/503), ${counters.failed} failed${counters.firstError ? ` (first: ${counters.firstError})` : ''}`);
    console.log(`load average ${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} (2 cores)`);
    if (steady.length < 3) {
      console.log(`verdict: too few samples after the ${warmupSeconds} s warm-up to judge growth`);
      return;
    }
    console.log(`peak RSS ${Math.max(...samples.map((s) => s.rssMiB)).toFixed(0)} MiB over the whole soak`);
    const rssGrew = growth('RSS', steady, (s) => s.rssMiB);
    if (storeLimitMiB === 0) {
      console.log(`verdict: ${rssGrew ? 'RSS GREW' : 'no growth'} (the store reports no memory of its own)`);
      return;
    }
    growth('store memory', steady, (s) => s.storeMiB);
    const storePeak = Math.max(...samples.map((s) => s.storeMiB));
    console.log(`store memory peak ${storePeak.toFixed(0)} MiB of its ${storeLimitMiB.toFixed(0)} MiB limit`);
    const outsideGrew = growth('RSS outside the store', steady, (s) => s.rssMiB - s.storeMiB);
    console.log(`verdict: ${rssGrew ? 'RSS GREW' : 'RSS: no growth'}; ${outsideGrew ? 'outside the store: GREW' : 'outside the store: no growth'}; ` +
      `store ${storePeak <= storeLimitMiB ? 'within' : 'OVER'} its limit`);
  } finally {
    server.child.kill('SIGTERM');
    if (server.child.exitCode === null) await new Promise((resolve) => server.child.once('exit', resolve));
    if (!keepData) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
