/**
 * Reading OTLP/JSON fields: the shape checks, field lookup by either name, and the scalar
 * conversions (64-bit integers as strings or numbers, enums as numbers or names, hex ids), each
 * failing with a `JsonShapeError` whose path the message readers in json.ts build up.
 */
/**
 * Structurally wrong input. The path is assembled while the error unwinds (each level prepends
 * its segment), so well-formed input never pays for building path strings.
 */
export class JsonShapeError extends Error {
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
export function within<T>(segment: string, read: () => T): T {
  try {
    return read();
  } catch (e: unknown) {
    if (e instanceof JsonShapeError) throw e.within(segment);
    throw e;
  }
}

export type JsonObject = { readonly [key: string]: unknown };

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(cut(v))}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

export function asObject(v: unknown): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new JsonShapeError(`expected an object, got ${describe(v)}`);
  return v as JsonObject;
}

/** The field's value under its lowerCamelCase or proto name; undefined when absent or null. */
export function get(o: JsonObject, camel: string, snake: string): unknown {
  const v = o[camel] ?? (camel === snake ? undefined : o[snake]);
  return v === null ? undefined : v;
}

export function list<T>(o: JsonObject, camel: string, snake: string, read: (v: unknown, depth: number) => T, depth = 0): T[] {
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

export function str(o: JsonObject, camel: string, snake: string): string {
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
export function bigInteger(v: unknown, min: bigint, max: bigint, field?: string): bigint {
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
export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export function uint32(o: JsonObject, camel: string, snake: string): number {
  const v = get(o, camel, snake);
  return v === undefined ? 0 : smallInteger(v, 0, UINT32_MAX, camel);
}

export function fixed64(o: JsonObject, camel: string, snake: string): bigint {
  const v = get(o, camel, snake);
  return v === undefined ? 0n : bigInteger(v, 0n, UINT64_MAX, camel);
}

/** An enum as its number or its value name (`SPAN_KIND_SERVER`). */
export function enumValue(o: JsonObject, camel: string, names: readonly string[]): number {
  const v = get(o, camel, camel);
  if (v === undefined) return 0;
  if (typeof v === 'string' && !DECIMAL.test(v)) {
    const index = names.indexOf(v);
    if (index < 0) throw new JsonShapeError(`unknown enum value ${JSON.stringify(cut(v))}`, camel);
    return index;
  }
  return smallInteger(v, INT32_MIN, INT32_MAX, camel);
}

const EMPTY: Uint8Array = new Uint8Array(0);

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** A trace or span id: hex of any even length, either case (OTLP/JSON's exception to base64 bytes). */
export function hexId(o: JsonObject, camel: string, snake: string): Uint8Array {
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
