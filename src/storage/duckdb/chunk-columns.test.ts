import { BIGINT, BOOLEAN, DuckDBDataChunk, DuckDBInstance, LIST, UHUGEINT, UINTEGER, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnVector, validityOf, writeFixed, writeListEntries, writeTexts } from './chunk-columns.js';

describe('chunk columns', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
  });
  afterAll(() => {
    conn.closeSync();
    instance.closeSync();
  });

  /** Appends one chunk of `rows` rows, filled by `fill`, to a new table of `types`, and reads it back. */
  async function roundTrip(types: readonly DuckDBType[], rows: number, fill: (chunk: DuckDBDataChunk) => void): Promise<unknown[][]> {
    await conn.run(`CREATE OR REPLACE TABLE t (${types.map((type, i) => `c${i} ${type.toString()}`).join(', ')})`);
    const chunk = DuckDBDataChunk.create([...types], rows);
    fill(chunk);
    const appender = await conn.createAppender('t');
    appender.appendDataChunk(chunk);
    appender.closeSync();
    return (await conn.runAndReadAll('SELECT * FROM t')).getRowsJS();
  }

  it('writes through the very binding @duckdb/node-api loads: its vectors are handles of that binding', () => {
    const require = createRequire(import.meta.url);
    const nodeApi = require.resolve('@duckdb/node-api');
    expect(require.resolve('@duckdb/node-bindings', { paths: [nodeApi] })).toBe(require.resolve('@duckdb/node-bindings'));
  });

  it('marks only the invalid rows, and needs no mask when every row is valid', () => {
    expect(validityOf(70, () => true)).toBeUndefined();
    const mask = validityOf(70, (i) => i !== 3 && i !== 65)!;
    expect(mask.length).toBe(16); // two 64-bit words
    expect(mask[0]).toBe(0xff & ~(1 << 3));
    expect(mask[8]).toBe(0xff & ~(1 << 1));
    expect([...mask].filter((b) => b !== 0xff)).toHaveLength(2);
  });

  it('writes fixed columns with NULLs, and lists from an offset with empty lists and NULL elements', async () => {
    const big = 2n ** 100n + 5n;
    // Values 90 and 91 precede the chunk's lists: its lists start at 2.
    const values = new Uint32Array([90, 91, 10, 0, 12, 13]);
    const read = await roundTrip([UHUGEINT, UINTEGER, BIGINT, BOOLEAN, LIST(UINTEGER)], 3, (chunk) => {
      writeFixed(columnVector(chunk, 0), new BigUint64Array([5n, 2n ** 36n, 1n, 0n, big & (2n ** 64n - 1n), big >> 64n]));
      writeFixed(columnVector(chunk, 1), new Uint32Array([7, 0, 4_000_000_000]), validityOf(3, (i) => i !== 1));
      writeFixed(columnVector(chunk, 2), new BigInt64Array([-1n, 2n ** 62n, 0n]));
      writeFixed(columnVector(chunk, 3), new Uint8Array([1, 0, 1]));
      const child = writeListEntries(columnVector(chunk, 4), 3, new Uint32Array([4, 4, 6]), 2);
      const elements = values.subarray(2);
      writeFixed(child, elements, validityOf(elements.length, (i) => elements[i] !== 0));
    });
    expect(read).toEqual([
      [(2n ** 36n << 64n) + 5n, 7, -1n, true, [10, null]],
      [1n, null, 2n ** 62n, false, []],
      [big, 4_000_000_000, 0n, true, [12, 13]],
    ]);
  });

  it('writes texts by code: repeats share a string, short and long, with NULLs, NULs and any Unicode', async () => {
    const dictionary = ['short', 'a text longer than twelve bytes', 'nul \u0000 inside', 'ünïcødé 🚀', ''];
    const utf8 = (code: number) => new TextEncoder().encode(dictionary[code - 1]!);
    const codes = new Uint32Array([2, 1, 0, 2, 3, 1, 4, 5, 2, 0]);
    const listEnds = new Uint32Array([1, 1, 3, 3, 3, 3, 3, 3, 3, 4]); // rows 0, 2 (two texts) and 9 have lists
    const listCodes = new Uint32Array([2, 2, 0, 4]);
    const read = await roundTrip([VARCHAR, LIST(VARCHAR)], codes.length, (chunk) => {
      writeTexts(columnVector(chunk, 0), codes.length, codes, utf8);
      writeTexts(writeListEntries(columnVector(chunk, 1), codes.length, listEnds, 0), listCodes.length, listCodes, utf8);
    });
    const text = (code: number) => (code === 0 ? null : dictionary[code - 1]);
    expect(read.map(([value]) => value)).toEqual([...codes].map(text));
    expect(read.map(([, list]) => list)).toEqual([[text(2)], [], [text(2), null], [], [], [], [], [], [], [text(4)]]);
  });

  it('writes texts whose codes never repeat, and a column that is all NULL', async () => {
    const utf8 = (code: number) => new TextEncoder().encode(`text number ${code} of the test`);
    const read = await roundTrip([VARCHAR, VARCHAR], 3, (chunk) => {
      writeTexts(columnVector(chunk, 0), 3, new Uint32Array([3, 1, 2]), utf8);
      writeTexts(columnVector(chunk, 1), 3, new Uint32Array(3), utf8);
    });
    expect(read).toEqual([
      ['text number 3 of the test', null],
      ['text number 1 of the test', null],
      ['text number 2 of the test', null],
    ]);
  });
});
