/**
 * The OTLP model → OTLP/JSON objects (ready for `JSON.stringify`), as the trace-by-id API returns
 * them: lowerCamelCase fields, lower-case hex ids (`parentSpanId` is '' for a root span), 64-bit
 * integers as decimal strings, enums as integers, bytes as base64, and the doubles JSON numbers
 * cannot carry as strings: "NaN", "Infinity", "-Infinity" and "-0" (JSON.stringify makes -0 a 0).
 * Every field is present, defaults included, so clients never have to guess a default.
 * `parseTraceRequestJson` reads this output back to the same model.
 */
import type {
  AnyValue,
  KeyValue,
  OtlpEvent,
  OtlpLink,
  OtlpResource,
  OtlpScope,
  OtlpSpan,
  OtlpTraceRequest,
} from '../model/otlp.js';
import { bytesToHex } from '../model/ids.js';

export type AnyValueJson =
  | { readonly stringValue: string }
  | { readonly boolValue: boolean }
  | { readonly intValue: string }
  | { readonly doubleValue: number | 'NaN' | 'Infinity' | '-Infinity' | '-0' }
  | { readonly arrayValue: { readonly values: AnyValueJson[] } }
  | { readonly kvlistValue: { readonly values: KeyValueJson[] } }
  | { readonly bytesValue: string }
  | Readonly<Record<string, never>>;

export interface KeyValueJson {
  readonly key: string;
  readonly value: AnyValueJson;
}

export interface ResourceJson {
  readonly attributes: KeyValueJson[];
  readonly droppedAttributesCount: number;
}

export interface ScopeJson {
  readonly name: string;
  readonly version: string;
  readonly attributes: KeyValueJson[];
  readonly droppedAttributesCount: number;
}

export interface EventJson {
  readonly timeUnixNano: string;
  readonly name: string;
  readonly attributes: KeyValueJson[];
  readonly droppedAttributesCount: number;
}

export interface LinkJson {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceState: string;
  readonly attributes: KeyValueJson[];
  readonly droppedAttributesCount: number;
  readonly flags: number;
}

export interface SpanJson {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceState: string;
  readonly parentSpanId: string;
  readonly flags: number;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: KeyValueJson[];
  readonly droppedAttributesCount: number;
  readonly events: EventJson[];
  readonly droppedEventsCount: number;
  readonly links: LinkJson[];
  readonly droppedLinksCount: number;
  readonly status: { readonly code: number; readonly message: string };
}

export interface TraceRequestJson {
  readonly resourceSpans: {
    readonly resource: ResourceJson;
    readonly scopeSpans: { readonly scope: ScopeJson; readonly spans: SpanJson[]; readonly schemaUrl: string }[];
    readonly schemaUrl: string;
  }[];
}

export function anyValueToJson(value: AnyValue): AnyValueJson {
  if ('stringValue' in value) return { stringValue: value.stringValue };
  if ('boolValue' in value) return { boolValue: value.boolValue };
  if ('intValue' in value) return { intValue: value.intValue.toString() };
  if ('doubleValue' in value) {
    const d = value.doubleValue;
    if (Number.isFinite(d)) return { doubleValue: Object.is(d, -0) ? '-0' : d };
    return { doubleValue: Number.isNaN(d) ? 'NaN' : d > 0 ? 'Infinity' : '-Infinity' };
  }
  if ('arrayValue' in value) return { arrayValue: { values: value.arrayValue.values.map(anyValueToJson) } };
  if ('kvlistValue' in value) return { kvlistValue: { values: value.kvlistValue.values.map(keyValueToJson) } };
  if ('bytesValue' in value) return { bytesValue: Buffer.from(value.bytesValue).toString('base64') };
  return {};
}

export function keyValueToJson(kv: KeyValue): KeyValueJson {
  return { key: kv.key, value: anyValueToJson(kv.value) };
}

export function resourceToJson(resource: OtlpResource): ResourceJson {
  return { attributes: resource.attributes.map(keyValueToJson), droppedAttributesCount: resource.droppedAttributesCount };
}

export function scopeToJson(scope: OtlpScope): ScopeJson {
  return {
    name: scope.name,
    version: scope.version,
    attributes: scope.attributes.map(keyValueToJson),
    droppedAttributesCount: scope.droppedAttributesCount,
  };
}

function eventToJson(event: OtlpEvent): EventJson {
  return {
    timeUnixNano: event.timeUnixNano.toString(),
    name: event.name,
    attributes: event.attributes.map(keyValueToJson),
    droppedAttributesCount: event.droppedAttributesCount,
  };
}

function linkToJson(link: OtlpLink): LinkJson {
  return {
    traceId: bytesToHex(link.traceId),
    spanId: bytesToHex(link.spanId),
    traceState: link.traceState,
    attributes: link.attributes.map(keyValueToJson),
    droppedAttributesCount: link.droppedAttributesCount,
    flags: link.flags,
  };
}

export function spanToJson(span: OtlpSpan): SpanJson {
  return {
    traceId: bytesToHex(span.traceId),
    spanId: bytesToHex(span.spanId),
    traceState: span.traceState,
    parentSpanId: bytesToHex(span.parentSpanId),
    flags: span.flags,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    attributes: span.attributes.map(keyValueToJson),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map(eventToJson),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map(linkToJson),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code, message: span.status.message },
  };
}

export function traceRequestToJson(req: OtlpTraceRequest): TraceRequestJson {
  return {
    resourceSpans: req.resourceSpans.map((rs) => ({
      resource: resourceToJson(rs.resource),
      scopeSpans: rs.scopeSpans.map((ss) => ({ scope: scopeToJson(ss.scope), spans: ss.spans.map(spanToJson), schemaUrl: ss.schemaUrl })),
      schemaUrl: rs.schemaUrl,
    })),
  };
}
