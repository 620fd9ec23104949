import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { event, link, traceRequest } from './arbitraries.test-support.js';
import { decodeResource, decodeScope, decodeSpan, decodeTraceRequestToModel, MAX_ANY_VALUE_DEPTH } from './decode-message.js';
import { encodeResource, encodeScope, encodeSpan, encodeTraceRequest } from './encode.js';
import { ProtoDecodeError } from './proto-reader.js';
import type { AnyValue, OtlpSpan } from '../model/otlp.js';

const baseSpan: OtlpSpan = {
  traceId: new Uint8Array(16).fill(1),
  spanId: new Uint8Array(8).fill(2),
  traceState: 'k=v',
  parentSpanId: new Uint8Array(0),
  flags: 0x301,
  name: 'GET /x',
  kind: 2,
  startTimeUnixNano: 0xffff_ffff_ffff_fff0n,
  endTimeUnixNano: 1n,
  attributes: [],
  droppedAttributesCount: 0,
  events: [],
  droppedEventsCount: 0,
  links: [],
  droppedLinksCount: 0,
  status: { code: 2, message: 'boom' },
};

describe('encode → decode-message', () => {
  it('round-trips generated requests exactly', () => {
    fc.assert(
      fc.property(traceRequest({ validIds: false }), (req) => {
        expect(decodeTraceRequestToModel(encodeTraceRequest(req))).toEqual(req);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips spans with any events, links, kinds (even negative) and unsigned 64-bit times', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 3 }),
        fc.array(link, { maxLength: 3 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (events, links, kind, time) => {
          const span = { ...baseSpan, events, links, kind, startTimeUnixNano: time };
          expect(decodeSpan(encodeSpan(span))).toEqual(span);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('round-trips resources and scopes on their own', () => {
    const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], droppedAttributesCount: 3 };
    expect(decodeResource(encodeResource(resource))).toEqual(resource);
    const scope = { name: 'lib', version: '1.0', attributes: [{ key: 'a', value: { boolValue: false } }], droppedAttributesCount: 0 };
    expect(decodeScope(encodeScope(scope))).toEqual(scope);
  });

  it('merges repeated message fields and lets the last scalar win, as protobuf does', () => {
    const a = encodeResource({ attributes: [{ key: 'a', value: { intValue: 1n } }], droppedAttributesCount: 1 });
    const b = encodeResource({ attributes: [{ key: 'b', value: { intValue: 2n } }], droppedAttributesCount: 5 });
    // ResourceSpans with its resource field given twice.
    const rs = Uint8Array.of(0x0a, a.length, ...a, 0x0a, b.length, ...b);
    const req = Uint8Array.of(0x0a, rs.length, ...rs);
    expect(decodeTraceRequestToModel(req).resourceSpans[0]!.resource).toEqual({
      attributes: [
        { key: 'a', value: { intValue: 1n } },
        { key: 'b', value: { intValue: 2n } },
      ],
      droppedAttributesCount: 5,
    });
  });

  it('returns copies of ids, even when decoding a Node Buffer', () => {
    const payload = Buffer.from(encodeSpan(baseSpan));
    const span = decodeSpan(payload);
    payload.fill(0);
    expect(span).toEqual(baseSpan);
    expect(Buffer.isBuffer(span.traceId)).toBe(false);
  });

  it('skips unknown fields', () => {
    const span = encodeSpan(baseSpan);
    // Append field 100 (varint) and field 101 (length-delimited) to the span.
    const extended = Uint8Array.of(...span, 0xa0, 0x06, 0x01, 0xaa, 0x06, 0x02, 0x61, 0x62);
    expect(decodeSpan(extended)).toEqual(baseSpan);
  });

  it(`rejects AnyValues nested ${MAX_ANY_VALUE_DEPTH} deep and accepts one level less`, () => {
    const nested = (depth: number): AnyValue => (depth === 0 ? { stringValue: 'leaf' } : { arrayValue: { values: [nested(depth - 1)] } });
    const spanWith = (depth: number) => ({ ...baseSpan, attributes: [{ key: 'deep', value: nested(depth) }] });
    expect(decodeSpan(encodeSpan(spanWith(MAX_ANY_VALUE_DEPTH - 1)))).toEqual(spanWith(MAX_ANY_VALUE_DEPTH - 1));
    expect(() => decodeSpan(encodeSpan(spanWith(MAX_ANY_VALUE_DEPTH)))).toThrow(ProtoDecodeError);
  });

  it('reports a known field with the wrong wire type', () => {
    expect(() => decodeSpan(Uint8Array.of(0x38, 0x01))).toThrow(/Span field 7 has wire type 0/);
  });
});
