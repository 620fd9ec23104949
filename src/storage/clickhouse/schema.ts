/**
 * The ClickHouse schema as versioned migrations: `sql/NNN_name.sql`, applied in order by `migrate`.
 * `schema_version` holds one row per applied migration; opening a store applies the missing ones
 * and refuses a database written by a newer Tributary (a version this code does not know).
 *
 * ClickHouse DDL is not transactional, so a migration is a list of idempotent statements
 * (`IF NOT EXISTS`, `ADD COLUMN IF NOT EXISTS`) and its version is recorded after the last one: a
 * crash midway re-runs the whole migration at the next start, harmlessly. Two processes starting at
 * once may both apply it; for the same reason that is harmless too (readers take `max(version)`).
 *
 * One schema text serves every server: placeholders (see the head of `001_init.sql`) become
 * modern types where the server has them, table names come from `tables.ts`, and on a cluster
 * with replicated shards the engines become `Replicated*` (`replication.ts`).
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { StorageError } from '../api/storage.js';
import type { ClickHouseConnection, ServerVersion } from './connection.js';
import { replicatedEngine } from './replication.js';
import { identifier } from './sql-literal.js';
import { SHARDING_KEYS, bareTableName } from './tables.js';
import type { ClickHouseTableNames, ClickHouseTables } from './tables.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  /** The SQL text with placeholders. */
  readonly text: string;
}

const MIGRATION_FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/**
 * Where the `.sql` files are: beside this module when running from `src/` (tsx, vitest), or, when
 * running the compiled `dist/storage/clickhouse/schema.js`, in the source tree it was built from
 * (`tsc` does not copy them; the repository and the npm package both ship `src/`).
 */
export function sqlDirectory(): string {
  const candidates = [new URL('./sql/', import.meta.url), new URL('../../../src/storage/clickhouse/sql/', import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(dir)) return dir;
  }
  throw new StorageError(`the ClickHouse schema files are missing (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
}

/** Every migration file, in version order. */
export async function loadMigrations(dir: string = sqlDirectory()): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const match = MIGRATION_FILE.exec(name);
    if (!match) continue;
    migrations.push({ version: Number(match[1]), description: match[2]!.replaceAll('_', ' '), text: await readFile(`${dir}/${name}`, 'utf8') });
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new StorageError(`ClickHouse migrations must be numbered 001, 002, … without gaps; found ${m.version} at position ${i + 1}`);
  });
  return migrations;
}

/** What the placeholders become on a given server. */
export interface SchemaDialect {
  readonly lcString: string;
  readonly blobCodec: string;
}

/**
 * 18.16 needs `allow_experimental_low_cardinality_type` for LowCardinality and has no column
 * codecs; from 19.x on both are there. Cutting at 20 keeps to versions where both are GA.
 */
export function dialectFor(version: ServerVersion): SchemaDialect {
  const modern = version.major >= 20;
  return { lcString: modern ? 'LowCardinality(String)' : 'String', blobCodec: modern ? ' CODEC(ZSTD(1))' : '' };
}

/** The statements of a migration text with its placeholders filled in. */
export function statementsOf(text: string, tables: ClickHouseTables, dialect: SchemaDialect): string[] {
  const withoutComments = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  const filled = withoutComments.replace(/\{\{([a-z_]+)\}\}/g, (_, name: string) => {
    if (name === 'on_cluster') return tables.cluster === undefined ? '' : ` ON CLUSTER ${tables.cluster}`;
    if (name === 'lc_string') return dialect.lcString;
    if (name === 'blob_codec') return dialect.blobCodec;
    if (name in tables.local) return tables.local[name as keyof ClickHouseTableNames];
    throw new StorageError(`unknown placeholder {{${name}}} in the ClickHouse schema`);
  });
  const statements = filled
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return tables.replicated === true ? statements.map(replicatedEngine) : statements;
}

const SCHEMA_VERSION = 'schema_version';

/** Applies the missing migrations; resolves with the schema version now in place. */
export async function migrate(conn: ClickHouseConnection, tables: ClickHouseTables, migrations?: readonly Migration[]): Promise<number> {
  const all = migrations ?? (await loadMigrations());
  const onCluster = tables.cluster === undefined ? '' : ` ON CLUSTER ${tables.cluster}`;
  const versionTable = tables.cluster === undefined ? SCHEMA_VERSION : `${conn.options.database}.${SCHEMA_VERSION}`;
  await conn.command(`CREATE TABLE IF NOT EXISTS ${versionTable}${onCluster} (
    version UInt32,
    description String,
    applied_at DateTime DEFAULT now()
  ) ENGINE = MergeTree ORDER BY version`);
  const current = await schemaVersion(conn);
  const newest = all.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new StorageError(
      `the ClickHouse database ${conn.options.database} has schema version ${current}, newer than this Tributary knows (${newest}): upgrade Tributary`,
    );
  }
  if (current === newest) return current;
  const dialect = dialectFor(await conn.serverVersion());
  for (const migration of all) {
    if (migration.version <= current) continue;
    for (const statement of statementsOf(migration.text, tables, dialect)) await conn.command(statement);
    // A migration that adds columns to a local table must also ALTER its Distributed table (a
    // Distributed table copies the structure only when created).
    await createDistributedTables(conn, tables);
    await conn.command(
      `INSERT INTO ${SCHEMA_VERSION} (version, description) VALUES (${migration.version}, '${migration.description.replace(/[^a-z0-9 ]/g, '')}')`,
    );
  }
  return newest;
}

/**
 * In cluster mode: a `Distributed` table under each plain name over the `*_local` tables of every
 * shard, sharded by `SHARDING_KEYS`. No-op on a single node.
 */
async function createDistributedTables(conn: ClickHouseConnection, tables: ClickHouseTables): Promise<void> {
  if (tables.cluster === undefined) return;
  const cluster = identifier(tables.cluster, 'cluster name');
  const database = conn.options.database;
  for (const key of Object.keys(SHARDING_KEYS) as (keyof ClickHouseTableNames)[]) {
    await conn.command(`CREATE TABLE IF NOT EXISTS ${database}.${tables[key]} ON CLUSTER ${cluster} AS ${tables.local[key]}
      ENGINE = Distributed(${cluster}, ${database}, ${bareTableName(tables.local[key])}, ${SHARDING_KEYS[key]})`);
  }
}

/** The newest applied migration, 0 for an empty database. */
export async function schemaVersion(conn: ClickHouseConnection): Promise<number> {
  const rows = await conn.query(`SELECT max(version) AS v FROM ${SCHEMA_VERSION}`);
  return Number(rows[0]?.['v'] ?? 0);
}
