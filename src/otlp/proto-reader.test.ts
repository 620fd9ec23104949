import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtoDecodeError, ProtoReader, WireType, decodeUtf8, tagOf } from './proto-reader.js';
import { ProtoWriter } from './proto-writer.js';

const reader = (...bytes: number[]): ProtoReader => new ProtoReader(Uint8Array.from(bytes));

function written(write: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter(4);
  write(w);
  return w.finish();
}

describe('ProtoReader', () => {
  it('reads the varints of the protobuf encoding guide', () => {
    expect(reader(0x96, 0x01).readUint32()).toBe(150);
    expect(reader(0x01).readVarint64()).toBe(1n);
    expect(reader(0xff, 0xff, 0xff, 0xff, 0x0f).readUint32()).toBe(0xffff_ffff);
    // -1 as int64: ten bytes, sign-extended.
    const minusOne = reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    expect(BigInt.asIntN(64, minusOne.readVarint64())).toBe(-1n);
    expect(reader(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01).readVarintLow32()).toBe(-2);
  });

  it('round-trips any 64-bit varint and 32-bit value through the writer', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 0, max: 0xffff_ffff }), (big, small) => {
        const r = new ProtoReader(written((w) => { w.varint64(big); w.uint32(small); w.fixed64(big); w.fixed32(small); }));
        expect(r.readVarint64()).toBe(big);
        expect(r.readUint32()).toBe(small);
        expect(r.readFixed64(r.buf.length)).toBe(big);
        expect(r.readFixed32(r.buf.length)).toBe(small);
        expect(r.pos).toBe(r.buf.length);
      }),
    );
  });

  it('round-trips negative int32 values written sign-extended', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
        const bytes = written((w) => w.int32(v));
        expect(bytes.length).toBe(v < 0 ? 10 : bytes.length);
        expect(new ProtoReader(bytes).readVarintLow32()).toBe(v);
      }),
    );
  });

  it('round-trips doubles and strings, including multi-byte UTF-8 and long ones', () => {
    fc.assert(
      fc.property(fc.double(), fc.string({ unit: 'binary', maxLength: 300 }), (d, s) => {
        const r = new ProtoReader(written((w) => { w.double(d); w.string(s); }));
        expect(Object.is(r.readDouble(r.buf.length), d)).toBe(true);
        expect(r.readString(r.buf.length)).toBe(s);
      }),
    );
  });

  it('writes nested messages with multi-byte length prefixes', () => {
    const bytes = written((w) => {
      w.tag(1, WireType.LEN);
      const outer = w.beginMessage();
      w.tag(2, WireType.LEN);
      const inner = w.beginMessage();
      w.tag(3, WireType.LEN);
      w.string('x'.repeat(20_000));
      w.endMessage(inner);
      w.endMessage(outer);
    });
    const r = new ProtoReader(bytes);
    expect(r.readTag()).toBe(tagOf(1, WireType.LEN));
    const outerEnd = r.readDelimitedEnd(bytes.length);
    expect(outerEnd).toBe(bytes.length);
    expect(r.readTag()).toBe(tagOf(2, WireType.LEN));
    const innerEnd = r.readDelimitedEnd(outerEnd);
    expect(r.readTag()).toBe(tagOf(3, WireType.LEN));
    expect(r.readString(innerEnd)).toHaveLength(20_000);
  });

  it('skips unknown fields of every supported wire type', () => {
    // varint, fixed64, length-delimited, fixed32, then field 9 = 7
    const r = reader(0x08, 0x96, 0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1a, 2, 0xaa, 0xbb, 0x25, 1, 2, 3, 4, 0x48, 7);
    const end = r.buf.length;
    for (let i = 0; i < 4; i++) r.skipField(r.readTag(), end);
    expect(r.readTag()).toBe(tagOf(9, WireType.VARINT));
    expect(r.readVarintLow32()).toBe(7);
  });

  it('throws ProtoDecodeError for malformed input', () => {
    const cases: [number[], RegExp][] = [
      [[0x80], /truncated varint/],
      [[0x0b], /group wire type 3/],
      [[0x0c], /group wire type 4/],
      [[0x0e], /invalid wire type 6/],
      [[0x0f], /invalid wire type 7/],
      [[0x02], /invalid field number 0/],
      [[0x0a, 0x05, 0x01], /runs past the end/],
      [[0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f], /does not fit in 32 bits/],
      [[0x09, 0x01, 0x02], /truncated fixed64/],
      [[0x0d, 0x01], /truncated fixed32/],
      [[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /does not fit in 64 bits/],
      [[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02], /does not fit in 64 bits/],
    ];
    for (const [bytes, message] of cases) {
      const attempt = () => {
        const r = new ProtoReader(Uint8Array.from(bytes));
        const tag = r.readTag();
        r.skipField(tag, r.buf.length);
      };
      expect(attempt, bytes.join(',')).toThrow(ProtoDecodeError);
      expect(attempt, bytes.join(',')).toThrow(message);
    }
  });

  it('never reads a length-delimited field past the end of its enclosing message', () => {
    // An outer message of 3 bytes whose inner field claims 5.
    const r = reader(0x0a, 0x03, 0x0a, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05);
    r.readTag();
    const outerEnd = r.readDelimitedEnd(r.buf.length);
    r.readTag();
    expect(() => r.readDelimitedEnd(outerEnd)).toThrow(/runs past the end of its message/);
  });

  it('detects a field that overruns its message', () => {
    const r = reader(0x08, 0x96, 0x01);
    r.readTag();
    r.readVarintLow32();
    expect(() => r.expectEnd(2)).toThrow(/past the end of its message/);
  });

  it('decodes invalid UTF-8 to replacement characters like TextDecoder', () => {
    const bytes = Uint8Array.of(0x61, 0xff, 0x62, 0xe2, 0x82);
    expect(decodeUtf8(bytes, 0, bytes.length)).toBe(new TextDecoder().decode(bytes));
  });
});
