/**
 * Resource attributes in the DuckDB store, two ways:
 *
 * - `resources.attributes`: a lossless JSON text in the OTLP/JSON shape (`[{"key", "value":
 *   {"stringValue": …}}]`), with protobuf-JSON conventions where plain JSON falls short: `intValue`
 *   as a decimal string, `bytesValue` as base64, and non-finite or negative-zero doubles as the
 *   strings "NaN", "Infinity", "-Infinity", "-0". It is read back into `KeyValue`s exactly.
 * - `resources.attribute_strings`: `MAP(VARCHAR, VARCHAR)` of key → value as text, for zone rules
 *   in SQL (`attribute_strings['k8s.namespace.name']`). Strings as-is, booleans `true`/`false`,
 *   integers in decimal, doubles as JavaScript prints them, bytes as base64, arrays and maps as
 *   their OTLP/JSON text, empty values as ''. A key given twice keeps its last value.
 */
import type { AnyValue, KeyValue } from '../../model/otlp.js';

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function encodeAttributes(attributes: readonly KeyValue[]): string {
  return JSON.stringify(attributes.map(keyValueToJson));
}

export function decodeAttributes(text: string): KeyValue[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error('stored attributes are not a JSON array');
  return parsed.map(keyValueFromJson);
}

/** Key → text form; a repeated key keeps its last value. */
export function flattenAttributes(attributes: readonly KeyValue[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const { key, value } of attributes) out.set(key, valueToText(value));
  return out;
}

function valueToText(value: AnyValue): string {
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return String(value.boolValue);
  if ('intValue' in value) return value.intValue.toString();
  if ('doubleValue' in value) return String(value.doubleValue);
  if ('bytesValue' in value) return Buffer.from(value.bytesValue).toString('base64');
  if ('empty' in value) return '';
  return JSON.stringify(valueToJson(value));
}

function keyValueToJson(kv: KeyValue): JsonValue {
  return { key: kv.key, value: valueToJson(kv.value) };
}

function valueToJson(value: AnyValue): JsonValue {
  if ('stringValue' in value) return { stringValue: value.stringValue };
  if ('boolValue' in value) return { boolValue: value.boolValue };
  if ('intValue' in value) return { intValue: value.intValue.toString() };
  if ('doubleValue' in value) return { doubleValue: doubleToJson(value.doubleValue) };
  if ('bytesValue' in value) return { bytesValue: Buffer.from(value.bytesValue).toString('base64') };
  if ('arrayValue' in value) return { arrayValue: { values: value.arrayValue.values.map(valueToJson) } };
  if ('kvlistValue' in value) return { kvlistValue: { values: value.kvlistValue.values.map(keyValueToJson) } };
  return {};
}

function doubleToJson(x: number): number | string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

function doubleFromJson(x: unknown): number {
  if (typeof x === 'number') return x;
  switch (x) {
    case 'NaN':
      return Number.NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    case '-0':
      return -0;
    default:
      throw new Error(`stored double ${JSON.stringify(x)} is not a number`);
  }
}

function keyValueFromJson(json: unknown): KeyValue {
  const obj = asObject(json);
  if (typeof obj.key !== 'string') throw new Error('stored attribute has no string key');
  return { key: obj.key, value: valueFromJson(obj.value) };
}

function valueFromJson(json: unknown): AnyValue {
  const obj = asObject(json);
  if ('stringValue' in obj) return { stringValue: String(obj.stringValue) };
  if ('boolValue' in obj) return { boolValue: obj.boolValue === true };
  if ('intValue' in obj) return { intValue: BigInt(String(obj.intValue)) };
  if ('doubleValue' in obj) return { doubleValue: doubleFromJson(obj.doubleValue) };
  if ('bytesValue' in obj) {
    const buf = Buffer.from(String(obj.bytesValue), 'base64');
    return { bytesValue: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
  }
  if ('arrayValue' in obj) return { arrayValue: { values: listOf(asObject(obj.arrayValue).values).map(valueFromJson) } };
  if ('kvlistValue' in obj) return { kvlistValue: { values: listOf(asObject(obj.kvlistValue).values).map(keyValueFromJson) } };
  return { empty: true };
}

function asObject(json: unknown): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('stored attribute value is not an object');
  return json as Record<string, unknown>;
}

function listOf(json: unknown): unknown[] {
  if (!Array.isArray(json)) throw new Error('stored attribute list is not an array');
  return json;
}
