/**
 * The slow, complete OTLP protobuf decoder: bytes → the plain model of `model/otlp.ts`. Used to
 * render stored spans (trace by id), to re-derive stored traces, and as the test oracle of the
 * hot decoder (`decode-request.ts`).
 *
 * Every function throws `ProtoDecodeError` on malformed input. Protobuf semantics apply: unknown
 * fields are skipped, a repeated occurrence of a scalar field overrides the earlier one, and
 * occurrences of a nested message field merge. Ids are returned exactly as sent (no validation
 * here; the hot decoder rejects invalid ones). `int64` values (`AnyValue.intValue`) are signed,
 * `fixed64` times unsigned.
 */
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
import { ProtoDecodeError, ProtoReader, WireType, tagOf } from './proto-reader.js';

const { VARINT, I64, LEN, I32 } = WireType;

/** Nesting of `AnyValue`s (arrays and kvlists inside each other) deeper than this is rejected. */
export const MAX_ANY_VALUE_DEPTH = 64;

const EMPTY: Uint8Array = new Uint8Array(0);

export function decodeTraceRequestToModel(bytes: Uint8Array): OtlpTraceRequest {
  const r = new ProtoReader(bytes);
  const end = bytes.length;
  const resourceSpans: OtlpResourceSpans[] = [];
  while (r.pos < end) {
    const tag = r.readTag();
    if (tag === tagOf(1, LEN)) resourceSpans.push(readResourceSpans(r, r.readDelimitedEnd(end)));
    else if (tag >>> 3 === 1) r.wrongWireType('ExportTraceServiceRequest', tag);
    else r.skipField(tag, end);
  }
  r.expectEnd(end);
  return { resourceSpans };
}

export function decodeSpan(payload: Uint8Array): OtlpSpan {
  const r = new ProtoReader(payload);
  return readSpan(r, payload.length);
}

export function decodeResource(bytes: Uint8Array): OtlpResource {
  const r = new ProtoReader(bytes);
  return readResource(r, bytes.length);
}

export function decodeScope(bytes: Uint8Array): OtlpScope {
  const r = new ProtoReader(bytes);
  return readScope(r, bytes.length);
}

function readResourceSpans(r: ProtoReader, end: number): OtlpResourceSpans {
  const resourceParts: Uint8Array[] = [];
  const scopeSpans: OtlpScopeSpans[] = [];
  let schemaUrl = '';
  while (r.pos < end) {
    const tag = r.readTag();
    switch (tag) {
      case tagOf(1, LEN): {
        const e = r.readDelimitedEnd(end);
        resourceParts.push(r.buf.subarray(r.pos, e));
        r.pos = e;
        break;
      }
      case tagOf(2, LEN):
        scopeSpans.push(readScopeSpans(r, r.readDelimitedEnd(end)));
        break;
      case tagOf(3, LEN):
        schemaUrl = r.readString(end);
        break;
      default:
        if (tag >>> 3 <= 3) r.wrongWireType('ResourceSpans', tag);
        r.skipField(tag, end);
    }
  }
  r.expectEnd(end);
  return { resource: decodeResource(mergedMessage(resourceParts)), scopeSpans, schemaUrl };
}

/** Protobuf merges repeated occurrences of a message field: decoding their concatenation does exactly that. */
export function mergedMessage(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 0) return EMPTY;
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts);
}

function readScopeSpans(r: ProtoReader, end: number): OtlpScopeSpans {
  const scopeParts: Uint8Array[] = [];
  const spans: OtlpSpan[] = [];
  let schemaUrl = '';
  while (r.pos < end) {
    const tag = r.readTag();
    switch (tag) {
      case tagOf(1, LEN): {
        const e = r.readDelimitedEnd(end);
        scopeParts.push(r.buf.subarray(r.pos, e));
        r.pos = e;
        break;
      }
      case tagOf(2, LEN):
        spans.push(readSpan(r, r.readDelimitedEnd(end)));
        break;
      case tagOf(3, LEN):
        schemaUrl = r.readString(end);
        break;
      default:
        if (tag >>> 3 <= 3) r.wrongWireType('ScopeSpans', tag);
        r.skipField(tag, end);
    }
  }
  r.expectEnd(end);
  return { scope: decodeScope(mergedMessage(scopeParts)), spans, schemaUrl };
}

function readResource(r: ProtoReader, end: number): OtlpResource {
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  while (r.pos < end) {
    const tag = r.readTag();
    switch (tag) {
      case tagOf(1, LEN):
        attributes.push(readKeyValue(r, r.readDelimitedEnd(end), 0));
        break;
      case tagOf(2, VARINT):
        droppedAttributesCount = r.readVarintLow32() >>> 0;
        break;
      default:
        if (tag >>> 3 <= 2) r.wrongWireType('Resource', tag);
        r.skipField(tag, end);
    }
  }
  r.expectEnd(end);
  return { attributes, droppedAttributesCount };
}

function readScope(r: ProtoReader, end: number): OtlpScope {
  let name = '';
  let version = '';
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  while (r.pos < end) {
    const tag = r.readTag();
    switch (tag) {
      case tagOf(1, LEN):
        name = r.readString(end);
        break;
      case tagOf(2, LEN):
        version = r.readString(end);
        break;
      case tagOf(3, LEN):
        attributes.push(readKeyValue(r, r.readDelimitedEnd(end), 0));
        break;
      case tagOf(4, VARINT):
        droppedAttributesCount = r.readVarintLow32() >>> 0;
        break;
      default:
        if (tag >>> 3 <= 4) r.wrongWireType('InstrumentationScope', tag);
        r.skipField(tag, end);
    }
  }
  r.expectEnd(end);
  return { name, version, attributes, droppedAttributesCount };
}

function readSpan(r: ProtoReader, end: number): OtlpSpan {
  let traceId = EMPTY;
  let spanId = EMPTY;
  let traceState = '';
  let parentSpanId = EMPTY;
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  const events: OtlpEvent[] = [];
  let droppedEventsCount = 0;
  const links: OtlpLink[] = [];
  let droppedLinksCount = 0;
  let statusCode = 0;
  let statusMessage = '';
  while (r.pos < end) {
    const tag = r.readTag();
    switch (tag) {
      case tagOf(1, LEN): traceId = r.readBytes(end); break;
      case tagOf(2, LEN): spanId = r.readBytes(end); break;
      case tagOf(3, LEN): traceState = r.readString(end); break;
      case tagOf(4, LEN): parentSpanId = r.readBytes(end); break;
      case tagOf(5, LEN): name = r.readString(end); break;
      case tagOf(6, VARINT): kind = r.readVarintLow32(); break;
      case tagOf(7, I64): startTimeUnixNano = r.readFixed64(end); break;
      case tagOf(8, I64): endTimeUnixNano = r.readFixed64(end); break;
      case tagOf(9, LEN): attributes.push(readKeyValue(r, r.readDelimitedEnd(end), 0)); break;
      case tagOf(10, VARINT): droppedAttributesCount = r.readVarintLow32() >>> 0; break;
      case tagOf(11, LEN): events.push(readEvent(r, r.readDelimitedEnd(end))); break;
      case tagOf(12, VARINT): droppedEventsCount = r.readVarintLow32() >>> 0; break;
      case tagOf(13, LEN): links.push(readLink(r, r.readDelimitedEnd(end))); break;
      case tagOf(14, VARINT): droppedLinksCount = r.readVarintLow32() >>> 0; break;
      case tagOf(15, LEN): {
        // Status fields: 2 message, 3 code (1 is reserved: the deprecated code).
        const statusEnd = r.readDelimitedEnd(end);
        while (r.pos < statusEnd) {
          const t = r.readTag();
          if (t === tagOf(2, LEN)) statusMessage = r.readString(statusEnd);
          else if (t === tagOf(3, VARINT)) statusCode = r.readVarintLow32();
          else if (t >>> 3 === 2 || t >>> 3 === 3) r.wrongWireType('Status', t);
          else r.skipField(t, statusEnd);
        }
        r.expectEnd(statusEnd);
        break;
      }
      case tagOf(16, I32): flags = r.readFixed32(end); break;
      default:
        if (tag >>> 3 <= 16) r.wrongWireType('Span', tag);
        r.skipField(tag, end);
    }
  }
  r.expectEnd(end);
  return {
    traceId, spanId, traceState, parentSpanId, flags, name, kind, startTimeUnixNano, endTimeUnixNano,
    attributes, droppedAttributesCount, events, droppedEventsCount, links, droppedLinksCount,
    status: { code: statusCode, message: statusMessage },
  };
}

function readEvent(r: ProtoReader, end: number): OtlpEvent {
  let timeUnixNano = 0n;
  let name = '';
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  while (r.pos < end) {
    const tag = r.readTag();
    switch (tag) {
      case tagOf(1, I64): timeUnixNano = r.readFixed64(end); break;
      case tagOf(2, LEN): name = r.readString(end); break;
      case tagOf(3, LEN): attributes.push(readKeyValue(r, r.readDelimitedEnd(end), 0)); break;
      case tagOf(4, VARINT): droppedAttributesCount = r.readVarintLow32() >>> 0; break;
      default:
        if (tag >>> 3 <= 4) r.wrongWireType('Span.Event', tag);
        r.skipField(tag, end);
    }
  }
  r.expectEnd(end);
  return { timeUnixNano, name, attributes, droppedAttributesCount };
}

function readLink(r: ProtoReader, end: number): OtlpLink {
  let traceId = EMPTY;
  let spanId = EMPTY;
  let traceState = '';
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  let flags = 0;
  while (r.pos < end) {
    const tag = r.readTag();
    switch (tag) {
      case tagOf(1, LEN): traceId = r.readBytes(end); break;
      case tagOf(2, LEN): spanId = r.readBytes(end); break;
      case tagOf(3, LEN): traceState = r.readString(end); break;
      case tagOf(4, LEN): attributes.push(readKeyValue(r, r.readDelimitedEnd(end), 0)); break;
      case tagOf(5, VARINT): droppedAttributesCount = r.readVarintLow32() >>> 0; break;
      case tagOf(6, I32): flags = r.readFixed32(end); break;
      default:
        if (tag >>> 3 <= 6) r.wrongWireType('Span.Link', tag);
        r.skipField(tag, end);
    }
  }
  r.expectEnd(end);
  return { traceId, spanId, traceState, attributes, droppedAttributesCount, flags };
}

function readKeyValue(r: ProtoReader, end: number, depth: number): KeyValue {
  let key = '';
  let value: AnyValue = { empty: true };
  while (r.pos < end) {
    const tag = r.readTag();
    if (tag === tagOf(1, LEN)) key = r.readString(end);
    else if (tag === tagOf(2, LEN)) value = mergeAnyValue(value, readAnyValue(r, r.readDelimitedEnd(end), depth));
    else if (tag >>> 3 <= 2) r.wrongWireType('KeyValue', tag);
    else r.skipField(tag, end);
  }
  r.expectEnd(end);
  return { key, value };
}

/** A repeated `KeyValue.value` merges with the earlier one: a set oneof field replaces it. */
function mergeAnyValue(earlier: AnyValue, later: AnyValue): AnyValue {
  return 'empty' in later ? earlier : later;
}

function readAnyValue(r: ProtoReader, end: number, depth: number): AnyValue {
  if (depth >= MAX_ANY_VALUE_DEPTH) throw new ProtoDecodeError(`AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH}`, r.pos);
  let value: AnyValue = { empty: true };
  while (r.pos < end) {
    const tag = r.readTag();
    switch (tag) {
      case tagOf(1, LEN): value = { stringValue: r.readString(end) }; break;
      case tagOf(2, VARINT): value = { boolValue: r.readVarintLow32() !== 0 }; break;
      case tagOf(3, VARINT): value = { intValue: BigInt.asIntN(64, r.readVarint64()) }; break;
      case tagOf(4, I64): value = { doubleValue: r.readDouble(end) }; break;
      case tagOf(5, LEN): {
        const e = r.readDelimitedEnd(end);
        const values: AnyValue[] = [];
        while (r.pos < e) {
          const t = r.readTag();
          if (t === tagOf(1, LEN)) values.push(readAnyValue(r, r.readDelimitedEnd(e), depth + 1));
          else if (t >>> 3 === 1) r.wrongWireType('ArrayValue', t);
          else r.skipField(t, e);
        }
        r.expectEnd(e);
        value = { arrayValue: { values } };
        break;
      }
      case tagOf(6, LEN): {
        const e = r.readDelimitedEnd(end);
        const values: KeyValue[] = [];
        while (r.pos < e) {
          const t = r.readTag();
          if (t === tagOf(1, LEN)) values.push(readKeyValue(r, r.readDelimitedEnd(e), depth + 1));
          else if (t >>> 3 === 1) r.wrongWireType('KeyValueList', t);
          else r.skipField(t, e);
        }
        r.expectEnd(e);
        value = { kvlistValue: { values } };
        break;
      }
      case tagOf(7, LEN): value = { bytesValue: r.readBytes(end) }; break;
      default:
        if (tag >>> 3 <= 7) r.wrongWireType('AnyValue', tag);
        r.skipField(tag, end);
    }
  }
  r.expectEnd(end);
  return value;
}
