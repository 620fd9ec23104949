/**
 * OTLP model → protobuf (opentelemetry-proto `collector/trace/v1` `ExportTraceServiceRequest`).
 *
 * Fields holding their proto3 default (0, '', empty bytes, empty lists) are omitted, as every
 * protobuf encoder does, except inside `AnyValue`, where the set field of the `value` oneof is
 * always written. Ids are written as given, whatever their length, so the decoder's per-span
 * validation sees exactly what a client sent.
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
import { ProtoWriter } from './proto-writer.js';
import { WireType } from './proto-reader.js';

const { VARINT, I64, LEN, I32 } = WireType;

export function encodeTraceRequest(req: OtlpTraceRequest): Uint8Array {
  const w = new ProtoWriter(4096);
  for (const rs of req.resourceSpans) writeMessage(w, 1, rs, writeResourceSpans);
  return w.finish();
}

/** The protobuf `Span` message (what `SpanBatch.payloads` holds). */
export function encodeSpan(span: OtlpSpan): Uint8Array {
  const w = new ProtoWriter(256);
  writeSpan(w, span);
  return w.finish();
}

/** The protobuf `Resource` message (what `BatchResource.bytes` holds). */
export function encodeResource(resource: OtlpResource): Uint8Array {
  const w = new ProtoWriter(256);
  writeResource(w, resource);
  return w.finish();
}

/** The protobuf `InstrumentationScope` message (what `BatchScope.bytes` holds). */
export function encodeScope(scope: OtlpScope): Uint8Array {
  const w = new ProtoWriter(64);
  writeScope(w, scope);
  return w.finish();
}

function writeMessage<T>(w: ProtoWriter, field: number, value: T, write: (w: ProtoWriter, value: T) => void): void {
  w.tag(field, LEN);
  const at = w.beginMessage();
  write(w, value);
  w.endMessage(at);
}

function writeString(w: ProtoWriter, field: number, value: string): void {
  if (value === '') return;
  w.tag(field, LEN);
  w.string(value);
}

function writeBytes(w: ProtoWriter, field: number, value: Uint8Array): void {
  if (value.length === 0) return;
  w.tag(field, LEN);
  w.bytes(value);
}

function writeUint32(w: ProtoWriter, field: number, value: number): void {
  if (value === 0) return;
  w.tag(field, VARINT);
  w.uint32(value);
}

function writeEnum(w: ProtoWriter, field: number, value: number): void {
  if (value === 0) return;
  w.tag(field, VARINT);
  w.int32(value);
}

function writeFixed64(w: ProtoWriter, field: number, value: bigint): void {
  if (value === 0n) return;
  w.tag(field, I64);
  w.fixed64(value);
}

function writeFixed32(w: ProtoWriter, field: number, value: number): void {
  if (value === 0) return;
  w.tag(field, I32);
  w.fixed32(value);
}

function writeAttributes(w: ProtoWriter, field: number, attributes: readonly KeyValue[]): void {
  for (const kv of attributes) writeMessage(w, field, kv, writeKeyValue);
}

function writeResourceSpans(w: ProtoWriter, rs: OtlpResourceSpans): void {
  writeMessage(w, 1, rs.resource, writeResource);
  for (const ss of rs.scopeSpans) writeMessage(w, 2, ss, writeScopeSpans);
  writeString(w, 3, rs.schemaUrl);
}

function writeScopeSpans(w: ProtoWriter, ss: OtlpScopeSpans): void {
  writeMessage(w, 1, ss.scope, writeScope);
  for (const span of ss.spans) writeMessage(w, 2, span, writeSpan);
  writeString(w, 3, ss.schemaUrl);
}

function writeResource(w: ProtoWriter, resource: OtlpResource): void {
  writeAttributes(w, 1, resource.attributes);
  writeUint32(w, 2, resource.droppedAttributesCount);
}

function writeScope(w: ProtoWriter, scope: OtlpScope): void {
  writeString(w, 1, scope.name);
  writeString(w, 2, scope.version);
  writeAttributes(w, 3, scope.attributes);
  writeUint32(w, 4, scope.droppedAttributesCount);
}

function writeSpan(w: ProtoWriter, span: OtlpSpan): void {
  writeBytes(w, 1, span.traceId);
  writeBytes(w, 2, span.spanId);
  writeString(w, 3, span.traceState);
  writeBytes(w, 4, span.parentSpanId);
  writeString(w, 5, span.name);
  writeEnum(w, 6, span.kind);
  writeFixed64(w, 7, span.startTimeUnixNano);
  writeFixed64(w, 8, span.endTimeUnixNano);
  writeAttributes(w, 9, span.attributes);
  writeUint32(w, 10, span.droppedAttributesCount);
  for (const event of span.events) writeMessage(w, 11, event, writeEvent);
  writeUint32(w, 12, span.droppedEventsCount);
  for (const link of span.links) writeMessage(w, 13, link, writeLink);
  writeUint32(w, 14, span.droppedLinksCount);
  if (span.status.code !== 0 || span.status.message !== '') {
    w.tag(15, LEN);
    const at = w.beginMessage();
    writeString(w, 2, span.status.message);
    writeEnum(w, 3, span.status.code);
    w.endMessage(at);
  }
  writeFixed32(w, 16, span.flags);
}

function writeEvent(w: ProtoWriter, event: OtlpEvent): void {
  writeFixed64(w, 1, event.timeUnixNano);
  writeString(w, 2, event.name);
  writeAttributes(w, 3, event.attributes);
  writeUint32(w, 4, event.droppedAttributesCount);
}

function writeLink(w: ProtoWriter, link: OtlpLink): void {
  writeBytes(w, 1, link.traceId);
  writeBytes(w, 2, link.spanId);
  writeString(w, 3, link.traceState);
  writeAttributes(w, 4, link.attributes);
  writeUint32(w, 5, link.droppedAttributesCount);
  writeFixed32(w, 6, link.flags);
}

function writeKeyValue(w: ProtoWriter, kv: KeyValue): void {
  writeString(w, 1, kv.key);
  writeMessage(w, 2, kv.value, writeAnyValue);
}

/** `AnyValue`: exactly one field of the `value` oneof, written even when it holds its default. */
function writeAnyValue(w: ProtoWriter, value: AnyValue): void {
  if ('stringValue' in value) {
    w.tag(1, LEN);
    w.string(value.stringValue);
  } else if ('boolValue' in value) {
    w.tag(2, VARINT);
    w.uint32(value.boolValue ? 1 : 0);
  } else if ('intValue' in value) {
    w.tag(3, VARINT);
    w.varint64(value.intValue);
  } else if ('doubleValue' in value) {
    w.tag(4, I64);
    w.double(value.doubleValue);
  } else if ('arrayValue' in value) {
    w.tag(5, LEN);
    const at = w.beginMessage();
    for (const v of value.arrayValue.values) writeMessage(w, 1, v, writeAnyValue);
    w.endMessage(at);
  } else if ('kvlistValue' in value) {
    w.tag(6, LEN);
    const at = w.beginMessage();
    writeAttributes(w, 1, value.kvlistValue.values);
    w.endMessage(at);
  } else if ('bytesValue' in value) {
    w.tag(7, LEN);
    w.bytes(value.bytesValue);
  }
}
