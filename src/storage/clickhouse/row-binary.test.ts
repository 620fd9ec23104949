import { describe, expect, it } from 'vitest';
import { RowBinaryWriter } from './row-binary.js';

describe('RowBinaryWriter', () => {
  it('writes strings with LEB128 lengths of every width, in UTF-8', () => {
    for (const text of ['', 'é', 'x'.repeat(127), 'x'.repeat(128), '日'.repeat(6000), 'y'.repeat(2_100_000)]) {
      const body = new RowBinaryWriter(4).string(text).finish();
      let length = 0;
      let shift = 1;
      let at = 0;
      for (;;) {
        const b = body[at++]!;
        length += (b & 0x7f) * shift;
        shift *= 128;
        if (b < 0x80) break;
      }
      expect(length).toBe(Buffer.byteLength(text));
      expect(body.subarray(at).toString('utf8')).toBe(text);
    }
  });

  it('writes integers little-endian and big-endian ids reversed', () => {
    const id = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const body = new RowBinaryWriter(1).uint64FromBigEndian(id, 0).uint64(2n ** 64n - 2n).int64(-2n).uint8(255).finish();
    expect([...body.subarray(0, 8)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(body.readBigUInt64LE(8)).toBe(2n ** 64n - 2n);
    expect(body.readBigInt64LE(16)).toBe(-2n);
    expect(body[24]).toBe(255);
  });

  it('copies bytes raw behind their length', () => {
    const bytes = new Uint8Array([0, 0x27, 0x5c, 0xff]);
    const body = new RowBinaryWriter(1).row().fixed(bytes).bytes(bytes).finish();
    expect([...body]).toEqual([0, 0x27, 0x5c, 0xff, 4, 0, 0x27, 0x5c, 0xff]);
  });
});
