/**
 * Retention and clean-up for ClickHouse, where deleting rows means either dropping a whole
 * partition (cheap: files go away) or an `ALTER … DELETE` mutation (a background rewrite of the
 * parts holding matching rows, on 18.16 of every part). Both tables are partitioned by the UTC day
 * of the start time, so a day wholly before the cutoff is dropped, and only the boundary day needs
 * a mutation. 18.16 has no `mutations_sync`, so `waitForMutations` polls `system.mutations` until
 * the rewrite is done: `deleteBefore` resolves only once the rows are gone from every read.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError } from '../api/storage.js';
import type { ClickHouseConnection } from './connection.js';
import { int64Literal, stringLiteral, uint64Literal } from './sql-literal.js';
import { bareTableName } from './tables.js';
import type { ClickHouseTables } from './tables.js';

/** The partition key of `spans` and `calls` (see `001_init.sql`). */
const DAY_OF_START = 'toDate(toDateTime(intDiv(start_time_ns, 1000000000)))';

/** Deletes the rows of `table` that started before `cutoff`; resolves with how many there were. */
export async function deleteStartedBefore(conn: ClickHouseConnection, tables: ClickHouseTables, table: 'spans' | 'calls', cutoff: bigint): Promise<number> {
  const name = tables.local[table];
  const before = `start_time_ns < ${int64Literal(cutoff)}`;
  const days = await conn.query(`SELECT toString(${DAY_OF_START}) AS day, countIf(${before}) AS old, count() AS total
    FROM ${tables[table]} GROUP BY day HAVING old > 0`);
  let deleted = 0;
  let partial = false;
  for (const day of days) {
    const old = Number(day['old']);
    deleted += old;
    if (old === Number(day['total'])) {
      await conn.command(`ALTER TABLE ${name}${onCluster(tables)} DROP PARTITION ${stringLiteral(String(day['day']))}`);
    } else {
      partial = true;
    }
  }
  if (partial) {
    await conn.command(`ALTER TABLE ${name}${onCluster(tables)} DELETE WHERE ${before}`);
    await waitForMutations(conn, tables, name);
  }
  return deleted;
}

/**
 * Removes dead call generations: the `calls` rows listed in `superseded_calls` by replaces up to
 * `upto` (a write id: `SeqClock` numbers are time-based, so "superseded before some time"), then
 * those list entries. The caller leaves a margin when other processes may still be writing older
 * generations. A `write_id` is never reused, so an entry that outlives its rows (a crash between
 * the two steps) hides nothing alive. Resolves with the number of generations purged.
 */
export async function purgeSupersededCalls(conn: ClickHouseConnection, tables: ClickHouseTables, uptoWriteId: bigint): Promise<number> {
  const rows = await conn.query(`SELECT count() AS n FROM ${tables.superseded_calls} WHERE superseded_by <= ${uint64Literal(uptoWriteId)}`);
  const count = Number(rows[0]?.['n'] ?? 0);
  if (count === 0) return 0;
  const upto = uint64Literal(uptoWriteId);
  const dead = `SELECT trace_id, write_id FROM ${tables.local.superseded_calls} WHERE superseded_by <= ${upto}`;
  await conn.command(`ALTER TABLE ${tables.local.calls}${onCluster(tables)} DELETE WHERE (trace_id, write_id) IN (${dead})`);
  await waitForMutations(conn, tables, tables.local.calls);
  await conn.command(`ALTER TABLE ${tables.local.superseded_calls}${onCluster(tables)} DELETE WHERE superseded_by <= ${upto}`);
  await waitForMutations(conn, tables, tables.local.superseded_calls);
  return count;
}

/** Forgets the derivations of traces with neither spans nor calls left. */
export async function purgeOrphanDerivations(conn: ClickHouseConnection, tables: ClickHouseTables): Promise<void> {
  const local = tables.local;
  await conn.command(`ALTER TABLE ${local.derivations}${onCluster(tables)} DELETE
    WHERE trace_id NOT IN (SELECT trace_id FROM ${local.spans}) AND trace_id NOT IN (SELECT trace_id FROM ${local.calls})`);
  await waitForMutations(conn, tables, local.derivations);
}

/** Waits until no mutation of `table` (in the connection's database, on any shard) is pending. */
export async function waitForMutations(conn: ClickHouseConnection, tables: ClickHouseTables, table: string, limitMs = 300_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  const mutations = tables.cluster === undefined ? 'system.mutations' : `cluster(${stringLiteral(tables.cluster)}, system.mutations)`;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    const rows = await conn.query(`SELECT count() AS pending FROM ${mutations}
      WHERE database = ${stringLiteral(conn.options.database)} AND table = ${stringLiteral(bareTableName(table))} AND is_done = 0`);
    if (Number(rows[0]?.['pending'] ?? 0) === 0) return;
    if (Date.now() > deadline) throw new StorageError(`a mutation of ${table} did not finish within ${limitMs / 1000} s`);
    await sleep(delay);
  }
}

function onCluster(tables: ClickHouseTables): string {
  return tables.cluster === undefined ? '' : ` ON CLUSTER ${tables.cluster}`;
}
