/**
 * `replaceTraceCalls` for DuckDB: every entry converted and checked first (a bad entry rejects the
 * whole call before the store is touched), then one transaction deletes the traces' old calls,
 * resolves the path keys of the new ones (adding dictionary rows for new paths, `path-keys.ts`),
 * inserts them through the staging table (`call-staging.ts`), upserts their derivations and marks
 * the minutes of the deleted and inserted calls for the rollups (`analytics/rollup-minutes.ts`).
 * Path keys are remembered only after the commit.
 *
 * Invariant the readers rely on: every call row of a trace carries the `derived_seq` of the
 * trace's `derivations` row. The delete finds old calls by it, before the upsert changes it.
 */
import { LIST, UBIGINT, UHUGEINT, VARCHAR, listValue } from '@duckdb/node-api';
import { StorageError } from '../api/storage.js';
import type { TraceCalls } from '../api/storage.js';
import type { SerialConnection } from './connection.js';
import { CLEAR_STAGING, INSERT_STAGED, STAGING_DDL, StagedCalls } from './call-staging.js';
import { parseTraceId } from './id-codec.js';
import { markDirty } from './analytics/rollup-minutes.js';
import { callPathLists, type PathKeys, type PathLists } from './path-keys.js';

// Lists of ids are bound as one LIST parameter and unnested in a subquery. Measured with 500
// traces per call: this shape costs 5–8 µs per trace, while `IN (SELECT unnest($1))` and a bare
// `SELECT unnest($1), unnest($2)` as the INSERT source cost ~40 µs per trace.
const UPSERT_DERIVATIONS = `INSERT INTO derivations (trace_id, derived_seq)
SELECT q.trace_id, q.derived_seq FROM (SELECT unnest($1::UHUGEINT[]) AS trace_id, unnest($2::UBIGINT[]) AS derived_seq) AS q
ON CONFLICT (trace_id) DO UPDATE SET derived_seq = excluded.derived_seq`;

// A trace's calls all carry its derivation's seq (schema.ts, version 8): matching on it too lets
// DuckDB skip the row groups whose `derived_seq` range holds none of the old seqs.
const DELETE_CALLS = `DELETE FROM calls USING (
  SELECT d.trace_id, d.derived_seq FROM derivations d JOIN (SELECT unnest($1::UHUGEINT[]) AS trace_id) q ON d.trace_id = q.trace_id
) AS o
WHERE calls.trace_id = o.trace_id AND calls.derived_seq = o.derived_seq RETURNING calls.start_time_ns`;

interface PreparedEntry {
  readonly traceId: bigint;
  readonly derivedSeq: bigint;
  /** Old rows may exist: delete them first. */
  readonly mayHaveCalls: boolean;
}

export async function replaceCalls(conn: SerialConnection, pathKeys: PathKeys, entries: readonly TraceCalls[]): Promise<void> {
  const { prepared, staged } = prepareEntries(entries);
  if (prepared.length === 0) return;
  const paths = new Map<string, PathLists>([...staged.paths()].map(([text, path]) => [text, callPathLists(path)]));
  const toDelete = prepared.filter((e) => e.mayHaveCalls).map((e) => e.traceId);

  const starts: bigint[] = [];
  for (const entry of entries) for (const call of entry.calls) starts.push(call.startTimeUnixNano);
  const keys = await conn.transaction(async () => {
    if (toDelete.length > 0) {
      // The delete returns the old calls' starts: their minutes' rollup rows change too.
      const deleted = (await conn.query(DELETE_CALLS, [listValue(toDelete)], [LIST(UHUGEINT)])).getRows();
      for (const [start] of deleted) starts.push(start as bigint);
    }
    const resolved = await pathKeys.resolve(conn, paths);
    if (staged.length > 0) {
      await conn.run(STAGING_DDL);
      await conn.appendChunks('calls_staging', staged.chunks(resolved), { temporary: true });
      await conn.execute(INSERT_STAGED, [staged.dictionary()], [LIST(VARCHAR)]);
      await conn.execute(CLEAR_STAGING);
    }
    await conn.execute(
      UPSERT_DERIVATIONS,
      [listValue(prepared.map((e) => e.traceId)), listValue(prepared.map((e) => e.derivedSeq))],
      [LIST(UHUGEINT), LIST(UBIGINT)],
    );
    await markDirty(conn, starts, Date.now());
    return resolved;
  });
  pathKeys.remember(keys);
}

/**
 * Checks and stages every entry; a trace named twice keeps its last entry (entries apply in
 * order), so the calls of earlier entries for it are staged only when no later entry names it.
 */
function prepareEntries(entries: readonly TraceCalls[]): { prepared: PreparedEntry[]; staged: StagedCalls } {
  const last = new Map<string, number>();
  const seen = new Set<string>();
  const byTrace = new Map<string, PreparedEntry>();
  entries.forEach((entry, i) => last.set(entry.traceId, i));
  const staged = new StagedCalls();
  entries.forEach((entry, i) => {
    const traceId = parseTraceId(entry.traceId);
    if (entry.derivedSeq < 0n || entry.derivedSeq >= 1n << 64n) {
      throw new StorageError(`derivedSeq ${entry.derivedSeq} of trace ${entry.traceId} is not a sequence number`);
    }
    const repeated = seen.has(entry.traceId);
    seen.add(entry.traceId);
    if (last.get(entry.traceId) === i) {
      for (const call of entry.calls) staged.add(traceId, entry.traceId, call, entry.derivedSeq);
    } else {
      // Still checked: a bad entry rejects the whole write even when a later one replaces it.
      const check = new StagedCalls();
      for (const call of entry.calls) check.add(traceId, entry.traceId, call, entry.derivedSeq);
    }
    byTrace.set(entry.traceId, { traceId, derivedSeq: entry.derivedSeq, mayHaveCalls: repeated || !entry.firstDerivation });
  });
  return { prepared: [...byTrace.values()], staged };
}
