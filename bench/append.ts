/**
 * Append and trace-lookup benchmark for the DuckDB store (the append hot path).
 *
 *   npx tsx bench/append.ts            # 500K spans
 *   SPANS=10000000 npx tsx bench/append.ts
 *   (also BATCH, CONCURRENCY, CHECKPOINT=<checkpoint_threshold>, MEMORY=<memory_limit>, DATA=<dir to keep>)
 *
 * Generates realistic batches up front (1000 spans each, ~300-byte payloads, span names from a
 * small set, ~10 spans per trace with traces straddling batch boundaries), appends them from
 * CONCURRENCY concurrent callers (default 4), then prints: append throughput and per-append ack
 * latency, getTrace latency over 1000 random trace ids (warm, then cold after a reopen), and bytes
 * per span on disk after the checkpoint that closing the store runs.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Storage } from '../src/storage/api/storage.js';
import type { BatchResource, BatchScope, SpanBatch } from '../src/model/span-batch.js';
import { bytesToHex } from '../src/model/ids.js';
import { openDuckDbStorage } from '../src/storage/duckdb/duckdb-storage.js';

const TOTAL_SPANS = Number(process.env.SPANS ?? 500_000);
const BATCH_SPANS = Number(process.env.BATCH ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const LOOKUPS = 1000;
const STORE_OPTIONS = {
  ...(process.env.CHECKPOINT ? { checkpointThreshold: process.env.CHECKPOINT } : {}),
  ...(process.env.MEMORY ? { memoryLimit: process.env.MEMORY } : {}),
};

const NAMES = ['GET /api/orders/{id}', 'POST /api/cart', 'SELECT orders', 'redis GET', 'HTTP GET', 'process payment', 'publish order.created', 'render'];
const encoder = new TextEncoder();

/** Deterministic PRNG (mulberry32), so runs are comparable. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(42);
const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => (random() * 256) | 0);

const resources: BatchResource[] = Array.from({ length: 60 }, (_, i) => {
  const bytes = encoder.encode(`service.name=svc-${i % 20} service.instance.id=pod-${i} k8s.namespace.name=prod`);
  return { id: BigInt(i + 1) * 0x9e3779b97f4a7n, bytes, attributes: [{ key: 'service.name', value: { stringValue: `svc-${i % 20}` } }] };
});
const scopes: BatchScope[] = Array.from({ length: 5 }, (_, i) => ({ id: BigInt(i + 1) * 0x51afd7ed558ccdn, bytes: encoder.encode(`scope-${i}`), name: `scope-${i}`, version: '1.0.0' }));

/** A payload shaped like an OTLP span: ids and times (incompressible) plus repetitive attribute text. */
function payload(traceId: Uint8Array, spanId: Uint8Array, name: string): Uint8Array {
  const text = encoder.encode(
    `${name}|http.method=GET|http.route=/api/orders/{id}|http.status_code=200|net.peer.name=orders-7f9c8` +
      `|user.id=${bytesToHex(randomBytes(6))}|thread.name=worker-${(random() * 16) | 0}|otel.library=io.opentelemetry.http`,
  );
  const out = new Uint8Array(56 + text.length + 64);
  out.set(traceId, 0);
  out.set(spanId, 16);
  out.set(randomBytes(24), 32);
  out.set(text, 56);
  out.set(randomBytes(64).map((b) => b & 0x3f), 56 + text.length);
  return out;
}

interface Generated {
  readonly batches: SpanBatch[];
  readonly traceIds: string[];
}

/** Distinct batches generated up front; longer runs replay them with fresh trace ids (see `batchAt`). */
const POOL_SPANS = Math.min(TOTAL_SPANS, 500_000);

function generate(): Generated {
  const batches: SpanBatch[] = [];
  const traceIds: string[] = [];
  let open: { id: Uint8Array; left: number }[] = [];
  let clock = 1_700_000_000_000_000_000n;
  for (let produced = 0; produced < POOL_SPANS; produced += BATCH_SPANS) {
    const n = Math.min(BATCH_SPANS, POOL_SPANS - produced);
    const traceIdCol = new Uint8Array(16 * n);
    const spanIdCol = new Uint8Array(8 * n);
    const parentCol = new Uint8Array(8 * n);
    const start = new BigInt64Array(n);
    const end = new BigInt64Array(n);
    const names: string[] = [];
    const payloads: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      // Keep ~50 traces in flight: a trace's spans arrive over a few consecutive batches.
      if (open.length < 50 || random() < 0.02) {
        const id = randomBytes(16);
        open.push({ id, left: 1 + Math.floor(random() * 19) });
        traceIds.push(bytesToHex(id));
      }
      const slot = Math.floor(random() * open.length);
      const trace = open[slot]!;
      if (--trace.left === 0) open = open.filter((_, k) => k !== slot);
      const spanId = randomBytes(8);
      const name = NAMES[Math.floor(random() * NAMES.length)]!;
      traceIdCol.set(trace.id, 16 * i);
      spanIdCol.set(spanId, 8 * i);
      if (random() < 0.9) parentCol.set(randomBytes(8), 8 * i);
      clock += 1000n;
      start[i] = clock;
      end[i] = clock + BigInt(Math.floor(random() * 5e8));
      names.push(name);
      payloads.push(payload(trace.id, spanId, name));
    }
    batches.push({
      length: n,
      resources,
      scopes,
      resourceIndex: Uint32Array.from({ length: n }, () => Math.floor(random() * resources.length)),
      scopeIndex: Uint32Array.from({ length: n }, () => Math.floor(random() * scopes.length)),
      traceIds: traceIdCol,
      spanIds: spanIdCol,
      parentSpanIds: parentCol,
      names,
      kinds: Uint8Array.from({ length: n }, () => 1 + Math.floor(random() * 5)),
      startTimeUnixNano: start,
      endTimeUnixNano: end,
      statusCodes: Uint8Array.from({ length: n }, () => (random() < 0.02 ? 2 : 0)),
      statusMessages: names.map(() => (random() < 0.02 ? 'upstream connect error' : '')),
      semantics: names.map(() => undefined),
      payloads,
    });
  }
  return { batches, traceIds };
}

/**
 * Batch `k` of the run: the pool's batches first, then the pool again with every trace id's first
 * 4 bytes XORed with the round number, so each round adds new traces of the same shape.
 */
function batchAt(pool: readonly SpanBatch[], k: number): SpanBatch {
  const base = pool[k % pool.length]!;
  const round = Math.floor(k / pool.length);
  if (round === 0) return base;
  const traceIds = base.traceIds.slice();
  const view = new DataView(traceIds.buffer);
  for (let i = 0; i < base.length; i++) view.setUint32(16 * i, view.getUint32(16 * i) ^ round);
  return { ...base, traceIds };
}

function roundTraceId(hex: string, round: number): string {
  const head = (parseInt(hex.slice(0, 8), 16) ^ round) >>> 0;
  return head.toString(16).padStart(8, '0') + hex.slice(8);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function describe(label: string, millis: number[]): string {
  const sorted = [...millis].sort((a, b) => a - b);
  return `${label}: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms`;
}

async function lookups(storage: Storage, traceIds: readonly string[]): Promise<number[]> {
  const millis: number[] = [];
  for (let i = 0; i < LOOKUPS; i++) {
    const id = traceIds[Math.floor(random() * traceIds.length)]!;
    const t0 = performance.now();
    const trace = await storage.getTrace(id);
    millis.push(performance.now() - t0);
    if (trace.spans.length === 0) throw new Error(`trace ${id} came back empty`);
  }
  return millis;
}

async function main(): Promise<void> {
  const { batches: pool, traceIds: poolTraceIds } = generate();
  const batchCount = Math.ceil(TOTAL_SPANS / BATCH_SPANS);
  const rounds = Math.ceil(batchCount / pool.length);
  const traceIds = Array.from({ length: rounds }, (_, r) => poolTraceIds.map((id) => roundTraceId(id, r))).flat();
  const poolPayloadBytes = pool.reduce((sum, b) => sum + b.payloads.reduce((s, p) => s + p.byteLength, 0), 0);
  const payloadBytes = (poolPayloadBytes / POOL_SPANS) * TOTAL_SPANS;
  console.log(`${TOTAL_SPANS} spans in ${batchCount} batches of ${BATCH_SPANS}, ~${traceIds.length} traces, payload avg ${(poolPayloadBytes / POOL_SPANS).toFixed(0)} B`);

  const dataDir = process.env.DATA ?? (await mkdtemp(path.join(tmpdir(), 'tributary-bench-')));
  const options = { dataDir, ...STORE_OPTIONS };
  let storage = await openDuckDbStorage(options);
  const ackMillis: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < batchCount; i = next++) {
        const batch = batchAt(pool, i);
        const a = performance.now();
        await storage.appendSpans(batch);
        ackMillis.push(performance.now() - a);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  console.log(`append: ${Math.round(TOTAL_SPANS / seconds).toLocaleString('en')} spans/s (${seconds.toFixed(2)} s, ${CONCURRENCY} concurrent callers)`);
  console.log(describe(`  ack latency per ${BATCH_SPANS}-span append`, ackMillis));
  console.log(`  process RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB (DuckDB memory_limit ${STORE_OPTIONS.memoryLimit ?? '2GB'})`);
  console.log(describe('getTrace warm', await lookups(storage, traceIds)));

  await storage.close(); // DuckDB checkpoints on close: the WAL is folded into the database file.
  let bytes = 0;
  for (const name of await readdir(dataDir)) bytes += (await stat(path.join(dataDir, name))).size;
  console.log(`disk: ${(bytes / 1e6).toFixed(1)} MB, ${(bytes / TOTAL_SPANS).toFixed(1)} bytes/span (payload alone ${(payloadBytes / TOTAL_SPANS).toFixed(0)})`);

  storage = await openDuckDbStorage(options);
  console.log(describe('getTrace after reopen', await lookups(storage, traceIds)));
  await storage.close();
  if (!process.env.DATA) await rm(dataDir, { recursive: true, force: true });
}

await main();
