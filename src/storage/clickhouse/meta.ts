/**
 * The store's own state in ClickHouse: `meta` key/value rows (a ReplacingMergeTree versioned by
 * `SeqClock` numbers, read with `argMax`, so the newest write wins even before a merge), and what
 * a store reads once at open (the seq floor, the ids of stored resources and scopes).
 */
import type { ClickHouseConnection } from './connection.js';
import { stringLiteral } from './sql-literal.js';
import type { ClickHouseTables } from './tables.js';
import { ValuesWriter } from './values-writer.js';

/** A seq already used, kept when no row may carry it any more (empty batches, retention). */
export const SEQ_FLOOR = 'seq_floor';
export const DERIVED_WATERMARK = 'derived_watermark';

export async function getMeta(conn: ClickHouseConnection, tables: ClickHouseTables, key: string): Promise<string | undefined> {
  const rows = await conn.query(`SELECT argMax(value, version) AS value, count() AS n FROM ${tables.meta} WHERE key = ${stringLiteral(key)}`);
  return Number(rows[0]?.['n'] ?? 0) === 0 ? undefined : String(rows[0]?.['value']);
}

/** Sets `key`; `version` must exceed every earlier version of it (a `SeqClock` number). */
export async function setMeta(conn: ClickHouseConnection, tables: ClickHouseTables, key: string, value: string, version: bigint): Promise<void> {
  const row = new ValuesWriter(256).openRow().text(`${stringLiteral(key)},${stringLiteral(value)},${version}`).closeRow();
  await conn.insertValues(tables.meta, ['key', 'value', 'version'], row);
}

/**
 * The largest number the store already used as a seq, write id or meta version: a new
 * `SeqClock` starts above it. (Scans the `seq` column of `spans`: about a second per few hundred
 * million spans, once at open.)
 */
export async function readSeqFloor(conn: ClickHouseConnection, t: ClickHouseTables): Promise<bigint> {
  const rows = await conn.query(`SELECT
    (SELECT max(seq) FROM ${t.spans}) AS spans,
    (SELECT max(write_id) FROM ${t.calls}) AS calls,
    (SELECT max(write_id) FROM ${t.derivations}) AS derivations,
    (SELECT max(version) FROM ${t.meta}) AS meta,
    (SELECT max(toUInt64OrZero(value)) FROM ${t.meta} WHERE key = ${stringLiteral(SEQ_FLOOR)}) AS floor`);
  const row = rows[0] ?? {};
  return Object.values(row).reduce<bigint>((max, v) => {
    const n = BigInt(String(v ?? 0));
    return n > max ? n : max;
  }, 0n);
}

/** The ids of the stored resources and scopes (few: one per service instance and library). */
export async function readKnownContent(conn: ClickHouseConnection, t: ClickHouseTables): Promise<{ resources: Set<bigint>; scopes: Set<bigint> }> {
  const ids = async (table: string): Promise<Set<bigint>> =>
    new Set((await conn.query(`SELECT DISTINCT id FROM ${table}`)).map((r) => BigInt(String(r['id']))));
  return { resources: await ids(t.resources), scopes: await ids(t.scopes) };
}
