import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { percentilesSql } from './percentiles.js';

/** The contract's nearest rank, as the oracle computes it. */
function nearestRank(values: readonly bigint[], q: number): bigint {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

describe('percentilesSql', () => {
  it('picks nearest rank (sorted[ceil(q·n) − 1]) for each fraction, for every group size up to 2,000 and a few large ones', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      // Durations with repeats (mod 997), negative ones, and out of order (hash), one group per size.
      await conn.run(`CREATE TABLE d AS
        SELECT g.n, (hash(g.n, x.i) % 997)::BIGINT - 300 AS duration_ns
        FROM (SELECT range AS n FROM range(1, 2001) UNION ALL SELECT unnest([9999, 65536, 100003])) g(n), LATERAL (SELECT range AS i FROM range(g.n)) x`);
      const qs = [0.5, 0.9, 0.99];
      const rows = (await conn.runAndReadAll(`SELECT n, list(duration_ns), ${percentilesSql(qs)} FROM d GROUP BY n`)).getRows();
      expect(rows.length).toBe(2003);
      const mismatches: string[] = [];
      for (const [n, list, picked] of rows) {
        const values = (list as { items: bigint[] }).items;
        const got = (picked as { items: bigint[] }).items;
        const expected = qs.map((q) => nearestRank(values, q));
        if (String(got) !== String(expected)) mismatches.push(`n=${String(n)}: ${String(got)} vs ${String(expected)}`);
      }
      expect(mismatches).toEqual([]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it('refuses no fractions, or one outside (0, 1]', () => {
    expect(() => percentilesSql([])).toThrow(RangeError);
    expect(() => percentilesSql([0.5, 0])).toThrow(RangeError);
    expect(() => percentilesSql([1.5])).toThrow(RangeError);
  });
});
