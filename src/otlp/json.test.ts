import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../model/ids.js';
import type { OtlpTraceRequest } from '../model/otlp.js';
import { traceRequest } from './arbitraries.test-support.js';
import { decodeTraceRequest } from './decode-request.js';
import { encodeTraceRequest } from './encode.js';
import { parseTraceRequestJson, spanToJson, traceRequestToJson, anyValueToJson } from './json.js';

const EXAMPLE = new URL('../../../shared/testdata/otlp-proto-example/trace.json', import.meta.url);

function parseOk(value: unknown): OtlpTraceRequest {
  const outcome = parseTraceRequestJson(value);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.request;
}

function parseError(value: unknown): string {
  const outcome = parseTraceRequestJson(value);
  if (outcome.ok) throw new Error('expected an error');
  return outcome.error;
}

const wrap = (span: Record<string, unknown>) => ({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });

describe('parseTraceRequestJson', () => {
  it('parses the canonical OTLP/JSON example from opentelemetry-proto', () => {
    const req = parseOk(JSON.parse(readFileSync(EXAMPLE, 'utf8')));
    const rs = req.resourceSpans[0]!;
    expect(rs.resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: 'my.service' } }]);
    const ss = rs.scopeSpans[0]!;
    expect(ss.scope).toEqual({
      name: 'my.library',
      version: '1.0.0',
      attributes: [{ key: 'my.scope.attribute', value: { stringValue: 'some scope attribute' } }],
      droppedAttributesCount: 0,
    });
    const span = ss.spans[0]!;
    expect(bytesToHex(span.traceId)).toBe('5b8efff798038103d269b633813fc60c');
    expect(bytesToHex(span.spanId)).toBe('eee19b7ec3c1b174');
    expect(bytesToHex(span.parentSpanId)).toBe('eee19b7ec3c1b173');
    expect(span.name).toBe("I'm a server span");
    expect(span.kind).toBe(2);
    expect(span.startTimeUnixNano).toBe(1544712660000000000n);
    expect(span.endTimeUnixNano).toBe(1544712661000000000n);
    expect(span.attributes).toEqual([{ key: 'my.span.attr', value: { stringValue: 'some value' } }]);

    // And the hot decoder takes it from there.
    const outcome = decodeTraceRequest(encodeTraceRequest(req));
    expect(outcome.ok && outcome.batch.names).toEqual(["I'm a server span"]);
  });

  it('accepts numeric times, enum names, proto field names and null as default', () => {
    const req = parseOk({
      resource_spans: [
        {
          resource: null,
          scope_spans: [
            {
              spans: [
                {
                  trace_id: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
                  span_id: 'bbbbbbbbbbbbbbbb',
                  parent_span_id: '',
                  name: 'n',
                  kind: 'SPAN_KIND_CLIENT',
                  start_time_unix_nano: 1544712660000000000,
                  endTimeUnixNano: '1544712661000000000',
                  status: { code: 'STATUS_CODE_ERROR', message: 'bad' },
                  dropped_attributes_count: '2',
                  attributes: [
                    { key: 'i', value: { int_value: 42 } },
                    { key: 'd', value: { doubleValue: 'NaN' } },
                    { key: 'b', value: { bytesValue: 'AQID' } },
                    { key: 'e', value: {} },
                    { key: 'kv', value: { kvlistValue: { values: [{ key: 'x', value: { boolValue: true } }] } } },
                  ],
                  events: [{ name: 'exception', time_unix_nano: '7' }],
                  unknownField: { anything: 1 },
                },
              ],
            },
          ],
        },
      ],
    });
    const span = req.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(req.resourceSpans[0]!.resource).toEqual({ attributes: [], droppedAttributesCount: 0 });
    expect(bytesToHex(span.traceId)).toBe('aa'.repeat(16));
    expect(span.parentSpanId).toHaveLength(0);
    expect(span.kind).toBe(3);
    expect(span.startTimeUnixNano).toBe(1544712660000000000n);
    expect(span.endTimeUnixNano).toBe(1544712661000000000n);
    expect(span.status).toEqual({ code: 2, message: 'bad' });
    expect(span.droppedAttributesCount).toBe(2);
    expect(span.attributes).toEqual([
      { key: 'i', value: { intValue: 42n } },
      { key: 'd', value: { doubleValue: NaN } },
      { key: 'b', value: { bytesValue: Uint8Array.of(1, 2, 3) } },
      { key: 'e', value: { empty: true } },
      { key: 'kv', value: { kvlistValue: { values: [{ key: 'x', value: { boolValue: true } }] } } },
    ]);
    expect(span.events).toEqual([{ name: 'exception', timeUnixNano: 7n, attributes: [], droppedAttributesCount: 0 }]);
  });

  it('keeps an integral JSON number beyond int64 as a double instead of failing the request', () => {
    const req = parseOk(wrap({ attributes: [{ key: 'big', value: { intValue: 2 ** 64 } }] }));
    expect(req.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes[0]!.value).toEqual({ doubleValue: 2 ** 64 });
    expect(parseError(wrap({ attributes: [{ key: 'big', value: { intValue: '18446744073709551616' } }] }))).toMatch(/intValue: integer 18446744073709551616 out of range/);
  });

  it('keeps ids of the wrong length for the decoder to reject per span', () => {
    const req = parseOk(wrap({ traceId: 'abcd', spanId: '0000000000000000', name: 'x' }));
    const outcome = decodeTraceRequest(encodeTraceRequest(req));
    expect(outcome.ok && outcome.rejected).toEqual([{ count: 1, reason: 'invalid trace id' }]);
  });

  it('fails on structurally wrong JSON, naming the field path', () => {
    expect(parseError('nope')).toBe('request: expected an object, got the string "nope"');
    expect(parseError({ resourceSpans: {} })).toBe('resourceSpans: expected an array, got an object');
    expect(parseError({ resourceSpans: ['x'] })).toBe('resourceSpans[0]: expected an object, got the string "x"');
    expect(parseError(wrap({ traceId: 'not hex at all!!' }))).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].traceId: expected a hex id, got the string "not hex at all!!"',
    );
    expect(parseError(wrap({ spanId: 'abc' }))).toMatch(/spans\[0\]\.spanId: expected a hex id/);
    expect(parseError(wrap({ kind: 'SPAN_KIND_BOGUS' }))).toMatch(/spans\[0\]\.kind: unknown enum value "SPAN_KIND_BOGUS"/);
    expect(parseError(wrap({ startTimeUnixNano: 1.5 }))).toMatch(/startTimeUnixNano: expected an integer, got number 1.5/);
    expect(parseError(wrap({ startTimeUnixNano: '-1' }))).toMatch(/startTimeUnixNano: integer -1 out of range/);
    expect(parseError(wrap({ attributes: [{ key: 'a', value: { intValue: 'x' } }] }))).toMatch(/attributes\[0\]\.value\.intValue: expected an integer/);
    expect(parseError(wrap({ attributes: [{ key: 'a', value: { bytesValue: '***' } }] }))).toMatch(/value\.bytesValue: expected base64/);
    expect(parseError(wrap({ attributes: [{ key: 'a', value: { stringValue: 'a', intValue: 1 } }] }))).toMatch(/both stringValue and intValue are set/);
    expect(parseError(wrap({ status: 'ERROR' }))).toMatch(/spans\[0\]\.status: expected an object/);
  });

  it('rejects values nested deeper than the protobuf decoder accepts', () => {
    let value: unknown = { stringValue: 'leaf' };
    for (let i = 0; i < 100; i++) value = { arrayValue: { values: [value] } };
    expect(parseError(wrap({ attributes: [{ key: 'deep', value }] }))).toMatch(/nested deeper than 64/);
  });
});

describe('OTLP/JSON rendering', () => {
  it('renders lower-case hex ids, int64 as strings and enums as ints', () => {
    const req = parseOk(JSON.parse(readFileSync(EXAMPLE, 'utf8')));
    const json = spanToJson(req.resourceSpans[0]!.scopeSpans[0]!.spans[0]!);
    expect(json).toMatchObject({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: 'eee19b7ec3c1b173',
      kind: 2,
      startTimeUnixNano: '1544712660000000000',
      status: { code: 0, message: '' },
    });
    expect(anyValueToJson({ doubleValue: -Infinity })).toEqual({ doubleValue: '-Infinity' });
    const negativeZero = parseOk(wrap({ attributes: [{ key: 'z', value: JSON.parse(JSON.stringify(anyValueToJson({ doubleValue: -0 }))) as unknown }] }));
    expect(negativeZero.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes[0]!.value).toEqual({ doubleValue: -0 });
    expect(anyValueToJson({ intValue: -5n })).toEqual({ intValue: '-5' });
    expect(anyValueToJson({ bytesValue: Uint8Array.of(1, 2, 3) })).toEqual({ bytesValue: 'AQID' });
    expect(anyValueToJson({ empty: true })).toEqual({});
  });

  it('round-trips any request through JSON text and back', () => {
    fc.assert(
      fc.property(traceRequest({ validIds: false }), (req) => {
        const text = JSON.stringify(traceRequestToJson(req));
        expect(parseOk(JSON.parse(text))).toEqual(req);
      }),
      { numRuns: 150 },
    );
  });
});

describe('parseTraceRequestJson on hostile input (regressions found by fuzzing)', () => {
  it('refuses integers of megabytes of digits without converting them, with a short message', () => {
    // BigInt(text) takes quadratic time: 5 MB of digits used to take ~10 s before failing.
    const error = parseError(wrap({ startTimeUnixNano: `1${'0'.repeat(5_000_000)}` }));
    expect(error).toBe(`resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: integer 1${'0'.repeat(39)}… out of range`);
    expect(parseError(wrap({ startTimeUnixNano: `-${'0'.repeat(1_000)}1` }))).toMatch(/startTimeUnixNano: integer -1 out of range$/);
    expect(parseOk(wrap({ startTimeUnixNano: `${'0'.repeat(1_000)}42` })).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.startTimeUnixNano).toBe(42n);
  });

  it('keeps messages short for long enum strings and deeply nested values', () => {
    expect(parseError(wrap({ kind: '😀'.repeat(500) }))).toBe(`resourceSpans[0].scopeSpans[0].spans[0].kind: unknown enum value "${'😀'.repeat(20)}…"`);
    let value: unknown = { intValue: 1 };
    for (let i = 0; i < 100; i++) value = { arrayValue: { values: [value] } };
    const error = parseError(wrap({ attributes: [{ key: 'deep', value }] }));
    expect(error.length).toBeLessThan(400);
    expect(error).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value\.arrayValue.*…\(\d+ more\)….*: values nested deeper than 64$/);
  });
});
