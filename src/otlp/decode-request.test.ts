import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../model/ids.js';
import type { OtlpSpan, OtlpTraceRequest } from '../model/otlp.js';
import type { SpanBatch } from '../model/span-batch.js';
import { flattenSpans, span as spanArb, traceRequest } from './arbitraries.test-support.js';
import { contentId } from './content-id.js';
import { decodeSpan } from './decode-message.js';
import { decodeTraceRequest, type DecodeOutcome } from './decode-request.js';
import { encodeResource, encodeScope, encodeSpan, encodeTraceRequest } from './encode.js';
import { WireType } from './proto-reader.js';
import { ProtoWriter } from './proto-writer.js';
import { semanticsOfSpan } from './semantics.js';

function decodeOk(bytes: Uint8Array): Extract<DecodeOutcome, { ok: true }> {
  const outcome = decodeTraceRequest(bytes);
  if (!outcome.ok) throw new Error(`expected ok, got: ${outcome.error}`);
  return outcome;
}

const hex = (b: Uint8Array): string => bytesToHex(b);

/** Span `i` of a batch, in the shape of the model fields the columns hold. */
function rowOf(batch: SpanBatch, i: number) {
  return {
    traceId: hex(batch.traceIds.subarray(16 * i, 16 * i + 16)),
    spanId: hex(batch.spanIds.subarray(8 * i, 8 * i + 8)),
    parentSpanId: hex(batch.parentSpanIds.subarray(8 * i, 8 * i + 8)),
    name: batch.names[i],
    kind: batch.kinds[i],
    startTimeUnixNano: batch.startTimeUnixNano[i],
    endTimeUnixNano: batch.endTimeUnixNano[i],
    statusCode: batch.statusCodes[i],
    statusMessage: batch.statusMessages[i],
  };
}

function expectedRow(span: OtlpSpan) {
  const parent = span.parentSpanId.length === 8 ? hex(span.parentSpanId) : '0000000000000000';
  return {
    traceId: hex(span.traceId),
    spanId: hex(span.spanId),
    parentSpanId: parent,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    statusCode: span.status.code,
    statusMessage: span.status.message,
  };
}

function makeSpan(fields: Partial<OtlpSpan>): OtlpSpan {
  return {
    traceId: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
    spanId: Uint8Array.from({ length: 8 }, (_, i) => i + 1),
    traceState: '',
    parentSpanId: new Uint8Array(0),
    flags: 0,
    name: 'span',
    kind: 2,
    startTimeUnixNano: 1_000n,
    endTimeUnixNano: 2_000n,
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

function requestOf(spans: OtlpSpan[]): OtlpTraceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }], droppedAttributesCount: 0 },
        scopeSpans: [{ scope: { name: 'lib', version: '1', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}

describe('decodeTraceRequest', () => {
  it('puts every span of a generated request into the batch columns exactly', () => {
    fc.assert(
      fc.property(traceRequest(), (req) => {
        const bytes = encodeTraceRequest(req);
        const { batch, rejected, spanCount } = decodeOk(bytes);
        const spans = flattenSpans(req);
        expect(rejected).toEqual([]);
        expect(spanCount).toBe(spans.length);
        expect(batch.length).toBe(spans.length);
        spans.forEach(({ span, resource, scope }, i) => {
          expect(rowOf(batch, i)).toEqual(expectedRow(span));
          expect(batch.semantics[i]).toEqual(semanticsOfSpan(span));
          expect(batch.payloads[i]).toEqual(encodeSpan(span));
          const r = batch.resources[batch.resourceIndex[i]!]!;
          expect(r.attributes).toEqual(resource.attributes);
          expect(r.id).toBe(contentId(encodeResource(resource)));
          const s = batch.scopes[batch.scopeIndex[i]!]!;
          expect([s.name, s.version]).toEqual([scope.name, scope.version]);
          expect(s.id).toBe(contentId(encodeScope(scope)));
        });
      }),
      { numRuns: 150 },
    );
  });

  it('gives payloads that are views of the request, one whole Span message each', () => {
    const spans = [makeSpan({ name: 'a' }), makeSpan({ name: 'b', spanId: Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9) })];
    const bytes = encodeTraceRequest(requestOf(spans));
    const { batch } = decodeOk(bytes);
    for (let i = 0; i < spans.length; i++) {
      expect(batch.payloads[i]!.buffer).toBe(bytes.buffer);
      expect(decodeSpan(batch.payloads[i]!)).toEqual(spans[i]);
    }
  });

  it('deduplicates resources and scopes by content and treats a missing one as empty', () => {
    const res = { attributes: [{ key: 'service.name', value: { stringValue: 'a' } }], droppedAttributesCount: 0 };
    const sc = { name: 'lib', version: '2', attributes: [], droppedAttributesCount: 0 };
    const ss = { scope: sc, spans: [makeSpan({})], schemaUrl: '' };
    const req: OtlpTraceRequest = {
      resourceSpans: [
        { resource: res, scopeSpans: [ss, ss], schemaUrl: '' },
        { resource: res, scopeSpans: [ss], schemaUrl: '' },
      ],
    };
    const { batch } = decodeOk(encodeTraceRequest(req));
    expect(batch.length).toBe(3);
    expect(batch.resources).toHaveLength(1);
    expect(batch.scopes).toHaveLength(1);
    expect([...batch.resourceIndex]).toEqual([0, 0, 0]);

    // ResourceSpans { scope_spans { spans { … } } } with neither resource nor scope on the wire.
    const spanBytes = encodeSpan(makeSpan({}));
    const scopeSpans = Uint8Array.of(0x12, spanBytes.length, ...spanBytes);
    const bare = Uint8Array.of(0x0a, scopeSpans.length + 2, 0x12, scopeSpans.length, ...scopeSpans);
    const decoded = decodeOk(bare).batch;
    expect(decoded.length).toBe(1);
    expect(decoded.resources[0]!.attributes).toEqual([]);
    expect(decoded.resources[0]!.bytes).toHaveLength(0);
    expect(decoded.resources[0]!.id).toBe(contentId(new Uint8Array(0)));
    expect(decoded.scopes[0]!).toMatchObject({ name: '', version: '' });
  });

  it('gives content ids that fit a signed int64 and differ for different resources', () => {
    const ids = new Set<bigint>();
    for (let i = 0; i < 200; i++) {
      const id = contentId(encodeResource({ attributes: [{ key: 'k', value: { intValue: BigInt(i) } }], droppedAttributesCount: 0 }));
      expect(id >= 0n && id < 1n << 63n).toBe(true);
      ids.add(id);
    }
    expect(ids.size).toBe(200);
  });

  it('accepts valid spans and counts invalid ones by reason (partial success)', () => {
    const good = makeSpan({ name: 'good' });
    const spans = [
      good,
      makeSpan({ traceId: new Uint8Array(16) }),
      makeSpan({ traceId: new Uint8Array(8).fill(1) }),
      makeSpan({ spanId: new Uint8Array(8) }),
      makeSpan({ spanId: new Uint8Array(0) }),
      makeSpan({ parentSpanId: new Uint8Array(4).fill(1) }),
      makeSpan({ name: 'zero parent', parentSpanId: new Uint8Array(8) }),
      makeSpan({ name: 'also good', parentSpanId: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }),
    ];
    const { batch, rejected, spanCount } = decodeOk(encodeTraceRequest(requestOf(spans)));
    expect(spanCount).toBe(8);
    expect(batch.names).toEqual(['good', 'zero parent', 'also good']);
    expect(rejected).toEqual([
      { count: 2, reason: 'invalid trace id' },
      { count: 2, reason: 'invalid span id' },
      { count: 1, reason: 'invalid parent span id' },
    ]);
    expect(hex(batch.parentSpanIds.subarray(8, 16))).toBe('0000000000000000');
    expect(hex(batch.parentSpanIds.subarray(16, 24))).toBe('0102030405060708');
  });

  it('keeps every valid span of random requests with invalid ids mixed in', () => {
    fc.assert(
      fc.property(traceRequest({ validIds: false }), (req) => {
        const spans = flattenSpans(req).map((x) => x.span);
        const valid = spans.filter(
          (s) =>
            s.traceId.length === 16 && s.traceId.some((b) => b !== 0) && s.spanId.length === 8 && s.spanId.some((b) => b !== 0) &&
            (s.parentSpanId.length === 0 || s.parentSpanId.length === 8),
        );
        const { batch, rejected, spanCount } = decodeOk(encodeTraceRequest(req));
        expect(spanCount).toBe(spans.length);
        expect(batch.names).toEqual(valid.map((s) => s.name));
        expect(rejected.reduce((n, r) => n + r.count, 0)).toBe(spans.length - valid.length);
      }),
      { numRuns: 100 },
    );
  });

  it('stores out-of-range kinds and status codes as 0 and keeps the payload as sent', () => {
    const s = makeSpan({ kind: 9, status: { code: 7, message: 'odd' } });
    const { batch } = decodeOk(encodeTraceRequest(requestOf([s])));
    expect(batch.kinds[0]).toBe(0);
    expect(batch.statusCodes[0]).toBe(0);
    expect(decodeSpan(batch.payloads[0]!).kind).toBe(9);
  });

  it('fails the whole request on malformed protobuf, naming what and where', () => {
    const bytes = encodeTraceRequest(requestOf([makeSpan({}), makeSpan({ name: 'second' })]));
    const truncated = decodeTraceRequest(bytes.subarray(0, bytes.length - 3));
    expect(truncated.ok).toBe(false);
    if (!truncated.ok) expect(truncated.error).toMatch(/^malformed protobuf: .*runs past the end/);

    const group = decodeTraceRequest(Uint8Array.of(0x0b));
    expect(group).toEqual({ ok: false, error: expect.stringMatching(/group wire type/) as unknown });

    // A span whose name (field 5) arrives as a varint.
    const bad = Uint8Array.of(0x0a, 6, 0x12, 4, 0x12, 2, 0x28, 1);
    const outcome = decodeTraceRequest(bad);
    expect(outcome).toEqual({ ok: false, error: expect.stringContaining('resourceSpans[0].scopeSpans[0].spans[0]: Span field 5 has wire type 0') as unknown });

    // A resource whose attribute key (KeyValue field 1, at byte 6) arrives as a varint.
    const badResource = Uint8Array.of(0x0a, 6, 0x0a, 4, 0x0a, 2, 0x08, 0x01);
    expect(decodeTraceRequest(badResource)).toEqual({
      ok: false,
      error: 'malformed protobuf: resourceSpans[0].resource: KeyValue field 1 has wire type 0 at byte 6',
    });
  });

  it('fails a request whose string value has a multi-byte length running past its AnyValue', () => {
    // AnyValue of 133 bytes: tag, then a length of 0x83 0x01 (= 131) that needs 134 bytes.
    const anyValue = Uint8Array.of(0x0a, 0x83, 0x01, ...new Uint8Array(130).fill(0x61));
    const w = new ProtoWriter();
    const open = (field: number): number => {
      w.tag(field, WireType.LEN);
      return w.beginMessage();
    };
    const request = open(1);
    const scopeSpans = open(2);
    const span = open(2);
    w.tag(1, WireType.LEN);
    w.bytes(new Uint8Array(16).fill(1));
    w.tag(2, WireType.LEN);
    w.bytes(new Uint8Array(8).fill(1));
    const attribute = open(9);
    w.tag(1, WireType.LEN);
    w.string('k');
    w.tag(2, WireType.LEN);
    w.bytes(anyValue);
    for (const at of [attribute, span, scopeSpans, request]) w.endMessage(at);
    expect(decodeTraceRequest(w.finish())).toEqual({ ok: false, error: expect.stringMatching(/runs past the end/) as unknown });
  });

  it('rejects the request when it carries more spans than maxSpans', () => {
    const bytes = encodeTraceRequest(requestOf([makeSpan({}), makeSpan({}), makeSpan({})]));
    expect(decodeTraceRequest(bytes, { maxSpans: 3 }).ok).toBe(true);
    expect(decodeTraceRequest(bytes, { maxSpans: 2 })).toEqual({ ok: false, error: 'request has more than 2 spans (limit maxSpans)' });
  });

  it('cuts semantic values at maxSemanticValueBytes but keeps them whole in the payload', () => {
    const url = `https://example.com/${'é'.repeat(40)}`;
    const s = makeSpan({ attributes: [{ key: 'url.full', value: { stringValue: url } }] });
    const { batch } = decodeOk(encodeTraceRequest(requestOf([s])));
    expect(batch.semantics[0]).toEqual({ url });
    const cut = decodeTraceRequest(encodeTraceRequest(requestOf([s])), { maxSemanticValueBytes: 25 });
    expect(cut.ok && cut.batch.semantics[0]).toEqual({ url: 'https://example.com/éé' });
    expect(cut.ok && decodeSpan(cut.batch.payloads[0]!).attributes[0]!.value).toEqual({ stringValue: url });
  });

  it('grows its columns past the initial capacity', () => {
    const spans = Array.from({ length: 300 }, (_, i) => makeSpan({ name: `s${i}`, startTimeUnixNano: BigInt(i) }));
    const { batch } = decodeOk(encodeTraceRequest(requestOf(spans)));
    expect(batch.length).toBe(300);
    expect(batch.names[299]).toBe('s299');
    expect(batch.startTimeUnixNano[299]).toBe(299n);
    expect(batch.traceIds).toHaveLength(300 * 16);
  });

  it('decodes an empty request to an empty batch', () => {
    const { batch, spanCount } = decodeOk(new Uint8Array(0));
    expect(batch.length).toBe(0);
    expect(spanCount).toBe(0);
  });

  it('extracts the same semantics as the slow path for random spans', () => {
    fc.assert(
      fc.property(fc.array(spanArb(), { minLength: 1, maxLength: 4 }), (spans) => {
        const { batch } = decodeOk(encodeTraceRequest(requestOf(spans)));
        spans.forEach((s, i) => expect(batch.semantics[i]).toEqual(semanticsOfSpan(decodeSpan(encodeSpan(s)))));
      }),
      { numRuns: 200 },
    );
  });
});
