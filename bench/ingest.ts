/**
 * Ingest benchmark: sustained OTLP/HTTP protobuf spans/s into a real `tributary serve` (DuckDB
 * store), from several concurrent keep-alive clients, each its own process (none is the server). Prints one table and writes bench/results/ingest.json.
 *
 *   npm run bench:ingest -- [--clients 4] [--seconds 20] [--spans-per-request 1000] [--gzip] [--quick] [--profile]
 *
 * Payloads: realistic requests from bench/payloads.ts (10-span traces over Kubernetes services,
 * ~10 attributes per span). Every request sent gets fresh trace ids (a marker prefix is patched
 * with a per-send counter), so the assembler sees new traces, as in production.
 */
import { fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import type { OtlpTraceRequest } from '../src/model/otlp.js';
import { makeTraceRequest } from './payloads.js';

const MARKER = [0xbe, 0xef, 0xca, 0xfe];

interface WorkerInput {
  readonly index: number;
  readonly port: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly spansPerRequest: number;
  readonly gzip: boolean;
}

interface WorkerResult {
  spans: number;
  requests: number;
  throttled: number;
  failed: number;
  latenciesMs: number[];
}

/** Request with every trace id replaced by MARKER + 12 bytes, so sends can patch them cheaply. */
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
  const marker = Buffer.from(MARKER);
  for (let at = bytes.indexOf(marker); at >= 0; at = bytes.indexOf(marker, at + 1)) offsets.push(at);
  return offsets;
}

async function runWorker(input: WorkerInput): Promise<WorkerResult> {
  const traces = Math.max(1, Math.round(input.spansPerRequest / 10));
  const payloads = Array.from({ length: 16 }, (_, i) => {
    const bytes = Buffer.from(encodeTraceRequest(markTraceIds(makeTraceRequest({ traces, spansPerTrace: 10, seed: input.index * 1000 + i + 1 }), i)));
    return { bytes, offsets: markerOffsets(bytes), spans: traces * 10 };
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const result: WorkerResult = { spans: 0, requests: 0, throttled: 0, failed: 0, latenciesMs: [] };
  const start = Date.now();
  const measureFrom = start + input.warmupSeconds * 1000;
  const end = measureFrom + input.seconds * 1000;
  let counter = 0;
  while (Date.now() < end) {
    const payload = payloads[counter % payloads.length]!;
    const body = Buffer.from(payload.bytes);
    counter++;
    for (const offset of payload.offsets) body.writeUInt32BE(((input.index + 1) << 24) | (counter & 0xffffff), offset + 4);
    const sent = input.gzip ? gzipSync(body, { level: 1 }) : body;
    const t0 = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1', port: input.port, path: '/v1/traces', method: 'POST', agent,
          headers: { 'content-type': 'application/x-protobuf', 'content-length': sent.length, ...(input.gzip ? { 'content-encoding': 'gzip' } : {}) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(sent);
    });
    const latency = performance.now() - t0;
    if (Date.now() < measureFrom) continue;
    if (status === 200) {
      result.spans += payload.spans;
      result.requests++;
      result.latenciesMs.push(latency);
    } else if (status === 429 || status === 503) {
      result.throttled++;
      await new Promise((r) => setTimeout(r, 50));
    } else {
      result.failed++;
    }
  }
  agent.destroy();
  return result;
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function procStatus(pid: number, field: string): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const clients = flag('clients', 4);
  const seconds = flag('seconds', quick ? 8 : 20);
  const spansPerRequest = flag('spans-per-request', 1000);
  const gzip = process.argv.includes('--gzip');
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tributary-bench-'));

  // --profile: the server writes a V8 CPU profile (open it in Chrome DevTools) into bench/results/.
  const profileArgs = process.argv.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${path.join(repo, 'bench/results')}`] : [];
  const server = spawn(process.execPath, [...profileArgs, path.join(repo, 'bin/tributary.js'), 'serve', '--data', dataDir, '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<{ otlpHttpPort: number }>((resolve, reject) => {
    createInterface({ input: server.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as { otlpHttpPort: number });
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const pid = server.pid!;
  const warmupSeconds = 3;
  const cpuBefore = cpuSeconds(pid);
  const workers = Array.from({ length: clients }, (_, index) =>
    new Promise<WorkerResult>((resolve, reject) => {
      const input: WorkerInput = { index, port: ready.otlpHttpPort, seconds, warmupSeconds, spansPerRequest, gzip };
      const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(input)], { execArgv: ['--import', 'tsx'] });
      child.once('message', (result) => resolve(result as WorkerResult));
      child.once('exit', (code) => code !== 0 && reject(new Error(`client ${index} exited with ${code}`)));
    }));
  let results: WorkerResult[];
  let cpuUsed: number;
  let peakRss: number;
  try {
    results = await Promise.all(workers);
    cpuUsed = cpuSeconds(pid) - cpuBefore;
    peakRss = procStatus(pid, 'VmHWM');
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }

  const spans = results.reduce((n, r) => n + r.spans, 0);
  const latencies = results.flatMap((r) => r.latenciesMs);
  const summary = {
    transport: gzip ? 'http/protobuf+gzip' : 'http/protobuf',
    clients,
    spansPerRequest,
    seconds,
    spansPerSecond: Math.round(spans / seconds),
    requestsPerSecond: Math.round(results.reduce((n, r) => n + r.requests, 0) / seconds),
    throttled: results.reduce((n, r) => n + r.throttled, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
    latencyP50Ms: Number(percentile(latencies, 0.5).toFixed(1)),
    latencyP99Ms: Number(percentile(latencies, 0.99).toFixed(1)),
    serverCpuCores: Number((cpuUsed / (seconds + warmupSeconds)).toFixed(2)),
    serverPeakRssMiB: Math.round(peakRss / 1024 / 1024),
  };
  console.table([summary]);
  mkdirSync(path.join(repo, 'bench/results'), { recursive: true });
  writeFileSync(path.join(repo, 'bench/results/ingest.json'), `${JSON.stringify(summary, null, 2)}\n`);
}

if (process.send === undefined) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  runWorker(JSON.parse(process.argv[2]!) as WorkerInput).then((r) => process.send!(r, () => process.exit(0)));
}
