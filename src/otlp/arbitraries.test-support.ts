/**
 * fast-check generators of OTLP model values for the otlp tests (not shipped code: imported only
 * by `*.test.ts`). Strings are whole code points (UTF-8 round-trips them exactly); keys mix the
 * semantic keys with arbitrary ones so semantic extraction meets every value type.
 */
import fc from 'fast-check';
import type {
  AnyValue,
  KeyValue,
  OtlpEvent,
  OtlpLink,
  OtlpResource,
  OtlpResourceSpans,
  OtlpScope,
  OtlpScopeSpans,
  OtlpSpan,
  OtlpTraceRequest,
} from '../model/otlp.js';
import { SEMANTIC_ATTRIBUTE_KEYS } from '../model/semantics.js';

export const text = (maxLength = 12): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength }), fc.string({ maxLength, unit: 'binary' }), fc.string({ maxLength, unit: 'grapheme' }));

export const nonZeroBytes = (length: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: length, maxLength: length }).filter((b) => b.some((x) => x !== 0));

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT32_MAX = 0xffff_ffff;

/** Attribute keys: semantic ones (so extraction is exercised) and arbitrary ones. */
export const attributeKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SEMANTIC_ATTRIBUTE_KEYS.map(([key]) => key)),
  fc.constantFrom('exception.type', 'exception.message', 'exception.stacktrace', 'http.route', 'service.name'),
  text(),
);

/** Values shaped like what semantic keys expect (strings, status codes, header arrays) plus anything else. */
const { anyValue, keyValue } = fc.letrec<{ anyValue: AnyValue; keyValue: KeyValue }>((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: fc.oneof(text(), fc.constantFrom('503', '200', '5x', '')) }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ intValue: fc.oneof(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), fc.bigInt({ min: -1n, max: 600n })) }),
    fc.record({ doubleValue: fc.double() }),
    fc.record({ bytesValue: fc.uint8Array({ maxLength: 8 }) }),
    fc.constant({ empty: true as const }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('anyValue') as fc.Arbitrary<AnyValue>, { maxLength: 3 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(tie('keyValue') as fc.Arbitrary<KeyValue>, { maxLength: 3 }) }) }),
  ),
  keyValue: fc.record({ key: attributeKey, value: tie('anyValue') as fc.Arbitrary<AnyValue> }),
}));
export { anyValue, keyValue };

export const attributes = (maxLength = 6): fc.Arbitrary<KeyValue[]> => fc.array(keyValue, { maxLength });

const uint32 = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: UINT32_MAX }));

export const event: fc.Arbitrary<OtlpEvent> = fc.record({
  timeUnixNano: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  name: fc.oneof(fc.constant('exception'), text()),
  attributes: fc.oneof(
    attributes(3),
    fc.array(
      fc.record({
        key: fc.constantFrom('exception.type', 'exception.message', 'exception.stacktrace'),
        value: fc.oneof(fc.record({ stringValue: text(40) }), anyValue),
      }),
      { maxLength: 4 },
    ),
  ),
  droppedAttributesCount: uint32,
});

export const link: fc.Arbitrary<OtlpLink> = fc.record({
  traceId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  spanId: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  traceState: text(),
  attributes: attributes(2),
  droppedAttributesCount: uint32,
  flags: uint32,
});

export interface SpanOptions {
  /** Only ids the decoder accepts (default true); false mixes in wrong-length and all-zero ids. */
  readonly validIds?: boolean;
}

/** Spans whose kinds, status codes and times fit the batch columns unchanged. */
export function span(opts: SpanOptions = {}): fc.Arbitrary<OtlpSpan> {
  const valid = opts.validIds ?? true;
  const id = (n: number): fc.Arbitrary<Uint8Array> =>
    valid ? nonZeroBytes(n) : fc.oneof({ weight: 4, arbitrary: nonZeroBytes(n) }, fc.uint8Array({ maxLength: n + 2 }), fc.constant(new Uint8Array(n)));
  const parent = valid
    ? fc.oneof(fc.constant(new Uint8Array(0)), nonZeroBytes(8), fc.constant(new Uint8Array(8)))
    : fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 0, maxLength: 10 }));
  return fc.record({
    traceId: id(16),
    spanId: id(8),
    traceState: text(),
    parentSpanId: parent,
    flags: uint32,
    name: text(24),
    kind: fc.integer({ min: 0, max: 5 }),
    startTimeUnixNano: fc.bigInt({ min: 0n, max: INT64_MAX }),
    endTimeUnixNano: fc.bigInt({ min: 0n, max: INT64_MAX }),
    attributes: attributes(),
    droppedAttributesCount: uint32,
    events: fc.array(event, { maxLength: 3 }),
    droppedEventsCount: uint32,
    links: fc.array(link, { maxLength: 2 }),
    droppedLinksCount: uint32,
    status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: text() }),
  });
}

export const resource: fc.Arbitrary<OtlpResource> = fc.record({ attributes: attributes(4), droppedAttributesCount: uint32 });

export const scope: fc.Arbitrary<OtlpScope> = fc.record({
  name: text(),
  version: text(),
  attributes: attributes(2),
  droppedAttributesCount: uint32,
});

export function traceRequest(opts: SpanOptions = {}): fc.Arbitrary<OtlpTraceRequest> {
  const scopeSpans: fc.Arbitrary<OtlpScopeSpans> = fc.record({
    scope,
    spans: fc.array(span(opts), { maxLength: 5 }),
    schemaUrl: text(),
  });
  const resourceSpans: fc.Arbitrary<OtlpResourceSpans> = fc.record({
    resource: fc.oneof(resource, fc.constant({ attributes: [], droppedAttributesCount: 0 })),
    scopeSpans: fc.array(scopeSpans, { maxLength: 3 }),
    schemaUrl: text(),
  });
  return fc.record({ resourceSpans: fc.array(resourceSpans, { maxLength: 3 }) });
}

/** Every span of a request in wire order, with its resource and scope. */
export function flattenSpans(req: OtlpTraceRequest): { span: OtlpSpan; resource: OtlpResource; scope: OtlpScope }[] {
  return req.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ span: s, resource: rs.resource, scope: ss.scope }))));
}
