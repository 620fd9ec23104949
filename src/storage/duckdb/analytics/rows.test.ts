import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { percentileSql } from './rows.js';

/** The contract's nearest rank, as the oracle computes it. */
function nearestRank(values: readonly bigint[], q: number): bigint {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

describe('percentileSql', () => {
  it('is nearest rank (sorted[ceil(q·n) − 1]) in DuckDB, for every group size up to 2,000 and a few large ones', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      // Durations with repeats (mod 997) and out of order (hash), one group per size.
      await conn.run(`CREATE TABLE d AS
        SELECT g.n, (hash(g.n, x.i) % 997)::BIGINT AS duration_ns
        FROM (SELECT range AS n FROM range(1, 2001) UNION ALL SELECT unnest([9999, 65536, 100003])) g(n), LATERAL (SELECT range AS i FROM range(g.n)) x`);
      const rows = (
        await conn.runAndReadAll(`SELECT n, list(duration_ns), ${percentileSql(0.5)}, ${percentileSql(0.9)}, ${percentileSql(0.99)} FROM d GROUP BY n`)
      ).getRows();
      expect(rows.length).toBe(2003);
      const mismatches: string[] = [];
      for (const [n, list, p50, p90, p99] of rows) {
        const values = (list as { items: bigint[] }).items;
        const expected = [0.5, 0.9, 0.99].map((q) => nearestRank(values, q));
        if (expected[0] !== p50 || expected[1] !== p90 || expected[2] !== p99) mismatches.push(`n=${String(n)}: ${String([p50, p90, p99])} vs ${String(expected)}`);
      }
      expect(mismatches).toEqual([]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it('refuses a quantile outside (0, 1]', () => {
    expect(() => percentileSql(0)).toThrow(RangeError);
    expect(() => percentileSql(1.5)).toThrow(RangeError);
  });
});
