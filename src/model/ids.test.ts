import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from './ids.js';

describe('ids', () => {
  it('writes lower-case hex of any byte range, as Node does', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 151 + 7) & 255);
    for (const [offset, length] of [[0, 0], [0, 1], [3, 8], [5, 16], [1, 32], [2, 33], [0, 300]] as const) {
      expect(bytesToHex(bytes, offset, length)).toBe(Buffer.from(bytes.subarray(offset, offset + length)).toString('hex'));
    }
    expect(bytesToHex(new Uint8Array([0x00, 0xff, 0x10, 0x0a]))).toBe('00ff100a');
    // A view into a larger buffer: offsets are the view's.
    expect(bytesToHex(new Uint8Array(bytes.buffer, 10, 4), 1, 2)).toBe(Buffer.from(bytes.subarray(11, 13)).toString('hex'));
  });

  it('reads back what it wrote, and refuses hex of the wrong length or with other characters', () => {
    const id = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    expect(hexToBytes(bytesToHex(id), 16)).toEqual(id);
    expect(hexToBytes(bytesToHex(id).toUpperCase(), 16)).toEqual(id);
    expect(hexToBytes('abc', 16)).toBeUndefined();
    expect(hexToBytes('zz'.repeat(16), 16)).toBeUndefined();
  });
});
