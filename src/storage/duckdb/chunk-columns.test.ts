import { BIGINT, BOOLEAN, DuckDBDataChunk, DuckDBInstance, LIST, UHUGEINT, UINTEGER } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { setFixedColumn, setListColumn, validityOf } from './chunk-columns.js';

describe('chunk columns', () => {
  it('marks only the invalid rows, and needs no mask when every row is valid', () => {
    expect(validityOf(70, () => true)).toBeUndefined();
    const mask = validityOf(70, (i) => i !== 3 && i !== 65)!;
    expect(mask.length).toBe(16); // two 64-bit words
    expect(mask[0]).toBe(0xff & ~(1 << 3));
    expect(mask[8]).toBe(0xff & ~(1 << 1));
    expect([...mask].filter((b) => b !== 0xff)).toHaveLength(2);
  });

  it('appends fixed columns with NULLs, and lists from an offset with empty lists and NULL elements', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      await conn.run('CREATE TABLE t (id UHUGEINT, n UINTEGER, big BIGINT, flag BOOLEAN, xs UINTEGER[])');
      const rows = 3;
      const chunk = DuckDBDataChunk.create([UHUGEINT, UINTEGER, BIGINT, BOOLEAN, LIST(UINTEGER)], rows);
      const big = 2n ** 100n + 5n;
      setFixedColumn(chunk, 0, new BigUint64Array([5n, 2n ** 36n, 1n, 0n, big & (2n ** 64n - 1n), big >> 64n]));
      setFixedColumn(chunk, 1, new Uint32Array([7, 0, 4_000_000_000]), validityOf(rows, (i) => i !== 1));
      setFixedColumn(chunk, 2, new BigInt64Array([-1n, 2n ** 62n, 0n]));
      setFixedColumn(chunk, 3, new Uint8Array([1, 0, 1]));
      // Values 90 and 91 precede the chunk's lists: the lists start at 2.
      const values = new Uint32Array([90, 91, 10, 0, 12, 13]);
      setListColumn(chunk, 4, rows, new Uint32Array([4, 4, 6]), 2, values, validityOf(4, (i) => values[2 + i] !== 0));
      const appender = await conn.createAppender('t');
      appender.appendDataChunk(chunk);
      appender.closeSync();
      const read = (await conn.runAndReadAll('SELECT id, n, big, flag, xs FROM t')).getRowsJS();
      expect(read).toEqual([
        [(2n ** 36n << 64n) + 5n, 7, -1n, true, [10, null]],
        [1n, null, 2n ** 62n, false, []],
        [big, 4_000_000_000, 0n, true, [12, 13]],
      ]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
