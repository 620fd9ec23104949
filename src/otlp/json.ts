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
    const root = asObject(value, '');
    const resourceSpans = list(root, 'resourceSpans', 'resource_spans', '', readResourceSpans);
    return { ok: true, request: { resourceSpans } };
  } catch (e: unknown) {
    if (e instanceof JsonShapeError) return { ok: false, error: e.message };
    throw e;
  }
}

class JsonShapeError extends Error {
  constructor(path: string, problem: string) {
    super(`${path === '' ? 'request' : path}: ${problem}`);
  }
}

type JsonObject = { readonly [key: string]: unknown };

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function asObject(v: unknown, path: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new JsonShapeError(path, `expected an object, got ${describe(v)}`);
  return v as JsonObject;
}

/** The field's value under its lowerCamelCase or proto name; undefined when absent or null. */
function get(o: JsonObject, camel: string, snake: string): unknown {
  const v = o[camel] ?? (camel === snake ? undefined : o[snake]);
  return v === null ? undefined : v;
}

function list<T>(o: JsonObject, camel: string, snake: string, path: string, read: (v: unknown, path: string) => T): T[] {
  const v = get(o, camel, snake);
  const p = join(path, camel);
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new JsonShapeError(p, `expected an array, got ${describe(v)}`);
  const out = new Array<T>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = read(v[i], `${p}[${i}]`);
  return out;
}

function str(o: JsonObject, camel: string, snake: string, path: string): string {
  const v = get(o, camel, snake);
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new JsonShapeError(join(path, camel), `expected a string, got ${describe(v)}`);
  return v;
}

const DECIMAL = /^-?[0-9]+$/;

/** An integer field given as a JSON number or a decimal string, within `[min, max]`. */
function integer(o: JsonObject, camel: string, snake: string, path: string, min: bigint, max: bigint): bigint {
  const v = get(o, camel, snake);
  if (v === undefined) return 0n;
  return integerValue(v, join(path, camel), min, max);
}

function integerValue(v: unknown, path: string, min: bigint, max: bigint): bigint {
  let n: bigint;
  if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && DECIMAL.test(v)) n = BigInt(v);
  else throw new JsonShapeError(path, `expected an integer, got ${describe(v)}`);
  if (n < min || n > max) throw new JsonShapeError(path, `integer ${n} out of range`);
  return n;
}

const UINT32_MAX = 0xffff_ffffn;
const UINT64_MAX = 0xffff_ffff_ffff_ffffn;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const INT32_MIN = -(1n << 31n);
const INT32_MAX = (1n << 31n) - 1n;

function uint32(o: JsonObject, camel: string, snake: string, path: string): number {
  return Number(integer(o, camel, snake, path, 0n, UINT32_MAX));
}

function fixed64(o: JsonObject, camel: string, snake: string, path: string): bigint {
  return integer(o, camel, snake, path, 0n, UINT64_MAX);
}

/** An enum as its number or its value name (`SPAN_KIND_SERVER`). */
function enumValue(o: JsonObject, camel: string, snake: string, path: string, names: readonly string[]): number {
  const v = get(o, camel, snake);
  if (typeof v === 'string' && !DECIMAL.test(v)) {
    const index = names.indexOf(v);
    if (index < 0) throw new JsonShapeError(join(path, camel), `unknown enum value ${JSON.stringify(v)}`);
    return index;
  }
  return Number(integer(o, camel, snake, path, INT32_MIN, INT32_MAX));
}

const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

const EMPTY = new Uint8Array(0);
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** A trace or span id: hex of any even length (OTLP/JSON's exception to base64 bytes). */
function hexId(o: JsonObject, camel: string, snake: string, path: string): Uint8Array {
  const v = get(o, camel, snake);
  if (v === undefined || v === '') return EMPTY;
  if (typeof v !== 'string' || !HEX.test(v)) throw new JsonShapeError(join(path, camel), `expected a hex id, got ${describe(v)}`);
  return new Uint8Array(Buffer.from(v, 'hex'));
}

const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

function readResourceSpans(v: unknown, path: string): OtlpResourceSpans {
  const o = asObject(v, path);
  const resource = get(o, 'resource', 'resource');
  return {
    resource: resource === undefined ? { attributes: [], droppedAttributesCount: 0 } : readResource(resource, join(path, 'resource')),
    scopeSpans: list(o, 'scopeSpans', 'scope_spans', path, readScopeSpans),
    schemaUrl: str(o, 'schemaUrl', 'schema_url', path),
  };
}

function readResource(v: unknown, path: string): OtlpResource {
  const o = asObject(v, path);
  return {
    attributes: attributes(o, 'attributes', path),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count', path),
  };
}

function readScopeSpans(v: unknown, path: string): OtlpScopeSpans {
  const o = asObject(v, path);
  const scope = get(o, 'scope', 'scope');
  return {
    scope: scope === undefined ? { name: '', version: '', attributes: [], droppedAttributesCount: 0 } : readScope(scope, join(path, 'scope')),
    spans: list(o, 'spans', 'spans', path, readSpan),
    schemaUrl: str(o, 'schemaUrl', 'schema_url', path),
  };
}

function readScope(v: unknown, path: string): OtlpScope {
  const o = asObject(v, path);
  return {
    name: str(o, 'name', 'name', path),
    version: str(o, 'version', 'version', path),
    attributes: attributes(o, 'attributes', path),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count', path),
  };
}

function readSpan(v: unknown, path: string): OtlpSpan {
  const o = asObject(v, path);
  const status = get(o, 'status', 'status');
  let statusCode = 0;
  let statusMessage = '';
  if (status !== undefined) {
    const s = asObject(status, join(path, 'status'));
    statusCode = enumValue(s, 'code', 'code', join(path, 'status'), STATUS_CODE_NAMES);
    statusMessage = str(s, 'message', 'message', join(path, 'status'));
  }
  return {
    traceId: hexId(o, 'traceId', 'trace_id', path),
    spanId: hexId(o, 'spanId', 'span_id', path),
    traceState: str(o, 'traceState', 'trace_state', path),
    parentSpanId: hexId(o, 'parentSpanId', 'parent_span_id', path),
    flags: uint32(o, 'flags', 'flags', path),
    name: str(o, 'name', 'name', path),
    kind: enumValue(o, 'kind', 'kind', path, SPAN_KIND_NAMES),
    startTimeUnixNano: fixed64(o, 'startTimeUnixNano', 'start_time_unix_nano', path),
    endTimeUnixNano: fixed64(o, 'endTimeUnixNano', 'end_time_unix_nano', path),
    attributes: attributes(o, 'attributes', path),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count', path),
    events: list(o, 'events', 'events', path, readEvent),
    droppedEventsCount: uint32(o, 'droppedEventsCount', 'dropped_events_count', path),
    links: list(o, 'links', 'links', path, readLink),
    droppedLinksCount: uint32(o, 'droppedLinksCount', 'dropped_links_count', path),
    status: { code: statusCode, message: statusMessage },
  };
}

function readEvent(v: unknown, path: string): OtlpEvent {
  const o = asObject(v, path);
  return {
    timeUnixNano: fixed64(o, 'timeUnixNano', 'time_unix_nano', path),
    name: str(o, 'name', 'name', path),
    attributes: attributes(o, 'attributes', path),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count', path),
  };
}

function readLink(v: unknown, path: string): OtlpLink {
  const o = asObject(v, path);
  return {
    traceId: hexId(o, 'traceId', 'trace_id', path),
    spanId: hexId(o, 'spanId', 'span_id', path),
    traceState: str(o, 'traceState', 'trace_state', path),
    attributes: attributes(o, 'attributes', path),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count', path),
    flags: uint32(o, 'flags', 'flags', path),
  };
}

function attributes(o: JsonObject, camel: string, path: string, depth = 0): KeyValue[] {
  return list(o, camel, camel, path, (v, p) => readKeyValue(v, p, depth));
}

function readKeyValue(v: unknown, path: string, depth: number): KeyValue {
  const o = asObject(v, path);
  const value = get(o, 'value', 'value');
  return {
    key: str(o, 'key', 'key', path),
    value: value === undefined ? { empty: true } : readAnyValue(value, join(path, 'value'), depth),
  };
}

const ANY_VALUE_FIELDS = [
  ['stringValue', 'string_value'],
  ['boolValue', 'bool_value'],
  ['intValue', 'int_value'],
  ['doubleValue', 'double_value'],
  ['arrayValue', 'array_value'],
  ['kvlistValue', 'kvlist_value'],
  ['bytesValue', 'bytes_value'],
] as const;

function readAnyValue(v: unknown, path: string, depth: number): AnyValue {
  if (depth >= MAX_ANY_VALUE_DEPTH) throw new JsonShapeError(path, `values nested deeper than ${MAX_ANY_VALUE_DEPTH}`);
  const o = asObject(v, path);
  let found: (typeof ANY_VALUE_FIELDS)[number][0] | undefined;
  let raw: unknown;
  for (const [camel, snake] of ANY_VALUE_FIELDS) {
    const x = get(o, camel, snake);
    if (x === undefined) continue;
    if (found !== undefined) throw new JsonShapeError(path, `both ${found} and ${camel} are set`);
    found = camel;
    raw = x;
  }
  if (found === undefined) return { empty: true };
  const p = join(path, found);
  switch (found) {
    case 'stringValue':
      if (typeof raw !== 'string') throw new JsonShapeError(p, `expected a string, got ${describe(raw)}`);
      return { stringValue: raw };
    case 'boolValue':
      if (typeof raw !== 'boolean') throw new JsonShapeError(p, `expected a boolean, got ${describe(raw)}`);
      return { boolValue: raw };
    case 'intValue':
      // A JSON number outside int64 was a double at the sender (the JS SDK's JSON exporter sends
      // any integral number as intValue): keep it as one rather than fail the whole request.
      if (typeof raw === 'number' && Number.isInteger(raw) && (raw < -(2 ** 63) || raw >= 2 ** 63)) return { doubleValue: raw };
      return { intValue: integerValue(raw, p, INT64_MIN, INT64_MAX) };
    case 'doubleValue':
      return { doubleValue: doubleValue(raw, p) };
    case 'arrayValue': {
      const values = list(asObject(raw, p), 'values', 'values', p, (x, q) => readAnyValue(x, q, depth + 1));
      return { arrayValue: { values } };
    }
    case 'kvlistValue':
      return { kvlistValue: { values: attributes(asObject(raw, p), 'values', p, depth + 1) } };
    case 'bytesValue':
      if (typeof raw !== 'string' || !BASE64.test(raw)) throw new JsonShapeError(p, `expected base64, got ${describe(raw)}`);
      return { bytesValue: new Uint8Array(Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64')) };
  }
}

/** A double as a JSON number, or (protobuf JSON) a string: "NaN", "Infinity", "-Infinity" or a number. */
function doubleValue(raw: unknown, path: string): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') {
    if (raw === 'NaN') return NaN;
    if (raw === 'Infinity') return Infinity;
    if (raw === '-Infinity') return -Infinity;
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n)) return n;
  }
  throw new JsonShapeError(path, `expected a number, got ${describe(raw)}`);
}
