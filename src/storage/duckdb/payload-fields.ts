/**
 * The query columns of a span read back out of its OTLP protobuf payload: trace id (field 1),
 * span id (2), parent span id (4), name (5), kind (6), start (7), end (8) and status (15: message
 * 2, code 3). A span block (`span-blocks.ts`) stores a span's columns only when they differ from
 * what this reader finds in its payload; for spans decoded from OTLP they never do, so the ids,
 * times and names are stored once, inside the payload, instead of twice.
 *
 * The reader is strict on purpose: any payload it does not read as one plain `Span` (malformed,
 * a field repeated, a known field with an unexpected wire type or size, a group) gives
 * `undefined`, and the span's columns are stored explicitly. It never throws and reads each byte
 * at most once, whatever the payload holds (the contract treats payloads as opaque bytes).
 */

/** `PayloadFields.parentIdAt` of a payload without a parent span id. */
export const NO_PARENT_ID = -1;

export interface PayloadFields {
  /** Offsets into the payload of the 16-byte trace id and 8-byte span id. */
  readonly traceIdAt: number;
  readonly spanIdAt: number;
  /** Offset of the 8-byte parent span id, or `NO_PARENT_ID` when the payload has none (a root span). */
  readonly parentIdAt: number;
  /** The name's UTF-8 bytes: [nameStart, nameEnd). */
  readonly nameStart: number;
  readonly nameEnd: number;
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  /** Offsets of the 8-byte start and end times; -1 when the payload leaves one out (0). */
  readonly startAt: number;
  readonly endAt: number;
  readonly statusCode: number;
  /** The status message's UTF-8 bytes: [messageStart, messageEnd). */
  readonly messageStart: number;
  readonly messageEnd: number;
}

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** Reads `payload` as a plain `Span`, or `undefined` (see the header). */
export function readPayloadFields(payload: Uint8Array): PayloadFields | undefined {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const end = payload.length;
  let pos = 0;
  let seen = 0;
  let traceIdAt = -1;
  let spanIdAt = -1;
  let parentIdAt = NO_PARENT_ID;
  let nameStart = 0;
  let nameEnd = 0;
  let kind = 0;
  let start = 0n;
  let finish = 0n;
  let startAt = -1;
  let endAt = -1;
  let statusCode = 0;
  let messageStart = 0;
  let messageEnd = 0;
  while (pos < end) {
    const tag = readVarint(payload, pos, end);
    if (tag < 0) return undefined;
    pos = next;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (isKnown(field)) {
      const bit = 1 << field;
      if ((seen & bit) !== 0) return undefined;
      seen |= bit;
    }
    if (wire === VARINT) {
      const value = readVarint(payload, pos, end);
      if (value < 0) return undefined;
      pos = next;
      if (field === 6) {
        if (value > 255) return undefined;
        kind = value;
      } else if (isKnown(field)) return undefined;
    } else if (wire === I64) {
      if (pos + 8 > end) return undefined;
      if (field === 7) {
        start = view.getBigInt64(pos, true);
        startAt = pos;
      } else if (field === 8) {
        finish = view.getBigInt64(pos, true);
        endAt = pos;
      }
      else if (isKnown(field)) return undefined;
      pos += 8;
    } else if (wire === LEN) {
      const length = readVarint(payload, pos, end);
      const at = next;
      if (length < 0 || at + length > end) return undefined;
      pos = at + length;
      if (field === 1) {
        if (length !== 16) return undefined;
        traceIdAt = at;
      } else if (field === 2) {
        if (length !== 8) return undefined;
        spanIdAt = at;
      } else if (field === 4) {
        if (length === 8) parentIdAt = at;
        else if (length !== 0) return undefined;
      } else if (field === 5) {
        nameStart = at;
        nameEnd = pos;
      } else if (field === 15) {
        const status = readStatus(payload, at, pos);
        if (status === undefined) return undefined;
        ({ statusCode, messageStart, messageEnd } = status);
      } else if (isKnown(field)) return undefined;
    } else if (wire === I32) {
      if (pos + 4 > end || isKnown(field)) return undefined;
      pos += 4;
    } else {
      return undefined;
    }
  }
  if (traceIdAt < 0 || spanIdAt < 0) return undefined;
  return { traceIdAt, spanIdAt, parentIdAt, nameStart, nameEnd, kind, startTimeUnixNano: start, endTimeUnixNano: finish, startAt, endAt, statusCode, messageStart, messageEnd };
}

function isKnown(field: number): boolean {
  return field === 1 || field === 2 || field === 4 || field === 5 || field === 6 || field === 7 || field === 8 || field === 15;
}

/** A `Status` message: message (2, string) and code (3, varint), each at most once, nothing else known. */
function readStatus(buf: Uint8Array, from: number, end: number): { statusCode: number; messageStart: number; messageEnd: number } | undefined {
  let pos = from;
  let statusCode = 0;
  let messageStart = 0;
  let messageEnd = 0;
  let seen = 0;
  while (pos < end) {
    const tag = readVarint(buf, pos, end);
    if (tag < 0) return undefined;
    pos = next;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 2 || field === 3) {
      if ((seen & (1 << field)) !== 0) return undefined;
      seen |= 1 << field;
    }
    if (wire === VARINT) {
      const value = readVarint(buf, pos, end);
      if (value < 0) return undefined;
      pos = next;
      if (field === 3) {
        if (value > 255) return undefined;
        statusCode = value;
      } else if (field === 2) return undefined;
    } else if (wire === LEN) {
      const length = readVarint(buf, pos, end);
      const at = next;
      if (length < 0 || at + length > end) return undefined;
      if (field === 2) {
        messageStart = at;
        messageEnd = at + length;
      } else if (field === 3) return undefined;
      pos = at + length;
    } else if (wire === I64 && field !== 2 && field !== 3 && pos + 8 <= end) {
      pos += 8;
    } else if (wire === I32 && field !== 2 && field !== 3 && pos + 4 <= end) {
      pos += 4;
    } else {
      return undefined;
    }
  }
  return { statusCode, messageStart, messageEnd };
}

/** Where the last `readVarint` stopped (a module variable: no object per varint on this hot path). */
let next = 0;

/** Where the last `readVarint` stopped. */
export function varintEnd(): number {
  return next;
}

/** A varint of at most 7 bytes (values below 2^49, exact as numbers), ending at `next`; -1 when longer or cut off. */
export function readVarint(buf: Uint8Array, pos: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7 && pos < end; i++) {
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      next = pos;
      return value;
    }
    scale *= 128;
  }
  return -1;
}
