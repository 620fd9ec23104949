/**
 * The analytics' arithmetic, evaluated by a real `clickhouse-server` (Debian's 18.16 here): the
 * nearest-rank percentile expression against the contract's definition for every group size up
 * to 600, and the bucket index for windows whose `start − from` leaves Int64.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseConnection } from '../connection.js';
import { CLICKHOUSE_MISSING, clickHouseAvailable, startClickHouse, type ClickHouseTestServer } from '../testing/server.js';
import { bucketIndexSql } from './failures.js';
import { percentileSql, toBigInt } from './rows.js';

/** The contract's nearest rank (`sorted[ceil(q·n) − 1]`), as the oracle computes it. */
function nearestRank(values: readonly bigint[], q: number): bigint {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

describe.skipIf(!clickHouseAvailable())(`analytics expressions on a real server${clickHouseAvailable() ? '' : ` (skipped: ${CLICKHOUSE_MISSING})`}`, () => {
  let server: ClickHouseTestServer | undefined;
  let conn: ClickHouseConnection | undefined;
  beforeAll(async () => {
    server = await startClickHouse();
    conn = new ClickHouseConnection({ url: server.url, database: 'default' });
  });
  afterAll(async () => {
    await conn?.close();
    await server?.stop();
  });

  it('percentileSql is nearest rank for every group size up to 600 and q = 0.5, 0.9, 0.99', async () => {
    // Durations with repeats (mod 997) and out of order (hash), one group per size.
    const rows = await conn!.query(`SELECT n, groupArray(duration_ns) AS values,
      ${percentileSql(0.5, 'duration_ns')} AS p50, ${percentileSql(0.9, 'duration_ns')} AS p90, ${percentileSql(0.99, 'duration_ns')} AS p99
    FROM (SELECT n, toInt64(intHash32(n * 100000 + i) % 997) - 300 AS duration_ns FROM (SELECT number + 1 AS n FROM system.numbers LIMIT 600) ARRAY JOIN range(n) AS i)
    GROUP BY n`);
    expect(rows.length).toBe(600);
    const mismatches: string[] = [];
    for (const row of rows) {
      const values = (row['values'] as unknown[]).map(toBigInt);
      const actual = [row['p50'], row['p90'], row['p99']].map(toBigInt);
      const expected = [0.5, 0.9, 0.99].map((q) => nearestRank(values, q));
      if (actual.join() !== expected.join()) mismatches.push(`n=${String(row['n'])}: ${actual.join()} vs ${expected.join()}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('bucketIndexSql places calls in the right bucket, also when start − from leaves Int64', async () => {
    const min = -(1n << 63n);
    const max = (1n << 63n) - 1n;
    const cases: { from: bigint; bucket: bigint; start: bigint }[] = [
      { from: 1_767_225_600_000_000_000n, bucket: 60_000_000_000n, start: 1_767_225_600_000_000_000n },
      { from: 1_767_225_600_000_000_000n, bucket: 60_000_000_000n, start: 1_767_225_719_999_999_999n },
      { from: min, bucket: 1_000_000n, start: max },
      { from: min - 5_000_000n, bucket: 3_000_000n, start: min },
      { from: min - 5_000_000n, bucket: 3_000_000n, start: min + 1_000_000n },
      { from: min - 5_000_000n, bucket: 3_000_000n, start: 1_767_225_600_000_000_000n },
      { from: -(1n << 70n), bucket: 1n << 62n, start: 0n },
    ];
    for (const { from, bucket, start } of cases) {
      const index = bucketIndexSql('c', from, bucket);
      const rows = await conn!.query(`SELECT ${index.sql} AS bucket FROM (SELECT toInt64(${start}) AS start_time_ns) AS c`);
      expect(index.first + toBigInt(rows[0]?.['bucket']), `${from} ${bucket} ${start}`).toBe((start - from) / bucket);
    }
  });
});
