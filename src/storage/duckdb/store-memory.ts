/**
 * What DuckDB's buffer manager holds in this process, for `Storage.memoryUsage`: the sum of
 * `duckdb_memory()` and the `memory_limit` setting, which DuckDB prints rounded ("1.8 GiB").
 */
import type { StoreMemory } from '../api/storage.js';
import type { SerialConnection } from './connection.js';

export async function readStoreMemory(conn: SerialConnection): Promise<StoreMemory> {
  const rows = (await conn.query(`SELECT (SELECT sum(memory_usage_bytes) FROM duckdb_memory()), current_setting('memory_limit')`)).getRows();
  const [used, limit] = rows[0]!;
  return { usedBytes: Number(used ?? 0), limitBytes: parseByteSize(String(limit)) };
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  bytes: 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40,
};

/** A size as DuckDB prints a setting ("1.8 GiB", "512.0 MiB", "0 bytes"), in bytes; NaN if not one. */
export function parseByteSize(text: string): number {
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  const unit = match ? BYTE_UNITS[match[2]!] : undefined;
  return match && unit !== undefined ? Math.round(Number(match[1]) * unit) : Number.NaN;
}
