/**
 * OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) → the OTLP model.
 *
 * The mapping is protobuf's JSON mapping with OTLP's exceptions: field names in lowerCamelCase
 * (the proto names with underscores are accepted too, as protobuf JSON parsers do), trace and
 * span ids as hex strings of either case (not base64), enums as integers or value names, 64-bit
 * integers as decimal strings or numbers, `bytesValue` as base64. Missing fields and `null` mean
 * the default; unknown fields are ignored, as the spec requires of receivers.
 *
 * Ids are kept as the bytes given, whatever their length, so the decoder's per-span validation
 * reports them as it does for protobuf. Structurally wrong input (a string where an object must
 * be, text that is not hex in an id, a fraction in an integer, …) fails the whole request with
 * an error that names the field's path, e.g. `resourceSpans[0].scopeSpans[1].spans[2].traceId`.
 * Values nested deeper than the protobuf decoders accept (`MAX_ANY_VALUE_DEPTH`) fail too, so
 * whatever parses here encodes to a request `decodeTraceRequest` accepts. One leniency: an
 * integral JSON number outside int64 in `intValue` becomes a `doubleValue` (see below).
 *
 * The other direction, model → OTLP/JSON, lives in json-render.ts and is re-exported here.
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
import { MAX_ANY_VALUE_DEPTH } from './decode-message.js';
import { INT64_MAX, INT64_MIN, JsonShapeError, asObject, bigInteger, describe, enumValue, fixed64, get, hexId, list, str, uint32, within } from './json-fields.js';

export {
  anyValueToJson,
  keyValueToJson,
  resourceToJson,
  scopeToJson,
  spanToJson,
  traceRequestToJson,
  type AnyValueJson,
  type EventJson,
  type KeyValueJson,
  type LinkJson,
  type ResourceJson,
  type ScopeJson,
  type SpanJson,
  type TraceRequestJson,
} from './json-render.js';

export type ParseJsonOutcome = { readonly ok: true; readonly request: OtlpTraceRequest } | { readonly ok: false; readonly error: string };

/** Parses an already `JSON.parse`d OTLP/JSON `ExportTraceServiceRequest`. Never throws. */
export function parseTraceRequestJson(value: unknown): ParseJsonOutcome {
  try {
    const root = asObject(value);
    return { ok: true, request: { resourceSpans: list(root, 'resourceSpans', 'resource_spans', readResourceSpans) } };
  } catch (e: unknown) {
    if (e instanceof JsonShapeError) return { ok: false, error: `${e.path()}: ${e.problem}` };
    throw e;
  }
}

const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

const EMPTY_RESOURCE: OtlpResource = { attributes: [], droppedAttributesCount: 0 };
const EMPTY_SCOPE: OtlpScope = { name: '', version: '', attributes: [], droppedAttributesCount: 0 };

function readResourceSpans(v: unknown): OtlpResourceSpans {
  const o = asObject(v);
  const resource = get(o, 'resource', 'resource');
  return {
    resource: resource === undefined ? EMPTY_RESOURCE : within('resource', () => readResource(resource)),
    scopeSpans: list(o, 'scopeSpans', 'scope_spans', readScopeSpans),
    schemaUrl: str(o, 'schemaUrl', 'schema_url'),
  };
}

function readResource(v: unknown): OtlpResource {
  const o = asObject(v);
  return {
    attributes: list(o, 'attributes', 'attributes', readKeyValue),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
  };
}

function readScopeSpans(v: unknown): OtlpScopeSpans {
  const o = asObject(v);
  const scope = get(o, 'scope', 'scope');
  return {
    scope: scope === undefined ? EMPTY_SCOPE : within('scope', () => readScope(scope)),
    spans: list(o, 'spans', 'spans', readSpan),
    schemaUrl: str(o, 'schemaUrl', 'schema_url'),
  };
}

function readScope(v: unknown): OtlpScope {
  const o = asObject(v);
  return {
    name: str(o, 'name', 'name'),
    version: str(o, 'version', 'version'),
    attributes: list(o, 'attributes', 'attributes', readKeyValue),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
  };
}

function readStatus(v: unknown): { code: number; message: string } {
  const o = asObject(v);
  return { code: enumValue(o, 'code', STATUS_CODE_NAMES), message: str(o, 'message', 'message') };
}

const UNSET_STATUS = { code: 0, message: '' } as const;

function readSpan(v: unknown): OtlpSpan {
  const o = asObject(v);
  const status = get(o, 'status', 'status');
  return {
    traceId: hexId(o, 'traceId', 'trace_id'),
    spanId: hexId(o, 'spanId', 'span_id'),
    traceState: str(o, 'traceState', 'trace_state'),
    parentSpanId: hexId(o, 'parentSpanId', 'parent_span_id'),
    flags: uint32(o, 'flags', 'flags'),
    name: str(o, 'name', 'name'),
    kind: enumValue(o, 'kind', SPAN_KIND_NAMES),
    startTimeUnixNano: fixed64(o, 'startTimeUnixNano', 'start_time_unix_nano'),
    endTimeUnixNano: fixed64(o, 'endTimeUnixNano', 'end_time_unix_nano'),
    attributes: list(o, 'attributes', 'attributes', readKeyValue),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
    events: list(o, 'events', 'events', readEvent),
    droppedEventsCount: uint32(o, 'droppedEventsCount', 'dropped_events_count'),
    links: list(o, 'links', 'links', readLink),
    droppedLinksCount: uint32(o, 'droppedLinksCount', 'dropped_links_count'),
    status: status === undefined ? UNSET_STATUS : within('status', () => readStatus(status)),
  };
}

function readEvent(v: unknown): OtlpEvent {
  const o = asObject(v);
  return {
    timeUnixNano: fixed64(o, 'timeUnixNano', 'time_unix_nano'),
    name: str(o, 'name', 'name'),
    attributes: list(o, 'attributes', 'attributes', readKeyValue),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
  };
}

function readLink(v: unknown): OtlpLink {
  const o = asObject(v);
  return {
    traceId: hexId(o, 'traceId', 'trace_id'),
    spanId: hexId(o, 'spanId', 'span_id'),
    traceState: str(o, 'traceState', 'trace_state'),
    attributes: list(o, 'attributes', 'attributes', readKeyValue),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
    flags: uint32(o, 'flags', 'flags'),
  };
}

const EMPTY_VALUE: AnyValue = { empty: true };

function readKeyValue(v: unknown, depth: number): KeyValue {
  const o = asObject(v);
  const value = get(o, 'value', 'value');
  const key = str(o, 'key', 'key');
  if (value === undefined) return { key, value: EMPTY_VALUE };
  try {
    return { key, value: readAnyValue(value, depth) };
  } catch (e: unknown) {
    if (e instanceof JsonShapeError) throw e.within('value');
    throw e;
  }
}

/** The `value` oneof's JSON names (both spellings) → its lowerCamelCase name. */
const ANY_VALUE_FIELDS: ReadonlyMap<string, string> = new Map(
  ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'].flatMap((camel) => [
    [camel, camel],
    [camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), camel],
  ]),
);

function readAnyValue(v: unknown, depth: number): AnyValue {
  if (depth >= MAX_ANY_VALUE_DEPTH) throw new JsonShapeError(`values nested deeper than ${MAX_ANY_VALUE_DEPTH}`);
  const o = asObject(v);
  let found: string | undefined;
  let raw: unknown;
  // Objects here have one key in practice: walking the keys beats probing all 14 names.
  for (const key in o) {
    const field = ANY_VALUE_FIELDS.get(key);
    const x = o[key];
    if (field === undefined || x === null || x === undefined) continue;
    if (found !== undefined) throw new JsonShapeError(`both ${found} and ${field} are set`);
    found = field;
    raw = x;
  }
  if (found === undefined) return EMPTY_VALUE;
  try {
    return anyValueOf(found, raw, depth);
  } catch (e: unknown) {
    if (e instanceof JsonShapeError) throw e.within(found);
    throw e;
  }
}

function anyValueOf(field: string, raw: unknown, depth: number): AnyValue {
  switch (field) {
    case 'stringValue':
      if (typeof raw !== 'string') throw new JsonShapeError(`expected a string, got ${describe(raw)}`);
      return { stringValue: raw };
    case 'boolValue':
      if (typeof raw !== 'boolean') throw new JsonShapeError(`expected a boolean, got ${describe(raw)}`);
      return { boolValue: raw };
    case 'intValue':
      // A JSON number outside int64 was a double at the sender (the JS SDK's JSON exporter sends
      // any integral number as intValue): keep it as one rather than fail the whole request.
      if (typeof raw === 'number' && Number.isInteger(raw) && (raw < -(2 ** 63) || raw >= 2 ** 63)) return { doubleValue: raw };
      return { intValue: bigInteger(raw, INT64_MIN, INT64_MAX) };
    case 'doubleValue':
      return { doubleValue: doubleValue(raw) };
    case 'arrayValue':
      return { arrayValue: { values: list(asObject(raw), 'values', 'values', readAnyValue, depth + 1) } };
    case 'kvlistValue':
      return { kvlistValue: { values: list(asObject(raw), 'values', 'values', readKeyValue, depth + 1) } };
    default:
      if (typeof raw !== 'string' || !BASE64.test(raw)) throw new JsonShapeError(`expected base64, got ${describe(raw)}`);
      return { bytesValue: new Uint8Array(Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64')) };
  }
}

/** A double as a JSON number, or (protobuf JSON) a string: "NaN", "Infinity", "-Infinity" or a number. */
function doubleValue(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') {
    if (raw === 'NaN') return NaN;
    if (raw === 'Infinity') return Infinity;
    if (raw === '-Infinity') return -Infinity;
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n)) return n;
  }
  throw new JsonShapeError(`expected a number, got ${describe(raw)}`);
}
