import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OtlpSpan } from '../../model/otlp.js';
import { span as spanArbitrary } from '../../otlp/arbitraries.test-support.js';
import { decodeSpan } from '../../otlp/decode-message.js';
import { encodeSpan } from '../../otlp/encode.js';
import { ProtoWriter } from '../../otlp/proto-writer.js';
import { WireType } from '../../otlp/proto-reader.js';
import { readPayloadFields, type PayloadFields } from './payload-fields.js';

const SEED = 2106;
const text = new TextDecoder('utf-8', { ignoreBOM: true });

/** What the reader's offsets point at, in the model's terms (times as the signed int64 the columns hold). */
function fieldsOf(payload: Uint8Array, f: PayloadFields) {
  return {
    traceId: [...payload.subarray(f.traceIdAt, f.traceIdAt + 16)],
    spanId: [...payload.subarray(f.spanIdAt, f.spanIdAt + 8)],
    parentSpanId: f.parentIdAt < 0 ? [] : [...payload.subarray(f.parentIdAt, f.parentIdAt + 8)],
    name: text.decode(payload.subarray(f.nameStart, f.nameEnd)),
    kind: f.kind,
    startTimeUnixNano: f.startTimeUnixNano,
    endTimeUnixNano: f.endTimeUnixNano,
    statusCode: f.statusCode,
    statusMessage: text.decode(payload.subarray(f.messageStart, f.messageEnd)),
  };
}

function expectedOf(span: OtlpSpan) {
  return {
    traceId: [...span.traceId],
    spanId: [...span.spanId],
    parentSpanId: [...span.parentSpanId],
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: BigInt.asIntN(64, span.startTimeUnixNano),
    endTimeUnixNano: BigInt.asIntN(64, span.endTimeUnixNano),
    statusCode: span.status.code,
    statusMessage: span.status.message,
  };
}

/** Every offset the reader returns lies inside the payload. */
function expectInBounds(payload: Uint8Array, f: PayloadFields): void {
  const n = payload.length;
  expect(f.traceIdAt >= 0 && f.traceIdAt + 16 <= n).toBe(true);
  expect(f.spanIdAt >= 0 && f.spanIdAt + 8 <= n).toBe(true);
  expect(f.parentIdAt === -1 || (f.parentIdAt >= 0 && f.parentIdAt + 8 <= n)).toBe(true);
  expect(0 <= f.nameStart && f.nameStart <= f.nameEnd && f.nameEnd <= n).toBe(true);
  expect(0 <= f.messageStart && f.messageStart <= f.messageEnd && f.messageEnd <= n).toBe(true);
}

const BASE: OtlpSpan = {
  traceId: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
  spanId: Uint8Array.from({ length: 8 }, (_, i) => 0xa0 + i),
  traceState: '',
  parentSpanId: new Uint8Array(0),
  flags: 0,
  name: 'GET /cart',
  kind: 2,
  startTimeUnixNano: 1_700_000_000_000_000_000n,
  endTimeUnixNano: 1_700_000_000_005_000_000n,
  attributes: [{ key: 'http.route', value: { stringValue: '/cart' } }],
  droppedAttributesCount: 0,
  events: [],
  droppedEventsCount: 0,
  links: [],
  droppedLinksCount: 0,
  status: { code: 2, message: 'boom' },
};

/** The base span's bytes followed by whatever `write` adds. */
function withExtra(write: (w: ProtoWriter) => void, span: OtlpSpan = BASE): Uint8Array {
  const base = encodeSpan(span);
  const w = new ProtoWriter();
  write(w);
  const extra = w.finish();
  const out = new Uint8Array(base.length + extra.length);
  out.set(base);
  out.set(extra, base.length);
  return out;
}

describe('readPayloadFields', () => {
  it('reads the fields of any span the OTLP encoder writes', () => {
    fc.assert(
      fc.property(spanArbitrary(), (span) => {
        const payload = encodeSpan(span);
        const f = readPayloadFields(payload);
        expect(f).toBeDefined();
        expectInBounds(payload, f!);
        expect(fieldsOf(payload, f!)).toEqual(expectedOf(span));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('gives parentIdAt -1 for a root span and the offset of the parent id otherwise', () => {
    const root = encodeSpan(BASE);
    expect(readPayloadFields(root)?.parentIdAt).toBe(-1);
    const parent = Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2]);
    const child = encodeSpan({ ...BASE, parentSpanId: parent });
    const f = readPayloadFields(child)!;
    expect(f.parentIdAt).toBeGreaterThanOrEqual(0);
    expect([...child.subarray(f.parentIdAt, f.parentIdAt + 8)]).toEqual([...parent]);
  });

  it('reads a span with fields it does not know (unknown numbers, any non-group wire type)', () => {
    const payload = withExtra((w) => {
      w.tag(99, WireType.VARINT);
      w.uint32(300);
      w.tag(100, WireType.LEN);
      w.string('future field');
      w.tag(101, WireType.I64);
      w.fixed64(7n);
      w.tag(102, WireType.I32);
      w.fixed32(7);
    });
    expect(fieldsOf(payload, readPayloadFields(payload)!)).toEqual(expectedOf(BASE));
  });

  it('gives undefined for a payload that is not one plain Span', () => {
    const cases: Record<string, Uint8Array> = {
      'name twice': withExtra((w) => {
        w.tag(5, WireType.LEN);
        w.string('again');
      }),
      'trace id of 15 bytes': encodeSpan({ ...BASE, traceId: BASE.traceId.subarray(0, 15) }),
      'span id of 9 bytes': encodeSpan({ ...BASE, spanId: new Uint8Array(9).fill(1) }),
      'parent id of 4 bytes': encodeSpan({ ...BASE, parentSpanId: new Uint8Array(4).fill(1) }),
      'start time sent as a varint': withExtra(
        (w) => {
          w.tag(7, WireType.VARINT);
          w.uint32(12345);
        },
        { ...BASE, startTimeUnixNano: 0n },
      ),
      'kind sent as bytes': withExtra(
        (w) => {
          w.tag(6, WireType.LEN);
          w.string('x');
        },
        { ...BASE, kind: 0 },
      ),
      'status twice': withExtra((w) => {
        w.tag(15, WireType.LEN);
        w.uint32(0);
      }),
      'status code sent as bytes': withExtra(
        (w) => {
          w.tag(15, WireType.LEN);
          w.uint32(3);
          w.tag(3, WireType.LEN);
          w.uint32(1);
          w.uint32(0x41);
        },
        { ...BASE, status: { code: 0, message: '' } },
      ),
      'a group of an unknown field': withExtra((w) => {
        w.tag(20, WireType.SGROUP);
        w.tag(20, WireType.EGROUP);
      }),
      'no span id': encodeSpan({ ...BASE, spanId: new Uint8Array(0) }),
      'empty': new Uint8Array(0),
    };
    for (const [what, payload] of Object.entries(cases)) {
      expect(readPayloadFields(payload), what).toBeUndefined();
    }
  });

  it('reads every prefix of a valid payload exactly as the OTLP decoder does, or gives undefined', () => {
    fc.assert(
      fc.property(spanArbitrary(), (span) => {
        const payload = encodeSpan(span);
        for (let length = 0; length <= payload.length; length++) {
          const prefix = payload.subarray(0, length);
          const f = readPayloadFields(prefix);
          let decoded: OtlpSpan | undefined;
          try {
            decoded = decodeSpan(prefix);
          } catch {
            decoded = undefined;
          }
          // A prefix is a plain Span exactly when it ends between fields and still holds both ids.
          const plain = decoded !== undefined && decoded.traceId.length === 16 && decoded.spanId.length === 8;
          expect(f !== undefined, `prefix of ${length} of ${payload.length} bytes`).toBe(plain);
          if (f !== undefined) {
            expectInBounds(prefix, f);
            expect(fieldsOf(prefix, f)).toEqual(expectedOf(decoded!));
          }
        }
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('never throws on random bytes, and whatever it reads lies inside them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const f = readPayloadFields(bytes);
        if (f !== undefined) expectInBounds(bytes, f);
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it('never throws on valid payloads with bytes overwritten, and reads a view at its own offsets', () => {
    fc.assert(
      fc.property(spanArbitrary(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), (span, edits) => {
        const payload = encodeSpan(span);
        for (const [at, value] of edits) payload[at % payload.length] = value;
        // Read through a view that does not start at its buffer's first byte.
        const padded = new Uint8Array(payload.length + 3);
        padded.set(payload, 3);
        const view = padded.subarray(3);
        const f = readPayloadFields(view);
        expect(f).toEqual(readPayloadFields(payload));
        if (f !== undefined) expectInBounds(view, f);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});
