/**
 * A growable protobuf wire-format writer. Nested messages are written in place: `beginMessage`
 * reserves one length byte, `endMessage` fills it in and, for a message of 128 bytes or more,
 * shifts the content right to make room for a longer length prefix (cheap next to encoding the
 * content, and only as many times as messages are nested).
 */
import { WireType } from './proto-reader.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const scratch = new ArrayBuffer(8);
const scratchBytes = new Uint8Array(scratch);
const scratchF64 = new Float64Array(scratch);
const scratchU64 = new BigUint64Array(scratch);
const utf8 = new TextEncoder();

function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

export class ProtoWriter {
  private buf: Uint8Array;
  pos = 0;

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(initialCapacity);
  }

  private ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  /** The bytes written so far (a copy sized exactly to the content). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  tag(fieldNumber: number, wireType: WireType): void {
    this.uint32(fieldNumber * 8 + wireType);
  }

  /** Writes a non-negative integer below 2^32 as a varint. */
  uint32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    let v = value >>> 0;
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /** Writes an `int32`/enum value; negative values are sign-extended to 10 bytes as protobuf requires. */
  int32(value: number): void {
    if (value >= 0) this.uint32(value);
    else this.varint64(BigInt(value));
  }

  /** Writes a 64-bit varint (two's complement for negative values). */
  varint64(value: bigint): void {
    this.ensure(10);
    const buf = this.buf;
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[this.pos++] = Number(v);
  }

  fixed32(value: number): void {
    this.ensure(4);
    const v = value >>> 0;
    const buf = this.buf;
    buf[this.pos++] = v & 0xff;
    buf[this.pos++] = (v >>> 8) & 0xff;
    buf[this.pos++] = (v >>> 16) & 0xff;
    buf[this.pos++] = v >>> 24;
  }

  /** Writes the low 64 bits of `value` as a little-endian `fixed64`. */
  fixed64(value: bigint): void {
    scratchU64[0] = BigInt.asUintN(64, value);
    this.scratch8();
  }

  double(value: number): void {
    scratchF64[0] = value;
    this.scratch8();
  }

  private scratch8(): void {
    this.ensure(8);
    const buf = this.buf;
    if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) buf[this.pos++] = scratchBytes[i]!;
    else for (let i = 7; i >= 0; i--) buf[this.pos++] = scratchBytes[i]!;
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  string(value: string): void {
    const n = value.length;
    // ASCII strings shorter than 128 characters are the common case: one length byte, one pass.
    if (n < 0x80) {
      this.ensure(1 + n);
      const buf = this.buf;
      const lengthAt = this.pos;
      let pos = lengthAt + 1;
      let ascii = true;
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        buf[pos++] = c;
      }
      if (ascii) {
        buf[lengthAt] = n;
        this.pos = pos;
        return;
      }
    }
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.uint32(byteLength);
    this.ensure(byteLength);
    utf8.encodeInto(value, this.buf.subarray(this.pos, this.pos + byteLength));
    this.pos += byteLength;
  }

  /** Starts a length-delimited nested message; pass the result to `endMessage`. */
  beginMessage(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Ends the nested message begun at `lengthAt`, writing its length prefix. */
  endMessage(lengthAt: number): void {
    const contentStart = lengthAt + 1;
    const length = this.pos - contentStart;
    const prefix = varintSize(length);
    if (prefix > 1) {
      this.ensure(prefix - 1);
      this.buf.copyWithin(contentStart + prefix - 1, contentStart, this.pos);
      this.pos += prefix - 1;
    }
    const buf = this.buf;
    let at = lengthAt;
    let v = length;
    while (v >= 0x80) {
      buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[at] = v;
  }
}
