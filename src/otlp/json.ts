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

/**
 * Structurally wrong input. The path is assembled while the error unwinds (each level prepends
 * its segment), so well-formed input never pays for building path strings.
 */
class JsonShapeError extends Error {
  readonly problem: string;
  private readonly segments: string[] = [];

  constructor(problem: string, field?: string) {
    super(problem);
    this.problem = problem;
    if (field !== undefined) this.segments.push(field);
  }

  /** Prepends a path segment: a field name or an `[index]`. */
  within(segment: string): this {
    this.segments.push(segment);
    return this;
  }

  /**
   * The path from the request down, e.g. `resourceSpans[0].scopeSpans[1].spans[2].traceId`. A
   * path through deeply nested values keeps its first and last segments around a count of the
   * ones left out, so messages stay readable.
   */
  path(): string {
    let out = '';
    const n = this.segments.length;
    for (let i = n - 1; i >= 0; i--) {
      if (n > MAX_PATH_SEGMENTS && i === n - 1 - MAX_PATH_SEGMENTS / 2) {
        const skipped = n - MAX_PATH_SEGMENTS;
        out += `…(${skipped} more)…`;
        i -= skipped - 1;
        continue;
      }
      const segment = this.segments[i]!;
      out += out === '' || segment.startsWith('[') ? segment : `.${segment}`;
    }
    return out === '' ? 'request' : out;
  }
}

/** Paths longer than this many segments (values nested deep) are shortened in messages. */
const MAX_PATH_SEGMENTS = 24;

/** Runs `read`, prefixing the path of any shape error it throws with `segment`. */
function within<T>(segment: string, read: () => T): T {
  try {
    return read();
  } catch (e: unknown) {
    if (e instanceof JsonShapeError) throw e.within(segment);
    throw e;
  }
}

type JsonObject = { readonly [key: string]: unknown };

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(cut(v))}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function asObject(v: unknown): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new JsonShapeError(`expected an object, got ${describe(v)}`);
  return v as JsonObject;
}

/** The field's value under its lowerCamelCase or proto name; undefined when absent or null. */
function get(o: JsonObject, camel: string, snake: string): unknown {
  const v = o[camel] ?? (camel === snake ? undefined : o[snake]);
  return v === null ? undefined : v;
}

function list<T>(o: JsonObject, camel: string, snake: string, read: (v: unknown, depth: number) => T, depth = 0): T[] {
  const v = get(o, camel, snake);
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new JsonShapeError(`expected an array, got ${describe(v)}`, camel);
  const out = new Array<T>(v.length);
  for (let i = 0; i < v.length; i++) {
    try {
      out[i] = read(v[i], depth);
    } catch (e: unknown) {
      if (e instanceof JsonShapeError) throw e.within(`[${i}]`).within(camel);
      throw e;
    }
  }
  return out;
}

function str(o: JsonObject, camel: string, snake: string): string {
  const v = get(o, camel, snake);
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new JsonShapeError(`expected a string, got ${describe(v)}`, camel);
  return v;
}

const DECIMAL = /^-?[0-9]+$/;
/**
 * More significant digits than any 64-bit integer has. Longer decimal strings are out of range
 * without converting them: `BigInt(text)` takes quadratic time in the length, and a request body
 * may hold megabytes of digits.
 */
const MAX_INTEGER_DIGITS = 20;

/** An integer given as a JSON number or a decimal string, within `[min, max]`. */
function bigInteger(v: unknown, min: bigint, max: bigint, field?: string): bigint {
  let n: bigint;
  if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && DECIMAL.test(v)) n = significantDigits(v) <= MAX_INTEGER_DIGITS ? BigInt(v) : outOfRange(v, field);
  else throw new JsonShapeError(`expected an integer, got ${describe(v)}`, field);
  if (n < min || n > max) outOfRange(n, field);
  return n;
}

function significantDigits(decimal: string): number {
  let i = decimal.startsWith('-') ? 1 : 0;
  while (i < decimal.length - 1 && decimal.charCodeAt(i) === 0x30) i++;
  return decimal.length - i;
}

function outOfRange(v: string | bigint, field: string | undefined): never {
  throw new JsonShapeError(`integer ${cut(String(v))} out of range`, field);
}

/** Text from the input, cut to a length fit for a message. */
function cut(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** A small integer field (uint32, int32, enum number), without going through bigint for plain numbers. */
function smallInteger(v: unknown, min: number, max: number, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  return Number(bigInteger(v, BigInt(min), BigInt(max), field));
}

const UINT32_MAX = 0xffff_ffff;
const UINT64_MAX = 0xffff_ffff_ffff_ffffn;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function uint32(o: JsonObject, camel: string, snake: string): number {
  const v = get(o, camel, snake);
  return v === undefined ? 0 : smallInteger(v, 0, UINT32_MAX, camel);
}

function fixed64(o: JsonObject, camel: string, snake: string): bigint {
  const v = get(o, camel, snake);
  return v === undefined ? 0n : bigInteger(v, 0n, UINT64_MAX, camel);
}

/** An enum as its number or its value name (`SPAN_KIND_SERVER`). */
function enumValue(o: JsonObject, camel: string, names: readonly string[]): number {
  const v = get(o, camel, camel);
  if (v === undefined) return 0;
  if (typeof v === 'string' && !DECIMAL.test(v)) {
    const index = names.indexOf(v);
    if (index < 0) throw new JsonShapeError(`unknown enum value ${JSON.stringify(cut(v))}`, camel);
    return index;
  }
  return smallInteger(v, INT32_MIN, INT32_MAX, camel);
}

const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

const EMPTY: Uint8Array = new Uint8Array(0);

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** A trace or span id: hex of any even length, either case (OTLP/JSON's exception to base64 bytes). */
function hexId(o: JsonObject, camel: string, snake: string): Uint8Array {
  const v = get(o, camel, snake);
  if (v === undefined || v === '') return EMPTY;
  if (typeof v === 'string' && v.length % 2 === 0) {
    const out = new Uint8Array(v.length / 2);
    let i = 0;
    for (; i < out.length; i++) {
      const hi = hexDigit(v.charCodeAt(2 * i));
      const lo = hexDigit(v.charCodeAt(2 * i + 1));
      if (hi < 0 || lo < 0) break;
      out[i] = hi * 16 + lo;
    }
    if (i === out.length) return out;
  }
  throw new JsonShapeError(`expected a hex id, got ${describe(v)}`, camel);
}

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
