/**
 * Every value that enters ClickHouse SQL goes through this module. ClickHouse 18.16 has no query
 * parameters, so values are written into the statement as literals; these functions validate what
 * they are given and escape by ClickHouse's string-literal rules (a backslash escapes; `\\`, `\'`,
 * `\n`, `\t`, `\r`, `\0`, `\xHH` are understood by every version since 1.1), so no input can end a
 * literal early.
 *
 * The same literals serve as `INSERT … VALUES` rows: the `Values` format parses exactly this
 * syntax, including raw non-UTF-8 bytes inside quotes, which is how binary columns (payloads,
 * FixedString trace ids) are inserted byte-exact without hex or base64 (`ValuesWriter.bytes` in
 * `values-writer.ts`, the one other place that quotes).
 */
import { StorageError } from '../api/storage.js';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const TRACE_ID_HEX = /^[0-9a-f]{32}$/;
const ID64_HEX = /^[0-9a-f]{16}$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Characters escaped in text literals: the two that could end or bend the literal, and the
// control characters that would make logged statements unreadable.
const TEXT_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\0': '\\0',
};

/** A string as a quoted literal: `'it\'s'`. Any JavaScript string is accepted. */
export function stringLiteral(value: string): string {
  return `'${value.replace(/[\\'\n\r\t\0]/g, (c) => TEXT_ESCAPES[c]!)}'`;
}

/** A nullable string: `NULL` or a literal. */
export function nullableStringLiteral(value: string | null): string {
  return value === null ? 'NULL' : stringLiteral(value);
}

/** `['a', 'b']`: an `Array(String)` literal. */
export function stringArrayLiteral(values: readonly string[]): string {
  return `[${values.map(stringLiteral).join(',')}]`;
}

/** A signed 64-bit integer; rejects anything outside Int64. */
export function int64Literal(value: bigint): string {
  if (value < INT64_MIN || value > INT64_MAX) throw new StorageError(`${value} does not fit a signed 64-bit integer`);
  return value.toString();
}

/**
 * An unsigned 64-bit integer; rejects anything outside UInt64. A bare decimal: 18.16 parses
 * literals above 2^63 as UInt64 exactly (checked), and the `Values` format's fast path needs bare
 * numbers (a `toUInt64(…)` call would send each row through the slow expression parser).
 */
export function uint64Literal(value: bigint): string {
  if (value < 0n || value > UINT64_MAX) throw new StorageError(`${value} does not fit an unsigned 64-bit integer`);
  return value.toString();
}

/** `[1,2]` as an `Array(UInt64)` value in a query; the empty array is typed (never `Array(Nothing)`). */
export function uint64ArrayLiteral(values: readonly bigint[]): string {
  if (values.length === 0) return 'emptyArrayUInt64()';
  return `arrayMap(x -> toUInt64(x), [${values.map(uint64Literal).join(',')}])`;
}

/** A lower-case 32-digit hex trace id as a `FixedString(16)` value in a query. 18.16 refuses `fixed IN (unhex('…'))` (String vs FixedString in IN), hence the cast. */
export function traceIdLiteral(hex: string): string {
  if (!TRACE_ID_HEX.test(hex)) throw new StorageError(`malformed trace id ${JSON.stringify(hex)}: want 32 lower-case hex digits`);
  return `toFixedString(unhex('${hex}'), 16)`;
}

/** A 16-digit hex span, call or content id as a UInt64 literal. */
export function id64Literal(hex: string, what: string): string {
  return uint64Literal(parseId64(hex, what));
}

/** Parses a lower-case 16-digit hex id; rejects anything else with a StorageError. */
export function parseId64(hex: string, what: string): bigint {
  if (!ID64_HEX.test(hex)) throw new StorageError(`malformed ${what} ${JSON.stringify(hex)}: want 16 lower-case hex digits`);
  return BigInt(`0x${hex}`);
}

/** Checks a lower-case 32-digit hex trace id; rejects anything else with a StorageError. */
export function checkTraceId(hex: string): string {
  if (!TRACE_ID_HEX.test(hex)) throw new StorageError(`malformed trace id ${JSON.stringify(hex)}: want 32 lower-case hex digits`);
  return hex;
}

/** A database, table or cluster name: plain identifiers only, so they need no quoting. */
export function identifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new StorageError(`${what} ${JSON.stringify(name)} must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)`);
  return name;
}
