/** Trace and span ids: bytes on the wire and in the store, lower-case hex at the edges (JSON, URLs). */

export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToHex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  let out = '';
  for (let i = offset; i < offset + length; i++) out += HEX[bytes[i]!]!;
  return out;
}

/** Parses hex (either case) into bytes; returns undefined when `hex` is not exactly `byteLength` bytes of hex. */
export function hexToBytes(hex: string, byteLength: number): Uint8Array | undefined {
  if (hex.length !== byteLength * 2 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(byteLength);
  for (let i = 0; i < byteLength; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function isAllZero(bytes: Uint8Array, offset = 0, length = bytes.length - offset): boolean {
  for (let i = offset; i < offset + length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** A lower-case 32-hex-digit trace id, or undefined if `text` is not one (64-bit ids are left-padded). */
export function normalizeTraceIdHex(text: string): string | undefined {
  const hex = text.trim().toLowerCase();
  if (!/^[0-9a-f]{1,32}$/.test(hex)) return undefined;
  const padded = hex.padStart(32, '0');
  return /^0+$/.test(padded) ? undefined : padded;
}
