/**
 * The ClickHouse analytics on a two-shard cluster: the same answers as the oracle when `calls`,
 * `spans`, `superseded_calls` and `resources` are `Distributed` tables sharded by trace id over
 * two real servers. This is what the statements' layout promises (call-queries on ClickHouse,
 * `analytics.ts`): the outer table is the distributed one, every subquery reads the shard-local
 * tables and relates rows of one trace only, and every aggregate merges exactly.
 *
 * The store's own cluster mode (DDL `ON CLUSTER`, writes) is not what is tested here: the data is
 * written by a single-node store on the first server and copied through the `Distributed` tables,
 * which places every row on the shard of its trace; each node gets its local tables directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldBacktrace } from '../../src/analysis/backtrace.js';
import { foldFlow } from '../../src/analysis/flow.js';
import type { FocalFilter } from '../../src/storage/api/call-queries.js';
import { ClickHouseAnalytics } from '../../src/storage/clickhouse/analytics/analytics.js';
import { openClickHouseStorage } from '../../src/storage/clickhouse/clickhouse-storage.js';
import { ClickHouseConnection, ensureDatabase } from '../../src/storage/clickhouse/connection.js';
import { dialectFor, loadMigrations, statementsOf } from '../../src/storage/clickhouse/schema.js';
import { SHARDING_KEYS, bareTableName, clusterTables, type ClickHouseTableNames } from '../../src/storage/clickhouse/tables.js';
import { CLICKHOUSE_MISSING, clickHouseAvailable, startClickHouseCluster, type ClickHouseTestCluster } from '../../src/storage/clickhouse/testing/server.js';
import { casesOf, feed, topologyOf, type Cases, type Topology } from './differential-cases.js';

const SEEDS = [3, 11];
const COPIED: readonly (keyof ClickHouseTableNames)[] = ['spans', 'calls', 'superseded_calls', 'resources'];
const LIMIT_MS = 900_000;

/** Runs a statement on one node with settings in the URL (DDL, INSERT … SELECT). */
async function exec(url: string, database: string, sql: string, settings: Record<string, string> = {}): Promise<void> {
  const params = new URLSearchParams({ database, ...settings });
  const response = await fetch(`${url}/?${params.toString()}`, { method: 'POST', body: sql });
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}\n${sql}`);
}

describe.skipIf(!clickHouseAvailable())(`ClickHouse analytics over a two-shard cluster${clickHouseAvailable() ? '' : ` (skipped: ${CLICKHOUSE_MISSING})`}`, { timeout: LIMIT_MS }, () => {
  let cluster: ClickHouseTestCluster | undefined;
  const stores = new Map<number, { topology: Topology; cases: Cases; analytics: ClickHouseAnalytics; conn: ClickHouseConnection }>();

  beforeAll(async () => {
    cluster = await startClickHouseCluster(2);
    const first = cluster.nodes[0]!.url;
    const migrations = await loadMigrations();
    for (const seed of SEEDS) {
      const source = `source_${seed}`;
      const sharded = `sharded_${seed}`;
      const tables = clusterTables(cluster.cluster, sharded);
      const { cluster: _, ...perNode } = tables;
      // The data: a single-node store on the first server, fed through the real ingest path.
      const topology = topologyOf(seed);
      const storage = await openClickHouseStorage({ url: first, database: source });
      const logs: string[] = [];
      await feed({ storage, logs, close: () => storage.close() }, topology);
      await storage.close();
      expect(logs).toEqual([]);
      // The local tables on every node, the Distributed ones on the first (the query's initiator).
      for (const node of cluster.nodes) {
        await ensureDatabase(node.url, sharded);
        for (const migration of migrations) {
          for (const statement of statementsOf(migration.text, perNode, dialectFor({ text: '18.16', major: 18, minor: 16 }))) await exec(node.url, sharded, statement);
        }
      }
      for (const table of COPIED) {
        await exec(first, sharded, `CREATE TABLE ${tables[table]} AS ${tables.local[table]} ENGINE = Distributed(${cluster.cluster}, ${sharded}, ${bareTableName(tables.local[table])}, ${SHARDING_KEYS[table]})`);
        await exec(first, sharded, `INSERT INTO ${tables[table]} SELECT * FROM ${source}.${table}`, { insert_distributed_sync: '1' });
      }
      // (`clusterTables` qualifies the local names with the database: a shard runs the forwarded
      // query in its user's default database, and Distributed rewrites only the outer table.)
      const conn = new ClickHouseConnection({ url: first, database: sharded });
      stores.set(seed, { topology, cases: casesOf(topology, seed), analytics: new ClickHouseAnalytics(conn, tables), conn });
    }
  }, LIMIT_MS);

  afterAll(async () => {
    for (const { conn } of stores.values()) await conn.close();
    await cluster?.stop();
  });

  for (const seed of SEEDS) {
    it(`puts calls of seed ${seed} on both shards`, async () => {
      for (const node of cluster!.nodes) {
        const conn = new ClickHouseConnection({ url: node.url, database: `sharded_${seed}` });
        try {
          const rows = await conn.query('SELECT count() AS n FROM calls_local');
          expect(Number(rows[0]?.['n'])).toBeGreaterThan(0);
        } finally {
          await conn.close();
        }
      }
    });

    it(`answers as the oracle does, seed ${seed}`, async () => {
      const { topology, cases, analytics } = stores.get(seed)!;
      const oracle = topology.oracle;
      const at = (what: string, value: unknown) => `${what} ${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
      for (const window of cases.windows) {
        expect(await analytics.serviceSummaries(window), at('window', window)).toEqual(oracle.serviceSummaries(window));
        for (const zone of cases.zones) expect(await analytics.serviceSummaries(window, zone), at('zone', zone)).toEqual(oracle.serviceSummaries(window, zone));
      }
      for (const name of cases.names) expect(await analytics.serviceKinds(name), name).toEqual(oracle.serviceKinds(name));
      const bucketMs = (f: FocalFilter) => Math.max(1, Math.ceil(Number((f.toUnixNano - f.fromUnixNano) / 1_000_000n) / 7));
      for (const filter of cases.filters) {
        const tree = oracle.backtrace(filter);
        expect(foldBacktrace(filter.service, await analytics.backtraceGroups(filter)), at('backtrace', filter)).toEqual(tree);
        for (const caller of tree.callers.filter((c) => c.kind !== 'unknown').slice(0, 2)) {
          const path = [{ kind: caller.kind, name: caller.name }];
          expect(await analytics.backtraceDetails(filter, path, 5), at('details', { filter, path })).toEqual(oracle.backtraceDetails(filter, path, 5));
        }
        expect(await analytics.backtraceDetails(filter, [], 5), at('details', filter)).toEqual(oracle.backtraceDetails(filter, [], 5));
        expect(foldFlow(filter.service, await analytics.flowGroups(filter)), at('flow', filter)).toEqual(oracle.flow(filter));
        expect(await analytics.serviceNeighbourhood(filter), at('neighbourhood', filter)).toEqual(oracle.serviceNeighbourhood(filter));
        expect(await analytics.failures(filter, bucketMs(filter)), at('failures', filter)).toEqual(oracle.failures(filter, bucketMs(filter)));
        const query = { ...filter, limit: 10 };
        expect(await analytics.findTraces(query), at('traces', query)).toEqual(oracle.findTraces(query));
      }
      const wide = { ...cases.windows[1]!, limit: 1_000 };
      expect(await analytics.findTraces(wide)).toEqual(oracle.findTraces(wide));
      expect(await analytics.findTraces({ ...wide, failedOnly: true })).toEqual(oracle.findTraces({ ...wide, failedOnly: true }));
      expect(await analytics.findTraces({ ...wide, zone: cases.zones[1]! })).toEqual(oracle.findTraces({ ...wide, zone: cases.zones[1]! }));
    });
  }
});
