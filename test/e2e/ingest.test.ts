import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeDataDir, startServer, type ServerProcess } from '../harness/server.js';
import { checkoutJourney, makeExporter, makeShop, TestService, type ExporterKind } from '../harness/otel.js';

interface TraceResponse {
  traceId: string;
  resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { spanId: string; parentSpanId?: string; name: string }[] }[] }[];
  calls: { kind: string; service: string; request: string; failed: boolean; failureReason: string | null; synthetic: boolean; path: { kind: string; name: string }[] }[];
}

async function getTrace(server: ServerProcess, traceId: string): Promise<TraceResponse | undefined> {
  const response = await server.api(`/api/v1/traces/${traceId}`);
  if (response.status === 404) return undefined;
  expect(response.status).toBe(200);
  return (await response.json()) as TraceResponse;
}

function spanNames(trace: TraceResponse): string[] {
  return trace.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => span.name))).sort();
}

/** Calls as "caller chain > service:request" lines, the way a reader of a backtrace thinks of them. */
function callLines(trace: TraceResponse): string[] {
  return trace.calls
    .map((c) => [...c.path.map((p) => p.name), `${c.kind}:${c.service}${c.failed ? ' FAILED' : ''}`].join(' > '))
    .sort();
}

const EXPECTED_CALLS = [
  'application:orders-web',
  'orders-web > frontend > order > database:orders',
  'orders-web > frontend > order > external:api.fedex.com FAILED',
  'orders-web > frontend > service:order',
  'orders-web > service:frontend',
];

describe('OTLP ingest with the real OpenTelemetry SDK exporters', () => {
  const data = makeDataDir();
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({ dataDir: data.dir, settleMs: 300 });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  const cases: { kind: ExporterKind; gzip: boolean }[] = [
    { kind: 'proto', gzip: false },
    { kind: 'proto', gzip: true },
    { kind: 'json', gzip: false },
    { kind: 'json', gzip: true },
    { kind: 'grpc', gzip: false },
    { kind: 'grpc', gzip: true },
  ];
  for (const { kind, gzip } of cases) {
    it(`stores every span and derives the caller chain (${kind}${gzip ? ', gzip' : ''})`, async () => {
      const shop = makeShop(makeExporter(kind, server, gzip));
      const traceId = checkoutJourney(shop);
      await shop.flush();
      await shop.shutdown();

      const trace = await eventually(async () => {
        const t = await getTrace(server, traceId);
        return t && t.calls.length >= 5 ? t : undefined;
      }, 20_000, `calls of trace ${traceId}`);
      expect(spanNames(trace)).toEqual(['GET', 'GET /order/{id}', 'HTTP POST', 'POST /api/checkout', 'POST /ship', 'SELECT orders', 'click']);
      expect(callLines(trace)).toEqual(EXPECTED_CALLS);
      const fedex = trace.calls.find((c) => c.service === 'api.fedex.com')!;
      expect(fedex.synthetic).toBe(true);
      expect(fedex.failureReason).toBe('Service Unavailable');
      const user = trace.calls.find((c) => c.kind === 'application')!;
      expect(user.request).toContain('click');
    });
  }

  it('re-derives a trace when a span arrives after it settled, without duplicating calls', async () => {
    const exporter = makeExporter('proto', server);
    const frontend = new TestService('frontend', exporter);
    const backend = new TestService('backend', exporter);
    const root = frontend.start('GET /home', SpanKind.SERVER);
    const client = frontend.start('GET', SpanKind.CLIENT, root, { 'server.address': 'backend' });
    client.end();
    root.end();
    await frontend.flush();
    const traceId = root.spanContext().traceId;

    // Settled without the backend: the client span is a synthetic external call.
    const before = await eventually(async () => {
      const t = await getTrace(server, traceId);
      return t && t.calls.length === 2 ? t : undefined;
    }, 20_000, 'first derivation');
    expect(callLines(before)).toEqual(['frontend > external:backend', 'service:frontend']);

    // The backend's span arrives late: the external call becomes the instrumented backend.
    const late = backend.start('GET /data', SpanKind.SERVER, client);
    late.end();
    await backend.flush();
    const after = await eventually(async () => {
      const t = await getTrace(server, traceId);
      return t && t.calls.some((c) => c.service === 'backend' && c.kind === 'service') ? t : undefined;
    }, 20_000, 're-derivation');
    expect(callLines(after)).toEqual(['frontend > service:backend', 'service:frontend']);
    await Promise.all([frontend.shutdown(), backend.shutdown()]);
  });

  it('answers /healthz, /readyz and /metrics', async () => {
    expect((await server.api('/healthz')).status).toBe(200);
    expect((await server.api('/readyz')).status).toBe(200);
    const metrics = await (await server.api('/metrics')).text();
    expect(metrics).toMatch(/tributary_spans_accepted_total\{transport="http"\} \d+/);
    expect(metrics).toMatch(/tributary_spans_accepted_total\{transport="grpc"\} \d+/);
    expect(metrics).toContain('tributary_ingest_queue_spans');
    expect(metrics).toContain('tributary_commit_latency_seconds_bucket');
    // The embedded store's buffer memory and its limit: DuckDB's memory_limit, 2GB unless
    // configured, which DuckDB reports rounded ("1.8 GiB").
    expect(Number(/^tributary_store_memory_bytes (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    const limit = Number(/^tributary_store_memory_limit_bytes (\S+)$/m.exec(metrics)?.[1]);
    expect(limit).toBeGreaterThan(1.85e9);
    expect(limit).toBeLessThan(2.05e9);
  });
});

describe('durability across restarts', () => {
  it('keeps acked spans and derives their calls after kill -9 before the settle window ended', async () => {
    const data = makeDataDir();
    try {
      // A settle window far longer than the test: only recovery at start-up can derive the calls.
      const first = await startServer({ dataDir: data.dir, settleMs: 600_000 });
      const shop = makeShop(makeExporter('proto', first));
      const traceId = checkoutJourney(shop);
      await shop.flush(); // resolves only after every export request was acked
      await shop.shutdown();
      const stored = await getTrace(first, traceId);
      expect(stored && spanNames(stored)).toHaveLength(7);
      expect(stored?.calls).toEqual([]);
      await first.kill();

      const second = await startServer({ dataDir: data.dir, settleMs: 600_000 });
      try {
        const recovered = await getTrace(second, traceId);
        expect(recovered && spanNames(recovered)).toHaveLength(7);
        expect(recovered && callLines(recovered)).toEqual(EXPECTED_CALLS);
        expect(second.stderr()).toMatch(/recovered 1 trace/);
      } finally {
        await second.stop();
      }
    } finally {
      data.remove();
    }
  });

  it('settles live traces on a clean stop and serves them after restart', async () => {
    const data = makeDataDir();
    try {
      const first = await startServer({ dataDir: data.dir, settleMs: 600_000 });
      const shop = makeShop(makeExporter('grpc', first));
      const traceId = checkoutJourney(shop);
      await shop.flush();
      await shop.shutdown();
      expect(await first.stop()).toBe(0);

      const second = await startServer({ dataDir: data.dir, settleMs: 600_000 });
      try {
        const trace = await getTrace(second, traceId);
        expect(trace && callLines(trace)).toEqual(EXPECTED_CALLS);
        expect(second.stderr()).not.toMatch(/recovered/);
      } finally {
        await second.stop();
      }
    } finally {
      data.remove();
    }
  });
});
