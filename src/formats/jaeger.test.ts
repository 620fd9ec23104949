import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SpanKind, StatusCode } from '../model/otlp.js';
import type { OtlpTraceRequest } from '../model/otlp.js';
import { bytesToHex } from '../model/ids.js';
import { flattenSpans, plainAttributes } from '../../test/support/otlp-view.js';
import type { SpanView } from '../../test/support/otlp-view.js';
import { jaegerToOtlp } from './jaeger.js';

const fixture = JSON.parse(readFileSync(new URL('./testdata/jaeger-ui-download.json', import.meta.url), 'utf8')) as unknown;
const TRACE = '5f2c7a1d3e4b6a8c9d0e1f2a3b4c5d6e';

function convert(doc: unknown): { request: OtlpTraceRequest; spans: SpanView[]; warnings: string[] } {
  const result = jaegerToOtlp(doc);
  if (!result.ok) throw new Error(result.error);
  return { request: result.request, spans: flattenSpans(result.request), warnings: result.warnings };
}
const byId = (spans: readonly SpanView[], id: string): SpanView => {
  const found = spans.find((s) => s.spanId === id);
  if (found === undefined) throw new Error(`no span ${id}`);
  return found;
};

describe('jaegerToOtlp on a Jaeger UI download', () => {
  const { spans, warnings, request } = convert(fixture);

  it('reads both traces, one resource per process, without warnings', () => {
    expect(warnings).toEqual([]);
    expect(spans).toHaveLength(8);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([TRACE, '00000000000000007a1b2c3d4e5f6071']));
    expect(request.resourceSpans.map((rs) => plainAttributes(rs.resource.attributes)['service.name'])).toEqual([
      'frontend',
      'customer',
      'driver',
      'batch-job',
    ]);
  });

  it('turns process tags into typed resource attributes, hostname also into host.name', () => {
    const frontend = spans.find((s) => s.service === 'frontend')!;
    expect(frontend.resource).toEqual({
      'service.name': 'frontend',
      hostname: 'frontend-7d9f8b6c5-x2x4q',
      ip: '10.0.0.12',
      'jaeger.version': 'Go-2.30.0',
      'host.name': 'frontend-7d9f8b6c5-x2x4q',
    });
    expect(spans.find((s) => s.service === 'driver')!.resource['host.name']).toBe('driver-host');
    expect(spans.find((s) => s.service === 'batch-job')!.resource).toEqual({ 'service.name': 'batch-job', pid: 4242n, 'debug.enabled': false });
  });

  it('takes the parent from the first CHILD_OF reference, else FOLLOWS_FROM; other references become links', () => {
    expect(byId(spans, '1a2b3c4d5e6f7081').parentSpanId).toBe('');
    expect(byId(spans, '3c4d5e6f708192a3').parentSpanId).toBe('2b3c4d5e6f708192');
    const async = byId(spans, '5e6f708192a3b4c5');
    expect([async.parentSpanId, async.span.links]).toEqual(['1a2b3c4d5e6f7081', []]);
    const redis = byId(spans, '6f708192a3b4c5d6');
    expect(redis.parentSpanId).toBe('5e6f708192a3b4c5');
    expect(redis.span.links.map((l) => [bytesToHex(l.traceId), bytesToHex(l.spanId), plainAttributes(l.attributes)])).toEqual([
      ['00000000000000007a1b2c3d4e5f6071', '0a0b0c0d0e0f1011', { 'opentracing.ref_type': 'follows_from' }],
    ]);
  });

  it('maps span.kind and keeps every tag type exactly', () => {
    expect(spans.filter((s) => s.traceId === TRACE).map((s) => s.kind)).toEqual([
      SpanKind.SERVER, SpanKind.CLIENT, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.SERVER, SpanKind.CLIENT,
    ]);
    expect(byId(spans, '0a0b0c0d0e0f1011').kind).toBe(SpanKind.UNSPECIFIED);
    expect(byId(spans, '1a2b3c4d5e6f7081').attributes).toEqual({
      'http.method': 'GET',
      'http.status_code': 200n,
      'sampler.param': true,
      'sampler.type': 'const',
    });
    expect(byId(spans, '4d5e6f708192a3b4').attributes).toMatchObject({
      'db.system': 'mysql',
      'db.rows_examined': 9007199254740993n, // beyond 2^53, written as a string: read exactly
      'db.cache_hit_ratio': 0.25,
    });
    const key = byId(spans, '6f708192a3b4c5d6').attributes['redis.key'];
    expect(Buffer.from(key as Uint8Array).toString()).toBe('driver:123');
  });

  it('maps otel.status_code / otel.status_description and the error tag to the status', () => {
    const failed = spans.filter((s) => s.status.code === StatusCode.ERROR).map((s) => [s.name, s.status.message]);
    expect(failed).toEqual([
      ['/driver.DriverService/FindNearest', 'no drivers available'],
      ['FindDriverIDs', ''],
      ['step', ''],
    ]);
    const nearest = byId(spans, '5e6f708192a3b4c5');
    expect(nearest.attributes).toEqual({ 'rpc.system': 'grpc' });
    expect(byId(spans, '6f708192a3b4c5d6').attributes['error']).toBeUndefined();
  });

  it('takes the scope and trace state from otel.scope.* and w3c.tracestate tags', () => {
    const nearest = byId(spans, '5e6f708192a3b4c5');
    expect(nearest.scope).toBe('go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc');
    expect(nearest.span.traceState).toBe('rojo=00f067aa0ba902b7');
    expect(byId(spans, '6f708192a3b4c5d6').scope).toBe('jaeger');
  });

  it('turns logs into events named by their event field', () => {
    expect(byId(spans, '1a2b3c4d5e6f7081').span.events.map((e) => [e.name, e.timeUnixNano, plainAttributes(e.attributes)])).toEqual([
      ['HTTP request received', 1754500000000120000n, { level: 'info' }],
    ]);
    const exception = byId(spans, '5e6f708192a3b4c5').span.events[0]!;
    expect([exception.name, plainAttributes(exception.attributes)['exception.type']]).toEqual(['exception', 'DriverUnavailable']);
    const unnamed = byId(spans, '6f708192a3b4c5d6').span.events[0]!;
    expect([unnamed.name, plainAttributes(unnamed.attributes)]).toEqual(['', { message: 'redis timeout, retrying', 'retry.attempt': 1n }]);
  });

  it('converts µs times to ns and keeps the sampled flag', () => {
    const root = byId(spans, '1a2b3c4d5e6f7081');
    expect([root.start, root.end, root.span.flags]).toEqual([1754500000000000000n, 1754500000730000000n, 1]);
  });
});

describe('jaegerToOtlp edge cases', () => {
  const span = (spanID: string, extra: Record<string, unknown> = {}) => ({
    traceID: 'abc',
    spanID,
    operationName: 'op',
    startTime: 1000,
    duration: 10,
    processID: 'p1',
    ...extra,
  });
  const doc = (spans: unknown[], processes: unknown = { p1: { serviceName: 's' } }) => ({ data: [{ traceID: 'abc', spans, processes }] });

  it('rejects documents that are not Jaeger JSON, and says why when Jaeger reported errors', () => {
    expect(jaegerToOtlp('[]')).toMatchObject({ ok: false });
    expect(jaegerToOtlp({ resourceSpans: [] })).toMatchObject({ ok: false, error: expect.stringContaining('"data"') });
    expect(jaegerToOtlp({ data: null, errors: [{ code: 404, msg: 'trace not found' }] })).toEqual({
      ok: false,
      error: 'the Jaeger document carries errors and no data: trace not found',
    });
  });

  it('accepts the data array alone, and skips entries that are not traces', () => {
    const result = jaegerToOtlp([{ traceID: 'abc', spans: [span('1')], processes: { p1: { serviceName: 's' } } }, 7]);
    expect(result.ok && flattenSpans(result.request).map((s) => s.service)).toEqual(['s']);
    expect(result.ok && result.warnings).toEqual(['trace #1: has no "spans" array; skipped']);
  });

  it('accepts one bare trace object', () => {
    const result = jaegerToOtlp({ traceID: 'abc', spans: [span('1')], processes: { p1: { serviceName: 's' } } });
    expect(result.ok && flattenSpans(result.request).map((s) => s.service)).toEqual(['s']);
  });

  it('skips spans with bad ids or times with a warning, and reads an embedded process', () => {
    const { spans, warnings } = convert(
      doc([span('xyz'), span('2', { startTime: 'soon' }), span('3', { processID: undefined, process: { serviceName: 'embedded', tags: [] } })]),
    );
    expect(spans.map((s) => [s.spanId, s.service])).toEqual([['0000000000000003', 'embedded']]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('"xyz"');
  });

  it('warns about an unknown process and emits the span without service.name', () => {
    const { spans, warnings } = convert(doc([span('1', { processID: 'p9' })]));
    expect(spans[0]!.resource).toEqual({});
    expect(warnings[0]).toContain('"p9"');
  });

  it('makes duplicate span ids unique: a server sharing its client id goes under the client', () => {
    const { spans } = convert(
      doc(
        [
          span('1', { tags: [{ key: 'span.kind', type: 'string', value: 'client' }] }),
          span('1', { processID: 'p2', tags: [{ key: 'span.kind', type: 'string', value: 'server' }] }),
          span('2', { processID: 'p2', references: [{ refType: 'CHILD_OF', traceID: 'abc', spanID: '1' }] }),
        ],
        { p1: { serviceName: 'a' }, p2: { serviceName: 'b' } },
      ),
    );
    const server = spans.find((s) => s.service === 'b' && s.kind === SpanKind.SERVER)!;
    expect(server.spanId).not.toBe('0000000000000001');
    expect(server.parentSpanId).toBe('0000000000000001');
    expect(spans.find((s) => s.spanId === '0000000000000002')!.parentSpanId).toBe(server.spanId);
  });

  it('reads untyped or mistyped tag values by their JSON type', () => {
    const { spans } = convert(
      doc([
        span('1', {
          tags: [
            { key: 'n', value: 3 },
            { key: 'f', value: 1.5 },
            { key: 'b', type: 'bool', value: 'yes' },
            { key: 'i', type: 'int64', value: 'many' },
            { type: 'string', value: 'no key' },
          ],
        }),
      ]),
    );
    expect(spans[0]!.attributes).toEqual({ n: 3n, f: 1.5, b: 'yes', i: 'many' });
  });
});

describe('jaegerToOtlp on hostile input (regressions found by fuzzing)', () => {
  const deep = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`);
  const trace = (span: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ data: [{ traceID: '1', spans: [{ traceID: '1', spanID: '2', startTime: 1, ...span }], ...extra }] });

  it('reads a tag value nested 100,000 deep as text, and previews a deep id in a short warning', () => {
    const { spans } = convert(trace({ tags: [{ key: 'a', value: deep(100_000) }] }));
    expect(String(spans[0]!.attributes['a'])).toMatch(/^\[\[\[.*…\].*\]$/);
    const { warnings } = convert(trace({ spanID: deep(100_000) }));
    expect(warnings[0]).toBe('trace #0 span #0: spanID [[[[[[[[[…]]]]]]]]] is not a span id; skipped');
  });

  it('keeps the refusal short for a document of deep or many errors', () => {
    const refusal = jaegerToOtlp({ errors: [deep(100_000), ...Array.from({ length: 1000 }, () => ({ msg: 'x'.repeat(10_000) }))] });
    expect(refusal.ok).toBe(false);
    if (!refusal.ok) {
      expect(refusal.error.length).toBeLessThan(1_200);
      expect(refusal.error).toMatch(/… and 996 more$/);
    }
  });

  it('refuses start times past the year 2255 instead of wrapping them around uint64', () => {
    const { spans, warnings } = convert(trace({ startTime: 18_446_744_068_709_550 }));
    expect(spans).toEqual([]);
    expect(warnings[0]).toMatch(/startTime 18446744068709550 is not a time in µs; skipped/);
  });
});

describe('jaegerToOtlp warnings stay short (regression found by fuzzing)', () => {
  it('previews a long service name in the warning about keyless process tags', () => {
    const { warnings } = convert({ data: [{ traceID: '1', spans: [{ traceID: '1', spanID: '2', startTime: 1, processID: 'p1' }], processes: { p1: { serviceName: 'a'.repeat(5_000), tags: [{ value: 1 }] } } }] });
    expect(warnings).toEqual([`process "${'a'.repeat(59)}…: 1 tags without a key ignored`]);
  });
});
