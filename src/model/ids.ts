/** Trace and span ids: bytes on the wire and in the store, lower-case hex at the edges (JSON, URLs). */

export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;

/** The two lower-case hex digits of each byte value, as character codes. */
const HEX_CODES = Uint8Array.from({ length: 512 }, (_, i) => '0123456789abcdef'.charCodeAt(i % 2 === 0 ? i >> 5 : (i >> 1) & 15));
const SCRATCH_BYTES = 32;
const scratch = Buffer.alloc(2 * SCRATCH_BYTES);

/**
 * Lower-case hex of `bytes[offset .. offset + length)`. This runs per span on the ingest path
 * (trace ids as map keys, span ids in skeletons), so an id becomes one flat string: its digits go to
 * a scratch buffer that Node decodes in one native call. Building it by `+=` made a cons string per
 * byte, ~0.5 KB of garbage per trace id, most of the assembler's allocation (heap profile of
 * `bench:ingest`, session 8).
 */
export function bytesToHex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  if (length > SCRATCH_BYTES) return Buffer.from(bytes.buffer, bytes.byteOffset + offset, length).toString('hex');
  for (let i = 0; i < length; i++) {
    const b = bytes[offset + i]! << 1;
    scratch[2 * i] = HEX_CODES[b]!;
    scratch[2 * i + 1] = HEX_CODES[b + 1]!;
  }
  return scratch.toString('latin1', 0, 2 * length);
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
