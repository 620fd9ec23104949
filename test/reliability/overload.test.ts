/**
 * Overload (issue 8): more traffic than the server can commit, against small limits. The server
 * must refuse what it cannot queue with retryable answers — 429 with `Retry-After` on OTLP/HTTP,
 * RESOURCE_EXHAUSTED with a retry pushback on OTLP/gRPC — keep its memory bounded, keep answering
 * queries, and lose nothing for clients that retry as told.
 *
 * Load: first a calibration measures what this server commits on this machine (closed-loop
 * senders that never fill the queue); then a burst of requests at once, followed by requests
 * started at twice the measured rate whatever the answers (open loop: each request is its own
 * client, retrying until acked). No assertion is about time; the rate only sets the load.
 *
 * Senders: OTLP/HTTP protobuf posts (bodies from OpenTelemetry's own serializer) and the
 * OpenTelemetry SDK's gRPC exporter. The SDK's gRPC exporter does not retry RESOURCE_EXHAUSTED
 * itself (its transport reports every gRPC error as a plain failure), so its sender retries the
 * export as a Collector's sending queue would, after the server's pushback.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/analysis/testing/seeded-random.js';
import { makeDataDir, startServer, type ServerProcess } from '../harness/server.js';
import { encodeRequest, mapConcurrent, postTraces, singleCallTrace, sleep } from './traffic.js';

/** Spans per request: four requests fill the queue. */
const SPANS_PER_REQUEST = 500;
const TRACES_PER_REQUEST = 5;
const SPANS_PER_TRACE = SPANS_PER_REQUEST / TRACES_PER_REQUEST;
const MAX_QUEUED_SPANS = 2_000;
const MAX_LIVE_SPANS = 20_000;
const DUCKDB_MEMORY_LIMIT_MIB = 256;
/** Calibration: closed-loop senders that never fill the queue (3 × 500 < 2,000) measure what the server commits. */
const CALIBRATION_SENDERS = 3;
const CALIBRATION_REQUESTS = 30;
/** The overload: this many requests, started at twice the measured rate whatever the answers. */
const OVERLOAD_REQUESTS = 160;
const OVERLOAD_FACTOR = 2;
const BURST = 16;
/** Services the overload's traces belong to (half OTLP/HTTP, half OTLP/gRPC), each ≤ 1,000 traces for the traces list. */
const SERVICES = 4;
/**
 * The RSS bound. Measured: an idle server is ~140 MiB (Node, the API, DuckDB with its catalog).
 * Under this load it may add DuckDB's buffer pool (`memory_limit`, 256 MiB here), the queued
 * spans (2,000 spans of ~0.5 KiB decoded, plus their request bodies: ~5 MiB), the assembler's
 * skeletons (20,000 × ~0.5 KiB: ~10 MiB) and the V8 heap's garbage between collections (~100
 * MiB). Nothing in that sum grows with the offered load or the number of clients waiting, which
 * is what backpressure is for: an unbounded queue would hold every refused request.
 */
const RSS_BOUND_MIB = 140 + DUCKDB_MEMORY_LIMIT_MIB + 5 + 10 + 100;

const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;

interface PlannedRequest {
  readonly service: string;
  readonly transport: 'http' | 'grpc';
  readonly spans: ReadableSpan[];
  readonly traceIds: readonly string[];
}

function planRequests(rnd: SeededRandom, count: number, service: (index: number) => string, startMs: number): PlannedRequest[] {
  return Array.from({ length: count }, (_, r) => {
    const name = service(r);
    const traces = Array.from({ length: TRACES_PER_REQUEST }, (_, t) =>
      singleCallTrace(rnd, name, SPANS_PER_TRACE, startMs + (r * TRACES_PER_REQUEST + t) * 10));
    return { service: name, transport: name.includes('grpc') ? 'grpc' : 'http', spans: traces.flatMap((t) => t.spans), traceIds: traces.map((t) => t.traceId) };
  });
}

function rssMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) / 1024;
}

/** A retryable gRPC failure as the SDK exporter reports it: the grpc-js `ServiceError`. */
interface GrpcFailure {
  code?: number;
  metadata?: { get(key: string): unknown[] };
}

function exportOnce(exporter: OTLPTraceExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

describe('overload: a burst, then twice the rate the store commits', () => {
  const data = makeDataDir('tributary-overload-');
  let server: ServerProcess | undefined;

  afterAll(async () => {
    if (server && server.process.exitCode === null) await server.kill();
    data.remove();
  });

  it('refuses with retryable answers, stays within its memory bound, keeps answering queries and loses nothing', async () => {
    const configFile = path.join(data.dir, 'tributary.yaml');
    writeFileSync(configFile, [
      `duckdbMemoryLimit: ${DUCKDB_MEMORY_LIMIT_MIB}MB`,
      'limits:',
      `  maxQueuedSpans: ${MAX_QUEUED_SPANS}`,
      `  maxLiveSpans: ${MAX_LIVE_SPANS}`,
      '',
    ].join('\n'));
    server = await startServer({ dataDir: path.join(data.dir, 'store'), settleMs: 200, args: ['--config', configFile] });
    const live = server;
    const rnd = new SeededRandom(8);
    const startMs = Date.now() - 10 * 60_000;

    const httpRefusals: { status: number; retryAfterSeconds: number | undefined }[] = [];
    const grpcRefusals: { code: number | undefined; pushbackMs: number | undefined }[] = [];
    const otherFailures: string[] = [];
    let attempts = 0;

    /** One client's export of one request, retried after each refusal as the server asks. */
    const sendHttp = async (request: PlannedRequest) => {
      const body = encodeRequest(request.spans);
      for (;;) {
        attempts++;
        const result = await postTraces(live.otlpHttpPort, body);
        if (result.kind === 'acked') return;
        if (result.kind !== 'refused') return void otherFailures.push(`${request.service}: ${JSON.stringify(result)}`);
        httpRefusals.push({ status: result.status, retryAfterSeconds: result.retryAfterSeconds });
        await sleep((result.retryAfterSeconds ?? 1) * 1000);
      }
    };
    const exporters = Array.from({ length: 4 }, () =>
      new OTLPTraceExporter({ url: `http://127.0.0.1:${live.otlpGrpcPort}`, concurrencyLimit: OVERLOAD_REQUESTS, timeoutMillis: 60_000 }));
    const sendGrpc = async (request: PlannedRequest, index: number) => {
      const exporter = exporters[index % exporters.length]!;
      for (;;) {
        attempts++;
        const result = await exportOnce(exporter, request.spans);
        if (result.code === ExportResultCode.SUCCESS) return;
        const failure = result.error as GrpcFailure | undefined;
        if (failure?.code !== GRPC_RESOURCE_EXHAUSTED && failure?.code !== GRPC_UNAVAILABLE) {
          return void otherFailures.push(`${request.service}: ${String(result.error)}`);
        }
        const pushback = failure.metadata?.get('grpc-retry-pushback-ms')[0];
        const pushbackMs = pushback === undefined ? undefined : Number(pushback);
        grpcRefusals.push({ code: failure.code, pushbackMs });
        await sleep(pushbackMs ?? 1000);
      }
    };
    const send = (request: PlannedRequest, index: number) => (request.transport === 'http' ? sendHttp(request) : sendGrpc(request, index));

    try {
      // Calibration: what the server commits when the queue never fills.
      const calibration = planRequests(rnd, CALIBRATION_REQUESTS, () => 'calibration', startMs);
      const calibrationStart = performance.now();
      await mapConcurrent(calibration, CALIBRATION_SENDERS, sendHttp);
      const sustainedSpansPerSecond = (CALIBRATION_REQUESTS * SPANS_PER_REQUEST) / ((performance.now() - calibrationStart) / 1000);
      expect(otherFailures).toEqual([]);

      // The overload: requests start at twice that rate, each a client that retries until acked.
      const overload = planRequests(rnd, OVERLOAD_REQUESTS, (r) => `load-${r % 2 === 0 ? 'http' : 'grpc'}-${r % SERVICES}`, startMs + 60_000);
      const intervalMs = (SPANS_PER_REQUEST / (OVERLOAD_FACTOR * sustainedSpansPerSecond)) * 1000;
      const queryStatuses: number[] = [];
      let queriesDuringRefusals = 0;
      const idleRssMiB = rssMiB(live.process.pid!);
      let maxRssMiB = idleRssMiB;
      let sending = true;
      const observe = async () => {
        const paths = ['/api/v1/services?from=now-1h', '/api/v1/traces?limit=20&from=now-1h', '/metrics', '/readyz'];
        for (let i = 0; sending; i++) {
          const refusalsBefore = httpRefusals.length + grpcRefusals.length;
          const response = await live.api(paths[i % paths.length]!);
          await response.arrayBuffer();
          queryStatuses.push(response.status);
          if (refusalsBefore > 0 && sending) queriesDuringRefusals++;
          maxRssMiB = Math.max(maxRssMiB, rssMiB(live.process.pid!));
          await sleep(50);
        }
      };
      const observer = observe();
      const overloadStart = performance.now();
      const clients: Promise<void>[] = [];
      for (const [index, request] of overload.entries()) {
        // A burst first (16 × 500 spans, eight times the queue, half of each transport, as when
        // clients' queues flush after an outage), then the steady 2× rate.
        const due = overloadStart + (index < BURST ? 0 : (index - BURST + 1) * intervalMs);
        if (due > performance.now()) await sleep(due - performance.now());
        clients.push(send(request, index));
      }
      await Promise.all(clients);
      const overloadSeconds = (performance.now() - overloadStart) / 1000;
      sending = false;
      await observer;

      expect(otherFailures).toEqual([]);
      // Refused as retryable, with the delay the client should wait.
      expect(httpRefusals.length).toBeGreaterThan(0);
      expect(httpRefusals.filter((r) => r.status !== 429 || r.retryAfterSeconds === undefined || r.retryAfterSeconds < 1)).toEqual([]);
      expect(grpcRefusals.length).toBeGreaterThan(0);
      expect(grpcRefusals.filter((r) => r.code !== GRPC_RESOURCE_EXHAUSTED || r.pushbackMs === undefined || r.pushbackMs <= 0)).toEqual([]);
      // Queries kept answering while requests were being refused.
      expect(queriesDuringRefusals).toBeGreaterThan(0);
      expect(queryStatuses.filter((status) => status !== 200)).toEqual([]);
      expect(maxRssMiB).toBeLessThan(RSS_BOUND_MIB);
      console.log(`overload: sustained ${Math.round(sustainedSpansPerSecond)} spans/s; offered ${OVERLOAD_FACTOR}× for ` +
        `${OVERLOAD_REQUESTS} requests: ${attempts - CALIBRATION_REQUESTS} attempts, ${httpRefusals.length} HTTP 429, ` +
        `${grpcRefusals.length} gRPC RESOURCE_EXHAUSTED, all acked after ${overloadSeconds.toFixed(1)} s; ${queryStatuses.length} queries ` +
        `answered 200; RSS idle ${idleRssMiB.toFixed(0)} MiB, peak ${maxRssMiB.toFixed(0)} MiB (bound ${RSS_BOUND_MIB})`);

      // Every span of every request is stored, counted per service through the traces list.
      const services = [...new Set(overload.map((r) => r.service))].sort();
      const counts = await mapConcurrent(services, 2, async (service) => {
        const expected = new Set(overload.filter((r) => r.service === service).flatMap((r) => r.traceIds));
        let found = new Map<string, number>();
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          const response = await live.api(`/api/v1/traces?service=${service}&from=now-1h&limit=1000`);
          expect(response.status).toBe(200);
          const listed = (await response.json()) as { traces: { traceId: string; spanCount: number }[] };
          found = new Map(listed.traces.map((t) => [t.traceId, t.spanCount]));
          if (found.size === expected.size && [...found.values()].every((n) => n === SPANS_PER_TRACE)) break;
          await sleep(200);
        }
        return {
          service,
          traces: found.size,
          spans: [...found.values()].reduce((a, b) => a + b, 0),
          lost: [...expected].filter((id) => found.get(id) !== SPANS_PER_TRACE).length,
          unexpected: [...found.keys()].filter((id) => !expected.has(id)).length,
        };
      });
      const tracesPerService = (OVERLOAD_REQUESTS / SERVICES) * TRACES_PER_REQUEST;
      expect(counts).toEqual(services.map((service) => ({
        service, traces: tracesPerService, spans: tracesPerService * SPANS_PER_TRACE, lost: 0, unexpected: 0,
      })));

      const metrics = await (await live.api('/metrics')).text();
      expect(metrics).toMatch(/tributary_otlp_requests_total\{transport="http",outcome="throttled"\} [1-9]/);
      expect(metrics).toMatch(/tributary_otlp_requests_total\{transport="grpc",outcome="throttled"\} [1-9]/);
    } finally {
      await Promise.all(exporters.map((e) => e.shutdown()));
    }
    expect(await live.stop()).toBe(0);
    server = undefined;
  }, 120_000);
});
