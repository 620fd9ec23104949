/**
 * Ingest limits through a real server (`tributary serve`): attribute limits (spans stored
 * truncated, counted), spans per request (400) and spans per trace (stored, left out of call
 * derivation, counted). The body size limit (413) is covered in otlp-errors.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeExporter } from '../harness/otel.js';
import { eventually, makeDataDir, startServer, type ServerProcess } from '../harness/server.js';

interface AttributeJson {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}

interface TraceJson {
  resourceSpans: {
    resource: { attributes: AttributeJson[]; droppedAttributesCount?: number };
    scopeSpans: { spans: { spanId: string; name: string; attributes: AttributeJson[]; droppedAttributesCount?: number }[] }[];
  }[];
}

async function storedTrace(server: ServerProcess, traceId: string, spanCount: number): Promise<TraceJson> {
  return eventually(async () => {
    const response = await server.api(`/api/v1/traces/${traceId}`);
    if (response.status !== 200) return undefined;
    const trace = (await response.json()) as TraceJson;
    return trace.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length >= spanCount ? trace : undefined;
  }, 20_000, `trace ${traceId} with ${spanCount} spans`);
}

/** The value of one Prometheus sample, e.g. `tributary_spans_truncated_total{limit="attributes"}`; 0 when absent. */
async function metric(server: ServerProcess, sample: string): Promise<number> {
  const text = await (await server.api('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

function jsonRequest(traceId: string, spans: number, resourceAttributes: AttributeJson[], spanAttributes: AttributeJson[] = []): string {
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: resourceAttributes },
      scopeSpans: [{
        scope: { name: 'manual' },
        spans: Array.from({ length: spans }, (_, i) => ({
          traceId,
          spanId: (i + 1).toString(16).padStart(16, '0'),
          ...(i > 0 ? { parentSpanId: '0000000000000001' } : {}),
          name: `op-${i}`,
          kind: 2,
          startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)),
          endTimeUnixNano: String(1_700_000_000_000_001_000n + BigInt(i)),
          attributes: spanAttributes,
        })),
      }],
    }],
  });
}

const str = (key: string, value: string): AttributeJson => ({ key, value: { stringValue: value } });

describe('ingest limits with default attribute limits', () => {
  const data = makeDataDir();
  let server: ServerProcess;
  const post = (body: string) =>
    fetch(`http://127.0.0.1:${server.otlpHttpPort}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

  beforeAll(async () => {
    const configFile = path.join(data.dir, 'tributary.yaml');
    writeFileSync(configFile, 'limits:\n  maxSpansPerRequest: 50\n  maxSpansPerTrace: 20\n');
    server = await startServer({ dataDir: data.dir, settleMs: 100, args: ['--config', configFile] });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it('stores a span with 300 attributes and a 100 KB value from the OTel SDK with 128 attributes, the dropped count and the value cut', async () => {
    // The SDK has span limits of its own (128 attributes by default): lift them so the server's apply.
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'attribute-hog' }),
      spanLimits: { attributeCountLimit: 1000 },
      spanProcessors: [new SimpleSpanProcessor(makeExporter('proto', server))],
    });
    const attributes: Record<string, string | number> = { 'http.url': `https://shop.example/search?q=${'é'.repeat(50_000)}` };
    for (let i = 1; i < 300; i++) attributes[`app.attr.${String(i).padStart(3, '0')}`] = i;
    const span = provider.getTracer('limits-test').startSpan('GET /search', { kind: SpanKind.SERVER, attributes }, ROOT_CONTEXT);
    span.end();
    await provider.forceFlush();
    await provider.shutdown();

    const trace = await storedTrace(server, span.spanContext().traceId, 1);
    const stored = trace.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(stored.attributes).toHaveLength(128);
    expect(stored.droppedAttributesCount).toBe(172);
    const url = stored.attributes[0]!;
    expect(url.key).toBe('http.url');
    // 16 KiB, cut between two 2-byte characters: 'https://shop.example/search?q=' is 30 bytes, so 30 + 2·8177 = 16384.
    expect(Buffer.byteLength(url.value.stringValue!, 'utf8')).toBe(16_384);
    expect(url.value.stringValue).toBe(`https://shop.example/search?q=${'é'.repeat(8177)}`);
    expect(stored.attributes.at(-1)!.key).toBe('app.attr.127');
    expect(await metric(server, 'tributary_spans_truncated_total{limit="attributes"}')).toBe(1);
    expect(await metric(server, 'tributary_spans_truncated_total{limit="value_length"}')).toBe(1);
  });

  it('refuses a request with more spans than maxSpansPerRequest with 400, and stores none of it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const response = await post(jsonRequest(traceId, 51, [str('service.name', 'bulk')]));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/more than 50 spans/);
    expect((await post(jsonRequest(traceId, 50, [str('service.name', 'bulk')]))).status).toBe(200);
    const trace = await storedTrace(server, traceId, 50);
    expect(trace.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))).toHaveLength(50);
  });

  it('stores every span of a trace over maxSpansPerTrace, derives calls from the first ones and counts the rest', async () => {
    const before = await metric(server, 'tributary_trace_spans_truncated_total');
    const traceId = randomBytes(16).toString('hex');
    expect((await post(jsonRequest(traceId, 30, [str('service.name', 'wide')]))).status).toBe(200);
    const trace = await storedTrace(server, traceId, 30);
    expect(trace.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))).toHaveLength(30);
    await eventually(async () => ((await metric(server, 'tributary_trace_spans_truncated_total')) - before === 10 ? true : undefined), 20_000, 'the per-trace counter');
  });
});

describe('attribute limits from the environment', () => {
  const data = makeDataDir();
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({
      dataDir: data.dir,
      settleMs: 100,
      env: { TRIBUTARY_MAX_ATTRIBUTES_PER_SPAN: '3', TRIBUTARY_MAX_ATTRIBUTE_VALUE_BYTES: '10' },
    });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it('cuts resource and span attributes to the configured limits, on UTF-8 boundaries, and counts every span', async () => {
    const traceId = randomBytes(16).toString('hex');
    const resource = [str('service.name', 'checkout'), str('k8s.pod.name', 'checkout-7d4f8b9c6-x2x9z'), str('host.name', 'h1'), str('os.type', 'linux')];
    const body = jsonRequest(traceId, 2, resource, [str('http.route', '/ééééé'), str('a', '1'), str('b', '2'), str('c', '3')]);
    const response = await fetch(`http://127.0.0.1:${server.otlpHttpPort}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({}); // truncation is not a partial success: nothing was rejected

    const trace = await storedTrace(server, traceId, 2);
    expect(trace.resourceSpans).toHaveLength(1);
    const stored = trace.resourceSpans[0]!;
    expect(stored.resource.attributes).toEqual([str('service.name', 'checkout'), str('k8s.pod.name', 'checkout-7'), str('host.name', 'h1')]);
    expect(stored.resource.droppedAttributesCount).toBe(1);
    for (const span of stored.scopeSpans[0]!.spans) {
      // '/' + 4 × 'é' is 9 bytes; a fifth 'é' would make 11.
      expect(span.attributes).toEqual([str('http.route', '/éééé'), str('a', '1'), str('b', '2')]);
      expect(span.droppedAttributesCount).toBe(1);
    }
    expect(await metric(server, 'tributary_spans_truncated_total{limit="attributes"}')).toBe(2);
    expect(await metric(server, 'tributary_spans_truncated_total{limit="value_length"}')).toBe(2);
  });
});
