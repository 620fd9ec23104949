import { deriveCalls } from '../src/analysis/derive-calls.js';
import { ServiceInfoCache, skeletonsOfBatch, traceIdOf } from '../src/ingest/skeletons.js';
import type { SpanSkeleton } from '../src/model/skeleton.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import type { TraceCalls } from '../src/storage/api/storage.js';
import { packTraceCalls } from '../src/storage/duckdb/call-batch.js';
import { DemoTraffic } from './query-traffic.js';
const services = new ServiceInfoCache({ proxyServices: [] });
const traffic = new DemoTraffic({ seed: 7, windowStartUnixNano: 1_767_225_600_000_000_000n, windowMs: 3_600_000, tracesPerRequest: 100 });
const entries: TraceCalls[] = [];
let deriveMs = 0, spans = 0;
while (entries.length < 20000) {
  const decoded = decodeTraceRequest(encodeTraceRequest(traffic.next().request));
  if (!decoded.ok) throw new Error('x');
  const traces = new Map<string, SpanSkeleton[]>();
  const sk = skeletonsOfBatch(decoded.batch, services); for (let i = 0; i < decoded.batch.length; i++) { const id = traceIdOf(decoded.batch, i); let s = traces.get(id); if (!s) traces.set(id, (s = [])); s.push(sk[i]!); spans++; }
  const t = performance.now();
  for (const [traceId, s] of traces) entries.push({ traceId, calls: deriveCalls(traceId, s, { failureRules: [] }).calls, derivedSeq: 1n, firstDerivation: true });
  deriveMs += performance.now() - t;
}
let calls = 0; for (const e of entries) calls += e.calls.length;
console.log(`traces ${entries.length} spans ${spans} calls ${calls} derive ${(deriveMs / spans * 1000).toFixed(2)} µs/span`);
for (let round = 0; round < 8; round++) {
  const t = performance.now();
  for (let i = 0; i < entries.length; i += 2000) packTraceCalls(entries.slice(i, i + 2000));
  const ms = performance.now() - t;
  const t2 = performance.now();
  for (let i = 0; i < entries.length; i += 2000) structuredClone(entries.slice(i, i + 2000));
  const ms2 = performance.now() - t2;
  console.log(`pack ${(ms / calls * 1000).toFixed(2)} µs/call, structuredClone ${(ms2 / calls * 1000).toFixed(2)} µs/call`);
}
