/**
 * `replaceTraceCalls` for ClickHouse, which has no transactions and no in-place updates. One
 * replace is one generation, numbered by a fresh `write_id`:
 *
 * 1. every entry is checked and converted first (a bad entry rejects the call before anything is
 *    written);
 * 2. the new calls are inserted under `write_id`;
 * 3. the older live generations of the traces that may have calls (not `firstDerivation`) are
 *    listed in `superseded_calls`, which hides them from every read (`live-calls.ts`);
 * 4. the derivations are recorded, last, so a crash before this point leaves the traces "needing
 *    derivation" and start-up recovery replaces them again.
 *
 * docs/adr/0004-clickhouse-call-replacement.md walks through the crash windows.
 */
import { StorageError } from '../api/storage.js';
import type { TraceCalls } from '../api/storage.js';
import { CALL_COLUMNS, callRowText, writeCallRow } from './call-rows.js';
import type { ClickHouseConnection } from './connection.js';
import { liveCallsFilter } from './live-calls.js';
import { checkTraceId, traceIdLiteral, uint64Literal } from './sql-literal.js';
import type { ClickHouseTables } from './tables.js';
import { ValuesWriter } from './values-writer.js';

const UINT64_LIMIT = 1n << 64n;

interface PreparedEntry {
  readonly traceHex: string;
  readonly traceBytes: Buffer;
  readonly derivedSeq: bigint;
  readonly rows: string[];
  /** Old generations may exist: supersede them. */
  readonly mayHaveCalls: boolean;
}

export async function replaceCalls(conn: ClickHouseConnection, tables: ClickHouseTables, entries: readonly TraceCalls[], writeId: bigint): Promise<void> {
  const prepared = prepareEntries(entries, writeId);
  if (prepared.length === 0) return;

  const calls = new ValuesWriter();
  for (const entry of prepared) for (const row of entry.rows) writeCallRow(entry.traceBytes, row, calls);
  await conn.insertValues(tables.calls, CALL_COLUMNS, calls);

  const older = prepared.filter((e) => e.mayHaveCalls);
  if (older.length > 0) {
    const ids = older.map((e) => traceIdLiteral(e.traceHex)).join(',');
    // The aliases must not be column names: ClickHouse resolves `c.trace_id` in WHERE to a
    // same-named SELECT alias (the hex String), not to the column.
    const generations = await conn.query(`SELECT DISTINCT hex(c.trace_id) AS trace_hex, c.write_id AS generation FROM ${tables.calls} AS c
      WHERE c.trace_id IN (${ids}) AND c.write_id < ${uint64Literal(writeId)} AND ${liveCallsFilter('c', tables)}`);
    const superseded = new ValuesWriter();
    for (const g of generations) {
      superseded.openRow().bytes(Buffer.from(hexOf(g['trace_hex']), 'hex')).text(`,${uint64Literal(BigInt(String(g['generation'])))},${writeId}`).closeRow();
    }
    await conn.insertValues(tables.superseded_calls, ['trace_id', 'write_id', 'superseded_by'], superseded);
  }

  const derivations = new ValuesWriter();
  for (const e of prepared) derivations.openRow().bytes(e.traceBytes).text(`,${e.derivedSeq},${writeId}`).closeRow();
  await conn.insertValues(tables.derivations, ['trace_id', 'derived_seq', 'write_id'], derivations);
}

/** Checks and converts every entry; a trace named twice keeps its last entry (entries apply in order). */
function prepareEntries(entries: readonly TraceCalls[], writeId: bigint): PreparedEntry[] {
  const byTrace = new Map<string, PreparedEntry>();
  for (const entry of entries) {
    const traceHex = checkTraceId(entry.traceId);
    if (entry.derivedSeq < 0n || entry.derivedSeq >= UINT64_LIMIT) {
      throw new StorageError(`derivedSeq ${entry.derivedSeq} of trace ${entry.traceId} is not a sequence number`);
    }
    const traceBytes = Buffer.from(traceHex, 'hex');
    const rows = entry.calls.map((call) => callRowText(traceHex, call, entry.derivedSeq, writeId));
    const repeated = byTrace.has(traceHex);
    byTrace.set(traceHex, { traceHex, traceBytes, derivedSeq: entry.derivedSeq, rows, mayHaveCalls: repeated || !entry.firstDerivation });
  }
  return [...byTrace.values()];
}

/** A `hex(…)` result as lower-case hex, checked (it goes back into SQL). */
function hexOf(value: unknown): string {
  return checkTraceId(String(value).toLowerCase());
}
