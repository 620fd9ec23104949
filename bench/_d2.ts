/**
 * Benchmark of the OTLP ingest decoder (`npx tsx bench/decode.ts [--seconds N] [--requests N]`).
 *
 * Decodes the same realistic protobuf requests (100 traces × 10 spans each, ~10 attributes per
 * span, Kubernetes resource attributes; see payloads.ts) with:
 *   - decodeTraceRequest: the hot path (protobuf → columnar SpanBatch), what ingest runs;
 *   - protobufjs: the generic library baseline (reflection-generated decoder, same schema);
 *   - decodeTraceRequestToModel: our complete slow decoder (protobuf → plain objects);
 * and, for the JSON receiver, JSON.parse + parseTraceRequestJson + encode + decodeTraceRequest.
 * Prints spans per CPU-second (one core) and per wall-clock second. A program, not a test:
 * nothing here asserts timings.
 */
import os from 'node:os';
import protobuf from 'protobufjs';
import { decodeTraceRequestToModel } from '../src/otlp/decode-message.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import { parseTraceRequestJson, traceRequestToJson } from '../src/otlp/json.js';
import { OTLP_TRACE_DESCRIPTOR } from './otlp-descriptor.js';
import { makeTraceRequest } from './payloads.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const seconds = option('seconds', 3);
const requestCount = option('requests', 20);
const traces = option('traces', 100);
const spansPerTrace = option('spans-per-trace', 10);

// Only the encoded forms are kept: a heap full of model objects would slow every major GC and
// penalize whichever decoder allocates most.
const payloads: Uint8Array[] = [];
const jsonTexts: string[] = [];
for (let i = 0; i < requestCount; i++) {
  const model = makeTraceRequest({ seed: i + 1, traces, spansPerTrace });
  payloads.push(encodeTraceRequest(model));
  if (process.env.NOJSON === undefined) jsonTexts.push(JSON.stringify(traceRequestToJson(model)));
}
const spansPerRequest = traces * spansPerTrace;
const totalBytes = payloads.reduce((n, p) => n + p.length, 0);

const root = protobuf.Root.fromJSON(OTLP_TRACE_DESCRIPTOR);
const ProtobufjsRequest = root.lookupType('otlp.ExportTraceServiceRequest');

interface Result {
  readonly name: string;
  /** Spans per second of CPU time used by this process (GC threads included): spans/s on one free core. */
  readonly spansPerCpuSecond: number;
  /** Spans per second of wall-clock time: lower than the above when other processes compete for the cores. */
  readonly spansPerWallSecond: number;
}

let sink = 0;

/** Runs `decode` over every payload repeatedly for about `seconds`, in rounds; reports the best round. */
function measure(name: string, decode: (i: number) => number): Result {
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) for (let i = 0; i < requestCount; i++) sink += decode(i);
  const rounds = 5;
  let bestCpu = 0;
  let bestWall = 0;
  for (let round = 0; round < rounds; round++) {
    let spans = 0;
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const until = start + (seconds * 1000) / rounds;
    while (performance.now() < until) for (let i = 0; i < requestCount; i++) spans += decode(i);
    const wallSeconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    bestCpu = Math.max(bestCpu, spans / cpuSeconds);
    bestWall = Math.max(bestWall, spans / wallSeconds);
  }
  return { name, spansPerCpuSecond: bestCpu, spansPerWallSecond: bestWall };
}

const results: Result[] = [
  measure('decodeTraceRequest (hot path → SpanBatch)', (i) => {
    const outcome = decodeTraceRequest(payloads[i]!);
    if (!outcome.ok) throw new Error(outcome.error);
    return outcome.batch.length;
  }),
  measure('protobufjs reflection decode', (i) => {
    const message = ProtobufjsRequest.decode(payloads[i]!) as unknown as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
    let n = 0;
    for (const rs of message.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
    return n;
  }),
  measure('decodeTraceRequestToModel (slow path)', (i) => {
    const req = decodeTraceRequestToModel(payloads[i]!);
    let n = 0;
    for (const rs of req.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
    return n;
  }),
  measure('OTLP/JSON: JSON.parse + parse + encode + hot path', (i) => {
    const parsed = parseTraceRequestJson(JSON.parse(jsonTexts[i]!));
    if (!parsed.ok) throw new Error(parsed.error);
    const outcome = decodeTraceRequest(encodeTraceRequest(parsed.request));
    if (!outcome.ok) throw new Error(outcome.error);
    return outcome.batch.length;
  }),
];

const baseline = results[1]!.spansPerCpuSecond;
const bytesPerSpan = totalBytes / (requestCount * spansPerRequest);
console.log(`Node ${process.version}, ${requestCount} requests × ${spansPerRequest} spans, ${Math.round(bytesPerSpan)} protobuf bytes/span, best of 5 rounds over ${seconds}s`);
console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.availableParallelism()} cores\n`);
const header = ['decoder'.padEnd(52), 'spans/CPU-s'.padStart(12), 'MB/CPU-s'.padStart(9), 'spans/wall-s'.padStart(13), 'vs protobufjs'.padStart(14)];
console.log(header.join(' '));
for (const r of results) {
  console.log(
    [
      r.name.padEnd(52),
      Math.round(r.spansPerCpuSecond).toLocaleString('en-US').padStart(12),
      ((r.spansPerCpuSecond * bytesPerSpan) / 1e6).toFixed(1).padStart(9),
      Math.round(r.spansPerWallSecond).toLocaleString('en-US').padStart(13),
      `${(r.spansPerCpuSecond / baseline).toFixed(2)}×`.padStart(14),
    ].join(' '),
  );
}
console.log('\nMB = protobuf bytes (for the JSON row too, for comparison). CPU-s counts this process only,');
console.log('so it is the single-core figure even when other processes share the machine.');
if (sink < 0) console.log(sink);
