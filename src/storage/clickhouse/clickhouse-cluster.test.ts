import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spanBatch, spanIdHex, traceIdHex, serviceCall } from '../conformance/fixtures.js';
import { storageConformance } from '../conformance/suite.js';
import { ClickHouseConnection } from './connection.js';
import { openClickHouseStorage } from './clickhouse-storage.js';
import { CLICKHOUSE_CLUSTER_MISSING, clickHouseClusterAvailable, startClickHouseCluster } from './testing/server.js';
import type { ClickHouseTestCluster } from './testing/server.js';

const T = 1_700_000_000_000_000_000n;

describe.skipIf(!clickHouseClusterAvailable())(`clickhouse storage on a two-shard cluster (skipped when ${CLICKHOUSE_CLUSTER_MISSING})`, () => {
  let cluster: ClickHouseTestCluster;
  let databases = 0;
  beforeAll(async () => {
    cluster = await startClickHouseCluster(2);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  const freshDatabase = (): string => `c${process.pid}_${++databases}`;
  const dropDatabase = async (database: string): Promise<void> => {
    const conn = new ClickHouseConnection({ url: cluster.url, database: 'default' });
    await conn.command(`DROP DATABASE IF EXISTS ${database} ON CLUSTER ${cluster.cluster}`);
    await conn.close();
  };

  // One database for the whole suite, emptied on every node after each test: `ON CLUSTER` DDL
  // waits for ZooKeeper and every node (~0.1–0.3 s per statement), and a fresh database costs 17.
  const suiteDatabase = freshDatabase();
  const emptyEveryNode = async (): Promise<void> => {
    for (const node of cluster.nodes) {
      const conn = new ClickHouseConnection({ url: node.url, database: suiteDatabase });
      for (const row of await conn.query(`SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%\\_local'`)) {
        await conn.command(`TRUNCATE TABLE ${String(row['name'])}`);
      }
      await conn.close();
    }
  };
  storageConformance('clickhouse (two shards)', async () => {
    const open = () => openClickHouseStorage({ url: cluster.url, database: suiteDatabase, cluster: cluster.cluster, purgeMarginMs: 0 });
    return { storage: await open(), reopen: open, cleanup: emptyEveryNode };
  });

  it('keeps each trace on one shard, spreads traces over both, and reads them from either node', async () => {
    const database = freshDatabase();
    const storage = await openClickHouseStorage({ url: cluster.url, database, cluster: cluster.cluster, purgeMarginMs: 0 });
    const traces = Array.from({ length: 40 }, (_, i) => traceIdHex(i + 1));
    const { seq } = await storage.appendSpans(spanBatch(traces.flatMap((traceId) => [1, 2, 3].map((n) => ({ traceId, spanId: spanIdHex(n) })))));
    await storage.replaceTraceCalls(traces.map((traceId) => ({ traceId, calls: [serviceCall({ traceId, callId: spanIdHex(1), startTimeUnixNano: T })], derivedSeq: seq, firstDerivation: true })));

    const perNode = await Promise.all(cluster.nodes.map(async (node) => {
      const conn = new ClickHouseConnection({ url: node.url, database });
      const spans = await conn.query('SELECT lower(hex(trace_id)) AS t, count() AS n FROM spans_local GROUP BY t');
      const calls = await conn.query('SELECT lower(hex(trace_id)) AS t FROM calls_local');
      await conn.close();
      return { spans: new Map(spans.map((r) => [String(r['t']), Number(r['n'])])), calls: calls.map((r) => String(r['t'])) };
    }));
    for (const node of perNode) {
      expect(node.spans.size).toBeGreaterThan(0);
      for (const n of node.spans.values()) expect(n).toBe(3);
      // A trace's calls sit beside its spans.
      for (const t of node.calls) expect(node.spans.has(t)).toBe(true);
    }
    expect(perNode.reduce((sum, node) => sum + node.spans.size, 0)).toBe(traces.length);

    const viaSecond = await openClickHouseStorage({ url: cluster.nodes[1]!.url, database, cluster: cluster.cluster, purgeMarginMs: 0 });
    for (const t of traces.slice(0, 5)) {
      expect((await viaSecond.getTrace(t)).spans).toHaveLength(3);
      expect(await viaSecond.getTraceCalls(t)).toHaveLength(1);
    }
    await viaSecond.close();
    await storage.close();
    await dropDatabase(database);
  });
});
