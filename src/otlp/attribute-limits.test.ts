import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyValue, KeyValue, OtlpResource, OtlpSpan, OtlpTraceRequest } from '../model/otlp.js';
import { attributes as attributesArb, flattenSpans, span as spanArb, traceRequest } from './arbitraries.test-support.js';
import { LimitHit, cutUtf8, truncateResource, truncateSpan, truncateValue } from './attribute-limits.js';
import { decodeResource, decodeSpan } from './decode-message.js';
import { decodeTraceRequest, type DecodeLimits, type DecodeOutcome } from './decode-request.js';
import { encodeSpan, encodeTraceRequest } from './encode.js';
import { semanticsOfSpan } from './semantics.js';

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: BigInt(value) } });
const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

function varint(value: number): Uint8Array {
  const out: number[] = [];
  for (let v = value; ; v = Math.floor(v / 128)) {
    if (v < 128) return Uint8Array.from([...out, v]);
    out.push((v % 128) | 128);
  }
}

function makeSpan(fields: Partial<OtlpSpan>): OtlpSpan {
  return {
    traceId: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
    spanId: Uint8Array.from({ length: 8 }, (_, i) => i + 1),
    traceState: '',
    parentSpanId: new Uint8Array(0),
    flags: 0,
    name: 'GET /orders',
    kind: 2,
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_000_100_000_000n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    ...fields,
  };
}

function requestOf(spans: OtlpSpan[], resource: OtlpResource = { attributes: [str('service.name', 'orders')], droppedAttributesCount: 0 }): OtlpTraceRequest {
  return {
    resourceSpans: [
      { resource, schemaUrl: '', scopeSpans: [{ scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' }] },
    ],
  };
}

function decodeOk(request: OtlpTraceRequest, limits: DecodeLimits = {}): Extract<DecodeOutcome, { ok: true }> {
  const outcome = decodeTraceRequest(encodeTraceRequest(request), limits);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome;
}

describe('cutUtf8', () => {
  it('keeps strings within the limit as they are', () => {
    expect(cutUtf8('abc', 3)).toBe('abc');
    expect(cutUtf8('', 0)).toBe('');
    expect(cutUtf8('é', 2)).toBe('é');
  });

  it('cuts at the last whole character: 2-, 3- and 4-byte characters are never split', () => {
    expect(cutUtf8('abcdef', 4)).toBe('abcd');
    expect(cutUtf8('aé', 2)).toBe('a'); // é is 2 bytes: 1 + 2 > 2
    expect(cutUtf8('a€b', 3)).toBe('a'); // € is 3 bytes
    expect(cutUtf8('a€b', 4)).toBe('a€');
    expect(cutUtf8('a😀', 4)).toBe('a'); // 😀 is 4 bytes (a surrogate pair in UTF-16)
    expect(cutUtf8('😀😀', 4)).toBe('😀');
    expect(cutUtf8('😀', 0)).toBe('');
  });

  it('gives the longest valid prefix for any string and limit (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.nat(40), (text, max) => {
        const cut = cutUtf8(text, max);
        expect(utf8Length(cut)).toBeLessThanOrEqual(max);
        expect(text.startsWith(cut)).toBe(true);
        // The next code point would not have fitted.
        const next = text.slice(cut.length).codePointAt(0);
        if (next !== undefined) expect(utf8Length(cut) + utf8Length(String.fromCodePoint(next))).toBeGreaterThan(max);
      }),
      { seed: 15, numRuns: 500 },
    );
  });
});

describe('truncateValue', () => {
  it('cuts strings and bytes, inside arrays and kvlists at any depth, and leaves other values alone', () => {
    const value: AnyValue = {
      arrayValue: {
        values: [
          { stringValue: 'ééé' },
          { bytesValue: Uint8Array.of(1, 2, 3, 4, 5) },
          { intValue: 123456789n },
          { kvlistValue: { values: [str('deep', 'abcdefgh'), { key: 'longer key stays', value: { arrayValue: { values: [{ stringValue: 'xyzxyz' }] } } }] } },
        ],
      },
    };
    expect(truncateValue(value, 4)).toEqual({
      arrayValue: {
        values: [
          { stringValue: 'éé' },
          { bytesValue: Uint8Array.of(1, 2, 3, 4) },
          { intValue: 123456789n },
          { kvlistValue: { values: [str('deep', 'abcd'), { key: 'longer key stays', value: { arrayValue: { values: [{ stringValue: 'xyzx' }] } } }] } },
        ],
      },
    });
  });

  it('returns the same object when nothing is over the limit', () => {
    const value: AnyValue = { arrayValue: { values: [{ stringValue: 'ab' }, { boolValue: true }, { empty: true }] } };
    expect(truncateValue(value, 2)).toBe(value);
  });
});

describe('truncateSpan', () => {
  it('keeps the first maxAttributes attributes and adds the rest to droppedAttributesCount', () => {
    const span = makeSpan({ attributes: Array.from({ length: 10 }, (_, i) => int(`k${i}`, i)), droppedAttributesCount: 2 });
    const { span: cut, hits } = truncateSpan(span, { maxAttributes: 4, maxValueBytes: 100 });
    expect(hits).toBe(LimitHit.ATTRIBUTES);
    expect(cut.attributes.map((a) => a.key)).toEqual(['k0', 'k1', 'k2', 'k3']);
    expect(cut.droppedAttributesCount).toBe(2 + 6);
  });

  it('cuts values and counts per event and per link too, and saturates droppedAttributesCount at uint32', () => {
    const span = makeSpan({
      attributes: [str('a', 'x'.repeat(10))],
      droppedAttributesCount: 0xffff_fffe,
      events: [{ timeUnixNano: 1n, name: 'exception', attributes: [str('exception.stacktrace', 's'.repeat(10)), int('n', 1), int('m', 2)], droppedAttributesCount: 1 }],
      links: [{ traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), traceState: '', attributes: [int('a', 1), int('b', 2), int('c', 3)], droppedAttributesCount: 0, flags: 0 }],
    });
    const { span: cut, hits } = truncateSpan(span, { maxAttributes: 2, maxValueBytes: 4 });
    expect(hits).toBe(LimitHit.ATTRIBUTES | LimitHit.VALUE_LENGTH);
    expect(cut.attributes).toEqual([str('a', 'xxxx')]);
    expect(cut.droppedAttributesCount).toBe(0xffff_fffe);
    expect(cut.events[0]!.attributes).toEqual([str('exception.stacktrace', 'ssss'), int('n', 1)]);
    expect(cut.events[0]!.droppedAttributesCount).toBe(2);
    expect(cut.links[0]!.attributes).toEqual([int('a', 1), int('b', 2)]);
    expect(cut.links[0]!.droppedAttributesCount).toBe(1);
    expect(truncateSpan(makeSpan({ attributes: [int('a', 1), int('b', 1)], droppedAttributesCount: 0xffff_fffe }), { maxAttributes: 0, maxValueBytes: 1 }).span.droppedAttributesCount).toBe(0xffff_ffff);
  });

  it('returns the span itself, with no hits, when it is within the limits', () => {
    const span = makeSpan({ attributes: [str('a', 'abcd'), str('b', 'éé')] });
    expect(truncateSpan(span, { maxAttributes: 2, maxValueBytes: 4 })).toEqual({ span, hits: 0 });
    expect(truncateSpan(span, { maxAttributes: 2, maxValueBytes: 4 }).span).toBe(span);
  });
});

describe('truncateResource', () => {
  it('applies both limits to resource attributes', () => {
    const resource: OtlpResource = { attributes: [str('service.name', 'checkout-service'), str('host.name', 'h'), str('x', 'y')], droppedAttributesCount: 0 };
    expect(truncateResource(resource, { maxAttributes: 2, maxValueBytes: 8 })).toEqual({
      resource: { attributes: [str('service.name', 'checkout'), str('host.name', 'h')], droppedAttributesCount: 1 },
      hits: LimitHit.ATTRIBUTES | LimitHit.VALUE_LENGTH,
    });
  });
});

describe('decodeTraceRequest with attribute limits', () => {
  it('stores a span with 300 attributes and a 100 KB value truncated, with a payload the decoder reads back', () => {
    const attributes = [str('http.url', `https://shop.example/${'q'.repeat(100_000)}`), ...Array.from({ length: 299 }, (_, i) => int(`attr.${i}`, i))];
    const outcome = decodeOk(requestOf([makeSpan({ attributes })]));
    expect(outcome.truncated).toEqual({ attributes: 1, valueLength: 1 });
    expect(outcome.batch.length).toBe(1);
    const stored = decodeSpan(outcome.batch.payloads[0]!);
    expect(stored.attributes).toHaveLength(128);
    expect(stored.droppedAttributesCount).toBe(172);
    expect(utf8Length((stored.attributes[0]!.value as { stringValue: string }).stringValue)).toBe(16 * 1024);
    expect(stored.attributes[127]).toEqual(int('attr.126', 126));
    // The columns describe the stored span: the semantic URL is the cut one.
    expect(outcome.batch.semantics[0]).toEqual(semanticsOfSpan(stored));
    expect(outcome.batch.names[0]).toBe('GET /orders');
    // Stored data is within the limits: decoding it again cuts nothing.
    const again = decodeOk(requestOf([stored]));
    expect(again.truncated).toEqual({ attributes: 0, valueLength: 0 });
    expect(again.batch.payloads[0]).toEqual(outcome.batch.payloads[0]);
  });

  it('leaves spans within the limits as views of the request, and counts nothing', () => {
    const bytes = encodeTraceRequest(requestOf([makeSpan({ attributes: [str('a', 'x'.repeat(10))] })]));
    const outcome = decodeTraceRequest(bytes, { maxAttributesPerSpan: 1, maxAttributeValueBytes: 10 });
    expect(outcome.ok && outcome.truncated).toEqual({ attributes: 0, valueLength: 0 });
    expect(outcome.ok && outcome.batch.payloads[0]!.buffer).toBe(bytes.buffer);
  });

  it('detects short values over a limit below 127 bytes (the one-byte-length fast paths)', () => {
    const span = makeSpan({ attributes: [str('a', 'abcdef'), str('url.full', 'https://a.example/x')] });
    const outcome = decodeOk(requestOf([span]), { maxAttributeValueBytes: 5 });
    expect(outcome.truncated).toEqual({ attributes: 0, valueLength: 1 });
    expect(decodeSpan(outcome.batch.payloads[0]!).attributes).toEqual([str('a', 'abcde'), str('url.full', 'https')]);
    expect(outcome.batch.semantics[0]).toEqual({ url: 'https' });
  });

  it('measures values in bytes as received: invalid UTF-8 within the limit is stored as sent (found by fuzzing)', () => {
    // 6000 bytes of 0xE2 (a lead byte without continuation bytes) decode to 6000 × U+FFFD = 18,000 bytes.
    const field = (tag: number, content: Uint8Array): Uint8Array => Buffer.concat([Uint8Array.of(tag), varint(content.length), content]);
    const anyValue = field(0x0a, new Uint8Array(6000).fill(0xe2));
    const withBadString = Buffer.concat([encodeSpan(makeSpan({ attributes: [str('k', 'x')] })), field(0x4a, Buffer.concat([field(0x0a, Buffer.from('bad')), field(0x12, anyValue)]))]);
    const request = field(0x0a, field(0x12, field(0x12, withBadString)));
    const outcome = decodeTraceRequest(request, { maxAttributeValueBytes: 16_384 });
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.truncated).toEqual({ attributes: 0, valueLength: 0 });
    expect(Buffer.from(outcome.batch.payloads[0]!).equals(withBadString)).toBe(true);
    expect(utf8Length((decodeSpan(outcome.batch.payloads[0]!).attributes[1]!.value as { stringValue: string }).stringValue)).toBe(18_000);
  });

  it('counts event and link attributes per event and link, and cuts their values', () => {
    const span = makeSpan({
      events: [{ timeUnixNano: 1n, name: 'exception', attributes: [str('exception.type', 'E'), str('exception.stacktrace', 'at x'.repeat(50)), int('c', 3)], droppedAttributesCount: 0 }],
    });
    const outcome = decodeOk(requestOf([span]), { maxAttributesPerSpan: 2, maxAttributeValueBytes: 8 });
    expect(outcome.truncated).toEqual({ attributes: 1, valueLength: 1 });
    const event = decodeSpan(outcome.batch.payloads[0]!).events[0]!;
    expect(event.attributes).toEqual([str('exception.type', 'E'), str('exception.stacktrace', 'at xat x')]);
    expect(event.droppedAttributesCount).toBe(1);
    expect(outcome.batch.semantics[0]).toEqual({ exceptionType: 'E', stackTraces: ['at xat x'] });
  });

  it('truncates the resource, counts each of its spans, and shares one stored resource between resources that truncate alike', () => {
    const resourceOf = (tail: string): OtlpResource => ({ attributes: [str('service.name', 'orders'), str('k8s.pod.name', `pod-${tail}`)], droppedAttributesCount: 0 });
    const request: OtlpTraceRequest = {
      resourceSpans: [resourceOf('aa-1'), resourceOf('aa-2')].map((resource, r) => ({
        resource,
        schemaUrl: '',
        scopeSpans: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', spans: [makeSpan({ spanId: new Uint8Array(8).fill(r + 1) }), makeSpan({ spanId: new Uint8Array(8).fill(r + 5) })] }],
      })),
    };
    const outcome = decodeOk(request, { maxAttributeValueBytes: 6 });
    expect(outcome.truncated).toEqual({ attributes: 0, valueLength: 4 });
    expect(outcome.batch.resources).toHaveLength(1);
    expect(decodeResource(outcome.batch.resources[0]!.bytes).attributes).toEqual([str('service.name', 'orders'), str('k8s.pod.name', 'pod-aa')]);
    expect(outcome.batch.resources[0]!.attributes).toEqual([str('service.name', 'orders'), str('k8s.pod.name', 'pod-aa')]);
    expect([...outcome.batch.resourceIndex]).toEqual([0, 0, 0, 0]);
  });

  it('counts nothing when an overlong value is replaced by a later occurrence of the field (a false alarm of the scan)', () => {
    // AnyValue { string_value: 'x' * 20, string_value: 'ok' }: protobuf keeps the last.
    const long = [0x0a, 20, ...Array.from({ length: 20 }, () => 0x78)];
    const anyValue = [...long, 0x0a, 2, 0x6f, 0x6b];
    const keyValue = [0x0a, 1, 0x6b, 0x12, anyValue.length, ...anyValue];
    const span = encodeSpan(makeSpan({}));
    const spanBytes = Uint8Array.of(...span, 0x4a, keyValue.length, ...keyValue);
    const scopeSpans = Uint8Array.of(0x12, spanBytes.length, ...spanBytes);
    const resourceSpans = Uint8Array.of(0x12, scopeSpans.length, ...scopeSpans);
    const request = Uint8Array.of(0x0a, resourceSpans.length, ...resourceSpans);
    const outcome = decodeTraceRequest(request, { maxAttributeValueBytes: 10 });
    expect(outcome.ok && outcome.truncated).toEqual({ attributes: 0, valueLength: 0 });
    expect(outcome.ok && decodeSpan(outcome.batch.payloads[0]!).attributes).toEqual([str('k', 'ok')]);
  });

  it('agrees with truncating the decoded model, for any request and limits (property)', () => {
    const valueArb = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((s): AnyValue => ({ stringValue: s })),
      fc.uint8Array({ maxLength: 40 }).map((b): AnyValue => ({ bytesValue: b })),
    );
    const longAttributes = fc.array(fc.record({ key: fc.constantFrom('url.full', 'db.system', 'k', 'http.request.header.referer'), value: valueArb }), { maxLength: 12 });
    const spanWithLongValues = fc.tuple(spanArb(), longAttributes, attributesArb(4)).map(([s, extra, more]) => ({ ...s, attributes: [...s.attributes, ...extra, ...more] }));
    const request = fc.tuple(traceRequest(), fc.array(spanWithLongValues, { minLength: 1, maxLength: 4 })).map(([r, spans]): OtlpTraceRequest => ({
      resourceSpans: [...r.resourceSpans, ...requestOf(spans).resourceSpans],
    }));
    fc.assert(
      fc.property(request, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 200 }), (req, maxAttributes, maxValueBytes) => {
        const outcome = decodeOk(req, { maxAttributesPerSpan: maxAttributes, maxAttributeValueBytes: maxValueBytes });
        const limits = { maxAttributes, maxValueBytes };
        const expected = flattenSpans(req).map(({ span, resource }) => ({ ...truncateSpan(span, limits), resource: truncateResource(resource, limits) }));
        expect(outcome.batch.length).toBe(expected.length);
        let attributes = 0;
        let valueLength = 0;
        expected.forEach((e, i) => {
          expect(decodeSpan(outcome.batch.payloads[i]!)).toEqual(decodeSpan(encodeSpan(e.span)));
          expect(outcome.batch.semantics[i]).toEqual(semanticsOfSpan(decodeSpan(encodeSpan(e.span))));
          const resource = outcome.batch.resources[outcome.batch.resourceIndex[i]!]!;
          expect(decodeResource(resource.bytes)).toEqual(e.resource.resource);
          const hits = e.hits | e.resource.hits;
          if (hits & LimitHit.ATTRIBUTES) attributes++;
          if (hits & LimitHit.VALUE_LENGTH) valueLength++;
        });
        expect(outcome.truncated).toEqual({ attributes, valueLength });
      }),
      { seed: 815, numRuns: 120 },
    );
  });
});
