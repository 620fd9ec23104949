import type { AnyValue, KeyValue } from '../model/otlp.js';
import { jsonText } from './json-text.js';

/** A Jaeger JSON key-value (span tag, process tag or log field) after a shape check. */
export interface JaegerKeyValue {
  readonly key: string;
  readonly value: AnyValue;
  /** The value as text, for tags that steer the conversion (`span.kind`, `error`, …). */
  readonly text: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function inferred(value: unknown): AnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isSafeInteger(value) ? { intValue: BigInt(value) } : { doubleValue: value };
  return { stringValue: value === undefined ? '' : jsonText(value) };
}

/**
 * A Jaeger typed value as an OTLP value: `string`, `bool`, `int64` (a JSON number or a decimal
 * string, read exactly when it is a string), `float64`, `binary` (base64, which is how Jaeger's
 * JSON writes bytes). A value that does not fit its declared type, or a missing or unknown type,
 * is read by its JSON type instead, so nothing the user recorded is dropped.
 */
export function jaegerValue(type: unknown, value: unknown): AnyValue {
  switch (typeof type === 'string' ? type.toLowerCase() : undefined) {
    case 'string':
      return typeof value === 'string' ? { stringValue: value } : inferred(value);
    case 'bool':
      if (typeof value === 'boolean') return { boolValue: value };
      if (value === 'true' || value === 'false') return { boolValue: value === 'true' };
      return inferred(value);
    case 'int64':
      if (typeof value === 'number' && Number.isInteger(value)) return { intValue: BigInt(value) };
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return { intValue: BigInt(value) };
      return inferred(value);
    case 'float64':
      if (typeof value === 'number') return { doubleValue: value };
      if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return { doubleValue: Number(value) };
      return inferred(value);
    case 'binary':
      if (typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value)) return { bytesValue: new Uint8Array(Buffer.from(value, 'base64')) };
      return inferred(value);
    default:
      return inferred(value);
  }
}

function text(value: AnyValue): string {
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return String(value.boolValue);
  if ('intValue' in value) return value.intValue.toString();
  if ('doubleValue' in value) return String(value.doubleValue);
  if ('bytesValue' in value) return Buffer.from(value.bytesValue).toString('base64');
  return '';
}

/** Reads a Jaeger `[{key, type, value}]` list; entries without a string key are dropped and counted. */
export function jaegerKeyValues(list: unknown): { values: JaegerKeyValue[]; invalid: number } {
  const values: JaegerKeyValue[] = [];
  let invalid = 0;
  if (!Array.isArray(list)) return { values, invalid: list === undefined || list === null ? 0 : 1 };
  for (const entry of list) {
    if (!isRecord(entry) || typeof entry['key'] !== 'string') {
      invalid++;
      continue;
    }
    const value = jaegerValue(entry['type'], entry['value']);
    values.push({ key: entry['key'], value, text: text(value) });
  }
  return { values, invalid };
}

export function toKeyValues(values: readonly JaegerKeyValue[]): KeyValue[] {
  return values.map(({ key, value }) => ({ key, value }));
}
