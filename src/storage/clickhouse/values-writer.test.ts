import { describe, expect, it } from 'vitest';
import { ValuesWriter } from './values-writer.js';

describe('ValuesWriter', () => {
  it('escapes only backslash and quote in binary values and keeps every other byte raw', () => {
    const bytes = new Uint8Array([0x00, 0x27, 0x5c, 0xff, 0x0a, 0x27, 0x27, 0x5c, 0x80]);
    const body = new ValuesWriter(4).openRow().bytes(bytes).closeRow().finish();
    expect([...body]).toEqual([0x28, 0x27, 0x00, 0x5c, 0x27, 0x5c, 0x5c, 0xff, 0x0a, 0x5c, 0x27, 0x5c, 0x27, 0x5c, 0x5c, 0x80, 0x27, 0x29]);
  });

  it('separates rows with commas and grows past its initial size', () => {
    const writer = new ValuesWriter(2);
    for (let i = 0; i < 1000; i++) writer.openRow().text(`${i},'é'`).closeRow();
    const text = writer.finish().toString('utf8');
    expect(writer.rows).toBe(1000);
    expect(text.startsWith("(0,'é'),(1,'é')")).toBe(true);
    expect(text.endsWith("(999,'é')")).toBe(true);
  });

  it('writes empty and special-free byte strings whole', () => {
    const big = new Uint8Array(100_000).fill(0x41);
    const body = new ValuesWriter(8).openRow().bytes(new Uint8Array(0)).text(',').bytes(big).closeRow().finish();
    expect(body.length).toBe(1 + 2 + 1 + (100_000 + 2) + 1);
  });
});
