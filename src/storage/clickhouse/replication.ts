/**
 * Replicated shards: when a shard of the store's cluster has more than one replica, the `*_local`
 * tables use the `Replicated*MergeTree` engines, which copy every inserted part among the replicas
 * of a shard through ZooKeeper. The schema text names the plain engines; `replicatedEngine`
 * rewrites a `CREATE TABLE` statement, so one text serves both.
 *
 * The replica path is `/clickhouse/tables/{shard}/<database>/<table>` with replica name
 * `{replica}`: ClickHouse fills both macros from each server's `<macros>` config when the table is
 * created, so the replicas of one shard share a path and different shards never do. The cluster
 * must set `<internal_replication>true</internal_replication>` on every shard, or the
 * `Distributed` tables write each row to every replica and replication then copies it again.
 */
import { StorageError } from '../api/storage.js';
import type { ClickHouseQueryRunner } from './connection.js';
import { stringLiteral } from './sql-literal.js';

/** The ZooKeeper path of a replicated table; `{shard}` is a server macro, not a placeholder. */
export function replicaPath(database: string, table: string): string {
  return `/clickhouse/tables/{shard}/${database}/${table}`;
}

const CREATE = /^CREATE TABLE IF NOT EXISTS ([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\b/;
/** `ENGINE = MergeTree`, `ENGINE = ReplacingMergeTree(ver)` …: the family, and its arguments. */
const ENGINE = /\bENGINE = ([A-Za-z]*)MergeTree(?:\(([^()]*)\))?/;

/**
 * `statement` with its `*MergeTree` engine made replicated; statements that create no MergeTree
 * table (none in the schema so far) are returned as they are. The table must be named with its
 * database (`db.spans_local`), as `clusterTables` names them: the path needs both.
 */
export function replicatedEngine(statement: string): string {
  const engine = ENGINE.exec(statement);
  if (!engine) return statement;
  const created = CREATE.exec(statement);
  if (!created) throw new StorageError(`cannot make a replicated table of a statement that does not create a database-qualified table: ${statement.slice(0, 80)}`);
  const [, database, table] = created;
  const [whole, family = '', args] = engine;
  if (family.startsWith('Replicated')) return statement;
  const replicated = [stringLiteral(replicaPath(database!, table!)), `'{replica}'`, ...(args === undefined || args.trim() === '' ? [] : [args.trim()])];
  return statement.replace(whole, `ENGINE = Replicated${family}MergeTree(${replicated.join(', ')})`);
}

/** Whether some shard of `cluster` has more than one replica (`system.clusters` of this server). */
export async function clusterIsReplicated(conn: ClickHouseQueryRunner, cluster: string): Promise<boolean> {
  const rows = await conn.query(`SELECT count() AS nodes, max(replica_num) AS replicas FROM system.clusters WHERE cluster = ${stringLiteral(cluster)}`);
  if (Number(rows[0]?.['nodes'] ?? 0) === 0) throw new StorageError(`the ClickHouse cluster ${cluster} is not in this server's remote_servers (system.clusters)`);
  return Number(rows[0]?.['replicas'] ?? 1) > 1;
}
