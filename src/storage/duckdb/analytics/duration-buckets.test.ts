import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { SerialConnection } from '../connection.js';
import { bucketMidpoint, durationBucket, durationBucketSql, histogramPercentile } from './duration-buckets.js';

/** 0–300, every power of two up to 2^62 with its neighbours, and a spread of ordinary durations. */
function probes(): bigint[] {
  const values: bigint[] = [-5n, -1n];
  for (let v = 0n; v <= 300n; v++) values.push(v);
  for (let e = 7n; e <= 62n; e++) {
    const p = 1n << e;
    values.push(p - 1n, p, p + 1n, p + (p >> 1n), (p << 1n) - 1n);
  }
  let x = 12_345n;
  for (let i = 0; i < 2_000; i++) {
    x = (x * 6_364_136_223_846_793_005n + 1_442_695_040_888_963_407n) & ((1n << 63n) - 1n);
    values.push(x >> BigInt(i % 50));
  }
  return values;
}

describe('duration buckets', () => {
  it('are the same in JavaScript and in DuckDB', async () => {
    const values = probes();
    const instance = await DuckDBInstance.create(':memory:');
    const conn = new SerialConnection(await instance.connect());
    try {
      const rows = (await conn.query(`SELECT v, ${durationBucketSql('v')} FROM (SELECT unnest([${values.join(', ')}]::BIGINT[]) AS v)`)).getRows();
      expect(rows).toHaveLength(values.length);
      for (const [v, bucket] of rows) expect(bucket, String(v)).toBe(durationBucket(v as bigint));
    } finally {
      conn.close();
      instance.closeSync();
    }
  });

  it('grow with the values they hold, and a midpoint is within 1/128 of every value in its bucket', () => {
    const values = probes().filter((v) => v >= 0n).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let previous = -1;
    for (const v of values) {
      const bucket = durationBucket(v);
      expect(bucket).toBeGreaterThanOrEqual(previous);
      previous = bucket;
      const mid = bucketMidpoint(bucket);
      expect(durationBucket(mid), String(v)).toBe(bucket);
      const error = mid > v ? mid - v : v - mid;
      expect(error * 128n <= v, `${v} → ${mid}`).toBe(true);
    }
    expect(durationBucket(-3n)).toBe(0);
    expect(bucketMidpoint(durationBucket(100n))).toBe(100n);
  });

  it('give the bucket of the nearest-rank percentile', () => {
    const durations = [5n, 1_000n, 1_001n, 250_000n, 3_000_000n, 3_000_001n, 7n, 90_000_000_000n];
    const counts = new Map<number, number>();
    for (const d of durations) counts.set(durationBucket(d), (counts.get(durationBucket(d)) ?? 0) + 1);
    const sorted = [...durations].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const q of [0.01, 0.5, 0.9, 0.99, 1]) {
      const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
      expect(histogramPercentile(counts, q), String(q)).toBe(bucketMidpoint(durationBucket(exact)));
    }
    expect(histogramPercentile(new Map(), 0.5)).toBe(0n);
  });
});
