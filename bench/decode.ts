/**
 * Benchmark of the OTLP ingest decoder (`npx tsx bench/decode.ts [--seconds N] [--requests N]
 * [--traces N] [--spans-per-trace N]`).
 *
 * Decodes the same realistic protobuf requests (100 traces × 10 spans each, ~10 attributes per
 * span, Kubernetes resource attributes; see payloads.ts) with:
 *   - decodeTraceRequest: the hot path (protobuf → columnar SpanBatch), what ingest runs;
 *   - protobufjs: the generic library baseline (reflection-generated decoder, same schema);
 *   - decodeTraceRequestToModel: our complete slow decoder (protobuf → plain objects);
 *   - the OTLP/JSON receiver's path: JSON.parse + parseTraceRequestJson + encode + hot path.
 * Each decoder runs in a fresh child process: measured here, merely loading another library
 * (protobufjs, yaml, fastify) into the process slows the hot path by ~10%, and one decoder's
 * garbage would tax the next. Prints spans per CPU-second (one core) and per wall-clock second.
 * `@opentelemetry/otlp-transformer` (0.223) is no second baseline: it ships a hand-written request
 * serializer and a response deserializer, but no request decoder (no generated message code).
 * `--json <file>` writes the result for bench/run.ts.
 * A program, not a test: nothing here asserts timings.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { decodeTraceRequestToModel } from '../src/otlp/decode-message.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import { parseTraceRequestJson, traceRequestToJson } from '../src/otlp/json.js';
import { OTLP_TRACE_DESCRIPTOR } from './otlp-descriptor.js';
import { makeTraceRequest } from './payloads.js';
import { writePartResult, type Measure } from './result.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

const seconds = option('seconds', 3);
const requestCount = option('requests', 20);
const traces = option('traces', 100);
const spansPerTrace = option('spans-per-trace', 10);
const spansPerRequest = traces * spansPerTrace;

interface Payloads {
  readonly protobuf: Uint8Array[];
  readonly json: string[];
}

/** The requests, kept only in encoded form: a heap full of model objects would slow every major GC. */
function makePayloads(withJson: boolean): Payloads {
  const out: Payloads = { protobuf: [], json: [] };
  for (let i = 0; i < requestCount; i++) {
    const model = makeTraceRequest({ seed: i + 1, traces, spansPerTrace });
    out.protobuf.push(encodeTraceRequest(model));
    if (withJson) out.json.push(JSON.stringify(traceRequestToJson(model)));
  }
  return out;
}

type Decode = (i: number) => number;

interface Decoder {
  readonly name: string;
  readonly json?: boolean;
  readonly setup: (p: Payloads) => Promise<Decode>;
}

const DECODERS: readonly Decoder[] = [
  {
    name: 'decodeTraceRequest (hot path → SpanBatch)',
    setup: async (p) => (i) => {
      const outcome = decodeTraceRequest(p.protobuf[i]!);
      if (!outcome.ok) throw new Error(outcome.error);
      return outcome.batch.length;
    },
  },
  {
    name: 'protobufjs reflection decode',
    setup: async (p) => {
      // Loaded only in this decoder's process (see the header comment).
      const protobuf = (await import('protobufjs')).default;
      const Request = protobuf.Root.fromJSON(OTLP_TRACE_DESCRIPTOR).lookupType('otlp.ExportTraceServiceRequest');
      return (i) => {
        const message = Request.decode(p.protobuf[i]!) as unknown as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
        let n = 0;
        for (const rs of message.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
        return n;
      };
    },
  },
  {
    name: 'decodeTraceRequestToModel (slow path)',
    setup: async (p) => (i) => {
      const req = decodeTraceRequestToModel(p.protobuf[i]!);
      let n = 0;
      for (const rs of req.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
      return n;
    },
  },
  {
    name: 'OTLP/JSON: JSON.parse + parse + encode + hot path',
    json: true,
    setup: async (p) => (i) => {
      const parsed = parseTraceRequestJson(JSON.parse(p.json[i]!));
      if (!parsed.ok) throw new Error(parsed.error);
      const outcome = decodeTraceRequest(encodeTraceRequest(parsed.request));
      if (!outcome.ok) throw new Error(outcome.error);
      return outcome.batch.length;
    },
  },
];

interface Result {
  /** Spans per second of CPU time used by the process (GC threads included): spans/s on one free core. */
  readonly spansPerCpuSecond: number;
  /** Spans per second of wall-clock time: lower than the above when other processes compete for the cores. */
  readonly spansPerWallSecond: number;
  readonly bytesPerSpan: number;
}

/** Runs `decode` over every payload repeatedly for about `seconds`, in 5 rounds; reports the best round. */
function measure(decode: Decode): Omit<Result, 'bytesPerSpan'> {
  let sink = 0;
  const warmUntil = performance.now() + 500;
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
    bestCpu = Math.max(bestCpu, spans / ((cpu.user + cpu.system) / 1e6));
    bestWall = Math.max(bestWall, spans / wallSeconds);
  }
  if (sink < 0) console.error(sink);
  return { spansPerCpuSecond: bestCpu, spansPerWallSecond: bestWall };
}

async function runOne(index: number): Promise<void> {
  const decoder = DECODERS[index]!;
  const payloads = makePayloads(decoder.json === true);
  const decode = await decoder.setup(payloads);
  const bytes = payloads.protobuf.reduce((n, b) => n + b.length, 0);
  const result: Result = { ...measure(decode), bytesPerSpan: bytes / (requestCount * spansPerRequest) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runAll(): void {
  const results = DECODERS.map((decoder, index) => {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--only', String(index)], {
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`${decoder.name} failed:\n${child.stderr}`);
    return { name: decoder.name, ...(JSON.parse(child.stdout.trim().split('\n').pop()!) as Result) };
  });
  const baseline = results[1]!.spansPerCpuSecond;
  const bytesPerSpan = results[0]!.bytesPerSpan;
  console.log(`Node ${process.version}, ${requestCount} requests × ${spansPerRequest} spans, ${Math.round(bytesPerSpan)} protobuf bytes/span, best of 5 rounds over ${seconds}s`);
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.availableParallelism()} cores\n`);
  console.log(['decoder'.padEnd(52), 'spans/CPU-s'.padStart(12), 'MB/CPU-s'.padStart(9), 'spans/wall-s'.padStart(13), 'vs protobufjs'.padStart(14)].join(' '));
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
  console.log('\nMB = protobuf bytes (for the JSON row too, for comparison). CPU-s counts the decoding');
  console.log('process only, so it is the single-core figure even when other processes share the machine.');
  const measures: Measure[] = results.map((r) => ({
    name: `decode: ${r.name}`,
    value: Math.round(r.spansPerCpuSecond),
    unit: 'spans/CPU-s',
    display: `${Math.round(r.spansPerCpuSecond).toLocaleString('en-US')} spans/CPU-s (${(r.spansPerCpuSecond / baseline).toFixed(2)}× protobufjs)`,
  }));
  writePartResult({
    part: 'decode',
    measures,
    details: {
      requests: requestCount,
      spansPerRequest,
      protobufBytesPerSpan: bytesPerSpan,
      seconds,
      otlpTransformer: '@opentelemetry/otlp-transformer has no request decoder (serializer and response deserializer only): not a baseline',
      results,
    },
  });
}

const only = process.argv.indexOf('--only');
if (only >= 0) await runOne(Number(process.argv[only + 1]));
else runAll();
