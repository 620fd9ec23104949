/**
 * Benchmark of the OTLP ingest decoder (`npx tsx bench/decode.ts [--seconds N] [--requests N]`).
 *
 * Decodes the same realistic protobuf requests (100 traces × 10 spans each, ~10 attributes per
 * span, Kubernetes resource attributes; see payloads.ts) with:
 *   - decodeTraceRequest: the hot path (protobuf → columnar SpanBatch), what ingest runs;
 *   - protobufjs: the generic library baseline (reflection-generated decoder, same schema);
 *   - decodeTraceRequestToModel: our complete slow decoder (protobuf → plain objects);
 * and, for the JSON receiver, JSON.parse + parseTraceRequestJson + encode + decodeTraceRequest.
 * Prints spans/s per decoder on one core. A program, not a test: nothing here asserts timings.
 */
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

const models = Array.from({ length: requestCount }, (_, i) => makeTraceRequest({ seed: i + 1, traces, spansPerTrace }));
const payloads = models.map(encodeTraceRequest);
const jsonTexts = models.map((m) => JSON.stringify(traceRequestToJson(m)));
const spansPerRequest = traces * spansPerTrace;
const totalBytes = payloads.reduce((n, p) => n + p.length, 0);

const root = protobuf.Root.fromJSON(OTLP_TRACE_DESCRIPTOR);
const ProtobufjsRequest = root.lookupType('otlp.ExportTraceServiceRequest');

interface Result {
  readonly name: string;
  readonly spansPerSecond: number;
  readonly megabytesPerSecond: number;
}

let sink = 0;

/** Runs `decode` over every payload repeatedly for about `seconds`, in rounds; reports the best round. */
function measure(name: string, decode: (i: number) => number): Result {
  const deadline = performance.now() + 300;
  while (performance.now() < deadline) for (let i = 0; i < requestCount; i++) sink += decode(i);
  const rounds = 5;
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    let spans = 0;
    const start = performance.now();
    const until = start + (seconds * 1000) / rounds;
    while (performance.now() < until) {
      for (let i = 0; i < requestCount; i++) {
        spans += decode(i);
      }
    }
    const elapsed = (performance.now() - start) / 1000;
    if (spans / elapsed > best) best = spans / elapsed;
  }
  return { name, spansPerSecond: best, megabytesPerSecond: (best * (totalBytes / (requestCount * spansPerRequest))) / 1e6 };
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

const baseline = results[1]!.spansPerSecond;
console.log(`Node ${process.version}, ${requestCount} requests × ${spansPerRequest} spans, ${Math.round(totalBytes / (requestCount * spansPerRequest))} bytes/span, best of 5 rounds over ${seconds}s\n`);
console.log(`${'decoder'.padEnd(52)} ${'spans/s'.padStart(10)} ${'MB/s*'.padStart(7)} ${'vs protobufjs'.padStart(14)}`);
for (const r of results) {
  console.log(
    `${r.name.padEnd(52)} ${Math.round(r.spansPerSecond).toLocaleString('en-US').padStart(10)} ${r.megabytesPerSecond.toFixed(1).padStart(7)} ${`${(r.spansPerSecond / baseline).toFixed(2)}×`.padStart(14)}`,
  );
}
console.log('\n* protobuf bytes per second (the JSON row too, for comparison)');
if (sink < 0) console.log(sink);
