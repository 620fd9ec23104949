import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLICKHOUSE_CLUSTER_MISSING, CLICKHOUSE_MISSING, clickHouseAvailable, clickHouseClusterAvailable, startClickHouse, startClickHouseCluster } from './server.js';
import type { ClickHouseTestCluster, ClickHouseTestServer } from './server.js';

async function sql(url: string, statement: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', body: statement });
  const text = await res.text();
  if (!res.ok) throw new Error(text);
  return text.trim();
}

describe.skipIf(!clickHouseAvailable())(`clickhouse test server (skipped when ${CLICKHOUSE_MISSING})`, () => {
  describe('single server', () => {
    let server: ClickHouseTestServer;
    beforeAll(async () => {
      server = await startClickHouse();
    });
    afterAll(async () => {
      await server.stop();
    });

    it('answers queries on its HTTP url', async () => {
      expect(await sql(server.url, 'SELECT 1 + 1')).toBe('2');
    });

    it('is gone after stop, and stop is idempotent', async () => {
      const other = await startClickHouse();
      expect(await sql(other.url, 'SELECT 1')).toBe('1');
      await other.stop();
      await other.stop();
      await expect(fetch(`${other.url}/ping`)).rejects.toThrow();
    });
  });

  describe.skipIf(!clickHouseClusterAvailable())(`two-shard cluster (skipped when ${CLICKHOUSE_CLUSTER_MISSING})`, () => {
    let cluster: ClickHouseTestCluster;
    beforeAll(async () => {
      cluster = await startClickHouseCluster(2);
    }, 120_000);
    afterAll(async () => {
      await cluster.stop();
    });

    it('names the cluster on every node with one replica per shard', async () => {
      for (const node of cluster.nodes) {
        const shards = await sql(node.url, `SELECT count() FROM system.clusters WHERE cluster = '${cluster.cluster}'`);
        expect(shards).toBe('2');
      }
    });

    it('runs ON CLUSTER DDL on every node and reaches every shard through the cluster', async () => {
      await sql(cluster.url, `CREATE TABLE IF NOT EXISTS default.probe ON CLUSTER ${cluster.cluster} (n UInt8) ENGINE = Memory`);
      for (const [i, node] of cluster.nodes.entries()) await sql(node.url, `INSERT INTO default.probe VALUES (${i + 1})`);
      const all = await sql(cluster.url, `SELECT arraySort(groupArray(n)) FROM cluster('${cluster.cluster}', default.probe)`);
      expect(all).toBe('[1,2]');
    });
  });
});
