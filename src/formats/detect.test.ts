import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { detectFormat, DETECT_PREFIX_BYTES, explainFormat } from './detect.js';

const TESTDATA = fileURLToPath(new URL('../../../shared/testdata/', import.meta.url));
const head = (path: string, bytes = DETECT_PREFIX_BYTES): Uint8Array => readFileSync(path).subarray(0, bytes);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Spans recorded by the real OpenTelemetry JS SDK, so the OTLP payloads are what exporters send. */
function sdkSpans(count: number): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'k8s.pod.name': 'checkout-5d8f7b9c6-abcde' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('detect-test', '1.0.0');
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan(`GET /orders/${i}`);
    span.setAttribute('http.response.status_code', 200);
    span.end();
  }
  return exporter.getFinishedSpans();
}

describe('detectFormat on real files', () => {
  it.each(readdirSync(TESTDATA + 'zipkin-lens-testdata').filter((f) => f.endsWith('.json')))('zipkin-lens-testdata/%s → zipkin', (f) => {
    expect(detectFormat(head(TESTDATA + 'zipkin-lens-testdata/' + f), f)).toBe('zipkin');
  });

  // PROVENANCE: these are OTLP/JSON as Jaeger's api/v3 returns it, not Jaeger's own JSON.
  it.each(readdirSync(TESTDATA + 'jaeger-skill-fixtures').filter((f) => f.endsWith('.json') && !f.includes('manifest')))(
    'jaeger-skill-fixtures/%s → otlp-json',
    (f) => {
      expect(detectFormat(head(TESTDATA + 'jaeger-skill-fixtures/' + f), f)).toBe('otlp-json');
    },
  );

  it('the OTLP/JSON example of opentelemetry-proto → otlp-json', () => {
    expect(detectFormat(head(TESTDATA + 'otlp-proto-example/trace.json'), 'trace.json')).toBe('otlp-json');
  });

  it('a Jaeger UI download → jaeger, also when only its first bytes are seen', () => {
    const path = fileURLToPath(new URL('./testdata/jaeger-ui-download.json', import.meta.url));
    expect(explainFormat(head(path), 'trace.json')).toEqual({
      format: 'jaeger',
      reason: 'the content is a JSON object whose "data" holds traces with "spans": Jaeger JSON',
    });
    expect(detectFormat(head(path, 40), 'trace.json')).toBe('jaeger');
  });

  it('decides on a prefix that cuts a file mid-token', () => {
    const zipkin = TESTDATA + 'zipkin-lens-testdata/smartthings-mobile-web-install.json';
    for (const n of [1, 2, 17, 100, 1000]) expect(detectFormat(head(zipkin, n), 'x')).toBe('zipkin');
    const otlp = TESTDATA + 'jaeger-skill-fixtures/sibling_errors.json';
    for (const n of [30, 31, 100, 1000]) expect(detectFormat(head(otlp, n), 'x')).toBe('otlp-json');
  });
});

describe('detectFormat on OpenTelemetry SDK payloads', () => {
  const spans = sdkSpans(3);
  const proto = ProtobufTraceSerializer.serializeRequest(spans)!;
  const json = JsonTraceSerializer.serializeRequest(spans)!;

  it('protobuf → otlp-proto whatever the name, although its first bytes read "\\n{" like JSON', () => {
    expect(proto[0]).toBe(0x0a);
    expect(detectFormat(proto, 'export.bin')).toBe('otlp-proto');
    expect(detectFormat(proto, 'spans')).toBe('otlp-proto');
    expect(explainFormat(proto, 'spans').reason).toContain('binary');
  });

  it('JSON → otlp-json, and JSON lines of requests too', () => {
    expect(detectFormat(json, 'spans')).toBe('otlp-json');
    const lines = text(`${new TextDecoder().decode(json)}\n${new TextDecoder().decode(json)}\n`);
    expect(detectFormat(lines, 'spans.jsonl')).toBe('otlp-json');
    expect(detectFormat(json, 'export.pb')).toBe('otlp-json'); // recognized content beats the name
  });
});

describe('detectFormat rules on small inputs', () => {
  it.each([
    ['  \n[ ]', 'a.json', 'zipkin'],
    ['\uFEFF{"resourceSpans":[]}', 'a', 'otlp-json'],
    ['{"data":[]}', 'a', 'jaeger'],
    ['[{"traceID":"1","spans":[],"processes":{}}]', 'a.json', 'jaeger'],
    ['[{"traceId":"1","id":"2"}]', 'a.json', 'zipkin'],
    ['[[{"traceId":"1","id":"2"}]]', 'a.json', 'zipkin'],
    ['{"traceID":"1","spans":[]}', 'a', 'jaeger'],
    ['{"something":"else"}', 'a.json', 'otlp-json'],
    ['{"something":"else"}', 'a.pb', 'otlp-proto'],
    ['', 'empty.pb', 'otlp-proto'],
    ['', 'empty.json', 'otlp-json'],
    ['{"resourceSpans": [}', 'broken.json', 'otlp-json'],
    ['hello', 'notes.json', 'otlp-json'],
    ['hello', 'notes', 'otlp-proto'],
    ['{"resourceSpans":[]}', 'export.json.gz', 'otlp-json'],
    ['', 'export.pb.gz', 'otlp-proto'],
  ] as const)('%j named %s → %s', (content, name, format) => {
    expect(detectFormat(text(content), name)).toBe(format);
  });

  it('control bytes inside what looks like a JSON string mean binary', () => {
    expect(detectFormat(Uint8Array.from([0x0a, 0x7b, 0x0a, 0x22, 0x0a, 0x0c, 0x73]), 'x')).toBe('otlp-proto');
  });
});
