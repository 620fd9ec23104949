/**
 * One load-generating client of bench/ingest.ts, run as its own process (forked with IPC): one
 * keep-alive connection (HTTP/1.1 agent with one socket, or one gRPC channel), one request in
 * flight, the next sent as soon as the previous is acknowledged.
 *
 * Protocol with the parent: the client builds its payloads, sends `{kind:'ready'}`, waits for
 * `{kind:'start'}`, runs warm-up plus the measured window, then sends `{kind:'done', result}`.
 *
 * Every request carries fresh trace ids: the payloads' trace ids are replaced by a marker prefix
 * plus a per-send counter, patched into a copy of the encoded bytes, so the server sees new traces
 * as in production. Gzip requests cannot be patched after compression, so the client compresses a
 * pool of distinct requests before `ready` (compressing during the run would take CPU from the
 * server on a 2-core machine); past the pool it compresses on the fly and says how often.
 */
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { Client, credentials, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { OtlpTraceRequest } from '../src/model/otlp.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import { makeTraceRequest } from './payloads.js';

export type Transport = 'http' | 'gzip' | 'grpc';

export interface ClientInput {
  readonly index: number;
  readonly transport: Transport;
  readonly port: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly spansPerRequest: number;
  /** Gzip only: distinct requests compressed before the run. */
  readonly gzipPool: number;
  /** Hops pick callees and routes at random (`PayloadOptions.randomRoutes`). */
  readonly randomRoutes: boolean;
}

export interface ClientResult {
  /** Acknowledged spans over the whole run, warm-up included: what the store holds from this client. */
  readonly spansAckedTotal: number;
  /** Acknowledged in the measured window. */
  readonly spans: number;
  readonly requests: number;
  /** Bytes on the wire (after gzip) of the requests acknowledged in the window. */
  readonly wireBytes: number;
  readonly throttled: number;
  readonly failed: number;
  readonly firstError?: string;
  readonly latenciesMs: number[];
  /** This client's CPU seconds in the measured window. */
  readonly cpuSeconds: number;
  /** Gzip requests compressed during the run because the pool ran out. */
  readonly gzippedDuringRun: number;
}

export type ClientMessage = { readonly kind: 'ready' } | { readonly kind: 'done'; readonly result: ClientResult };

const MARKER = Buffer.from([0xbe, 0xef, 0xca, 0xfe]);
const GRPC_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** Outcome of one send. */
type Sent = { readonly kind: 'ok' } | { readonly kind: 'throttled' } | { readonly kind: 'failed'; readonly error: string };

/** The request with every trace id replaced by MARKER + salt + a per-trace number, so sends can patch them. */
function markTraceIds(request: OtlpTraceRequest, salt: number): OtlpTraceRequest {
  const mapping = new Map<string, Uint8Array>();
  const mark = (id: Uint8Array) => {
    const key = Buffer.from(id).toString('hex');
    let marked = mapping.get(key);
    if (!marked) {
      marked = new Uint8Array(16);
      marked.set(MARKER, 0);
      new DataView(marked.buffer).setUint32(8, salt);
      new DataView(marked.buffer).setUint32(12, mapping.size + 1);
      mapping.set(key, marked);
    }
    return marked;
  };
  return {
    resourceSpans: request.resourceSpans.map((rs) => ({
      ...rs,
      scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, spans: ss.spans.map((span) => ({ ...span, traceId: mark(span.traceId) })) })),
    })),
  };
}

function markerOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = bytes.indexOf(MARKER); at >= 0; at = bytes.indexOf(MARKER, at + 1)) offsets.push(at);
  return offsets;
}

/** Produces the bytes of the n-th request: a fresh copy with this client's and this send's trace ids. */
function requestMaker(input: ClientInput): (n: number) => Buffer {
  const traces = Math.max(1, Math.round(input.spansPerRequest / 10));
  const templates = Array.from({ length: 16 }, (_, i) => {
    const bytes = Buffer.from(encodeTraceRequest(markTraceIds(makeTraceRequest({ traces, spansPerTrace: 10, seed: input.index * 1000 + i + 1, randomRoutes: input.randomRoutes }), i)));
    return { bytes, offsets: markerOffsets(bytes) };
  });
  return (n) => {
    const template = templates[n % templates.length]!;
    const body = Buffer.from(template.bytes);
    for (const offset of template.offsets) body.writeUInt32BE(((input.index + 1) << 24) | (n & 0xffffff), offset + 4);
    return body;
  };
}

function httpSender(input: ClientInput): (body: Buffer) => Promise<Sent> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const headers = { 'content-type': 'application/x-protobuf', ...(input.transport === 'gzip' ? { 'content-encoding': 'gzip' } : {}) };
  return (body) =>
    new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: input.port, path: '/v1/traces', method: 'POST', agent, headers: { ...headers, 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          // OTLP/HTTP: 429, 502, 503, 504 are retryable.
          resolve(code === 200 ? { kind: 'ok' } : [429, 502, 503, 504].includes(code) ? { kind: 'throttled' } : { kind: 'failed', error: `HTTP ${code}` });
        });
      });
      req.on('error', (error) => resolve({ kind: 'failed', error: error.message }));
      req.end(body);
    });
}

function grpcSender(input: ClientInput): (body: Buffer) => Promise<Sent> {
  const client = new Client(`127.0.0.1:${input.port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
  const identity = (bytes: Buffer) => bytes;
  return (body) =>
    new Promise((resolve) => {
      client.makeUnaryRequest(GRPC_EXPORT, identity, identity, body, (error: ServiceError | null) => {
        if (error === null) resolve({ kind: 'ok' });
        else if (error.code === grpcStatus.RESOURCE_EXHAUSTED || error.code === grpcStatus.UNAVAILABLE) resolve({ kind: 'throttled' });
        else resolve({ kind: 'failed', error: `gRPC ${grpcStatus[error.code]}: ${error.details}` });
      });
    });
}

async function run(input: ClientInput): Promise<ClientResult> {
  const spansPerSend = Math.max(1, Math.round(input.spansPerRequest / 10)) * 10;
  const make = requestMaker(input);
  const pool = input.transport === 'gzip' ? Array.from({ length: input.gzipPool }, (_, n) => gzipSync(make(n), { level: 1 })) : [];
  const send = input.transport === 'grpc' ? grpcSender(input) : httpSender(input);
  process.send!({ kind: 'ready' } satisfies ClientMessage);
  await new Promise<void>((resolve) => process.once('message', () => resolve()));

  const measureFrom = Date.now() + input.warmupSeconds * 1000;
  const end = measureFrom + input.seconds * 1000;
  const latenciesMs: number[] = [];
  let spansAckedTotal = 0;
  let spans = 0;
  let requests = 0;
  let wireBytes = 0;
  let throttled = 0;
  let failed = 0;
  let firstError: string | undefined;
  let gzippedDuringRun = 0;
  let cpuAtWindow: NodeJS.CpuUsage | undefined;
  for (let n = 0; Date.now() < end; n++) {
    let body: Buffer;
    if (input.transport !== 'gzip') body = make(n);
    else if (n < pool.length) body = pool[n]!;
    else {
      body = gzipSync(make(n), { level: 1 });
      gzippedDuringRun++;
    }
    const started = performance.now();
    const sent = await send(body);
    const latency = performance.now() - started;
    const inWindow = Date.now() >= measureFrom;
    if (inWindow && cpuAtWindow === undefined) cpuAtWindow = process.cpuUsage();
    if (sent.kind === 'ok') {
      spansAckedTotal += spansPerSend;
      if (!inWindow) continue;
      spans += spansPerSend;
      requests++;
      wireBytes += body.length;
      latenciesMs.push(latency);
    } else if (sent.kind === 'throttled') {
      if (inWindow) throttled++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } else {
      if (inWindow) failed++;
      firstError ??= sent.error;
      if (failed > 100) break;
    }
  }
  const cpu = process.cpuUsage(cpuAtWindow);
  return {
    spansAckedTotal, spans, requests, wireBytes, throttled, failed, latenciesMs, gzippedDuringRun,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

if (process.send !== undefined) {
  const input = JSON.parse(process.argv[2]!) as ClientInput;
  run(input).then(
    (result) => process.send!({ kind: 'done', result } satisfies ClientMessage, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
