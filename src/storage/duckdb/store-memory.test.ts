import { describe, expect, it } from 'vitest';
import { parseByteSize } from './store-memory.js';

describe('parseByteSize', () => {
  it('reads sizes as DuckDB prints them', () => {
    expect(parseByteSize('1.8 GiB')).toBe(Math.round(1.8 * 2 ** 30));
    expect(parseByteSize('512.0 MiB')).toBe(512 * 2 ** 20);
    expect(parseByteSize('976.5 KiB')).toBe(999_936);
    expect(parseByteSize('0 bytes')).toBe(0);
    expect(parseByteSize('2GB')).toBe(2e9);
    for (const bad of ['', 'lots', '1.8 parsecs', '-1 GiB', '80%']) expect(parseByteSize(bad)).toBeNaN();
  });
});
