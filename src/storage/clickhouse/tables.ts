/**
 * The one place table names come from. On a single node every name is the plain table; in cluster
 * mode (later) reads and writes go through `Distributed` tables named like the plain ones, and
 * `local` names the per-shard `*_local` tables. Since every table is sharded by `trace_id`, a
 * subquery that only needs the same trace's rows may read the local table and stays shard-local.
 *
 * Plain names are unqualified: the connection's default database decides where they live. The
 * `local` names of a cluster are qualified with the database, because a subquery that a shard
 * runs for a distributed query resolves unqualified names in that server's `default` database.
 */
export interface ClickHouseTableNames {
  readonly spans: string;
  readonly resources: string;
  readonly scopes: string;
  readonly calls: string;
  readonly superseded_calls: string;
  readonly derivations: string;
  readonly meta: string;
}

export interface ClickHouseTables extends ClickHouseTableNames {
  /** The shard-local tables; the same names as above on a single node. */
  readonly local: ClickHouseTableNames;
  /** The cluster for `ON CLUSTER` DDL and `Distributed` tables; absent on a single node. */
  readonly cluster?: string;
  /**
   * Whether some shard of the cluster has several replicas: the local tables are then
   * `Replicated*MergeTree` (replication.ts). Only decides how tables are created.
   */
  readonly replicated?: boolean;
}

const PLAIN: ClickHouseTableNames = {
  spans: 'spans',
  resources: 'resources',
  scopes: 'scopes',
  calls: 'calls',
  superseded_calls: 'superseded_calls',
  derivations: 'derivations',
  meta: 'meta',
};

/**
 * How each table is sharded in cluster mode: by trace id wherever rows belong to a trace, so a
 * trace's spans, calls, superseded generations and derivation live on one shard and trace-local
 * subqueries may read the `local` tables.
 */
export const SHARDING_KEYS: Readonly<Record<keyof ClickHouseTableNames, string>> = {
  spans: 'cityHash64(trace_id)',
  resources: 'cityHash64(id)',
  scopes: 'cityHash64(id)',
  calls: 'cityHash64(trace_id)',
  superseded_calls: 'cityHash64(trace_id)',
  derivations: 'cityHash64(trace_id)',
  meta: 'cityHash64(key)',
};

/** The tables of a single-node store. */
export const SINGLE_NODE_TABLES: ClickHouseTables = { ...PLAIN, local: PLAIN };

/**
 * The tables of a store in `database` on `cluster`: Distributed tables under the plain names,
 * `database.*_local` on every shard (replicated when `replicated`). `cluster` and `database` must
 * be plain identifiers.
 */
export function clusterTables(cluster: string, database: string, replicated = false): ClickHouseTables {
  const local = Object.fromEntries(Object.entries(PLAIN).map(([k, v]) => [k, `${database}.${v}_local`])) as unknown as ClickHouseTableNames;
  return { ...PLAIN, local, cluster, ...(replicated ? { replicated } : {}) };
}

/** A possibly database-qualified table name without its database. */
export function bareTableName(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}
