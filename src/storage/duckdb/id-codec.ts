/**
 * Ids as the DuckDB schema stores them: a trace id is a `UHUGEINT` and a span id a `UBIGINT` whose
 * numeric value is the id's bytes read big-endian, so `printf('%032x', trace_id)` in SQL is the
 * id's hex, and numeric order is hex order. Fixed-width integers append in one copy per column and
 * compare as one machine word, where a `BLOB` costs a native call per value and a byte comparison.
 * Resource and scope ids are their 64-bit content ids as `UBIGINT`, shown as 16 hex digits.
 */
import { StorageError } from '../api/storage.js';

const TRACE_ID_HEX = /^[0-9a-f]{32}$/;
const SPAN_ID_HEX = /^[0-9a-f]{16}$/;

/** The id of span `index` in a column of 16-byte trace ids. */
export function traceIdAt(view: DataView, index: number): bigint {
  const offset = index * 16;
  return (view.getBigUint64(offset) << 64n) | view.getBigUint64(offset + 8);
}

/** The id of span `index` in a column of 8-byte span ids. */
export function spanIdAt(view: DataView, index: number): bigint {
  return view.getBigUint64(index * 8);
}

export function dataViewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Parses a lower-case 32-digit hex trace id; rejects anything else with a StorageError. */
export function parseTraceId(hex: string): bigint {
  if (!TRACE_ID_HEX.test(hex)) throw new StorageError(`malformed trace id ${JSON.stringify(hex)}: want 32 lower-case hex digits`);
  return BigInt(`0x${hex}`);
}

/** Parses a lower-case 16-digit hex span, call or resource id; rejects anything else with a StorageError. */
export function parseId64(hex: string, what: string): bigint {
  if (!SPAN_ID_HEX.test(hex)) throw new StorageError(`malformed ${what} ${JSON.stringify(hex)}: want 16 lower-case hex digits`);
  return BigInt(`0x${hex}`);
}

export function traceIdHex(id: bigint): string {
  return id.toString(16).padStart(32, '0');
}

export function id64Hex(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}
