/**
 * `replaceTraceCalls` for DuckDB, from a packed and checked `CallBatch` (`call-batch.ts`): one
 * transaction deletes the traces' old calls, resolves the path keys of the new ones (adding
 * dictionary rows for new paths, `path-keys.ts`), appends them (`call-chunks.ts`) with trace-local
 * call ids, writes their derivations (with the ids those stand for, `trace-call-ids.ts`: appended
 * for traces packed as first derivations, upserted for the others) and marks
 * the minutes of the deleted and inserted calls for the rollups (`analytics/rollup-minutes.ts`).
 * Path keys are remembered only after the commit.
 *
 * Invariant the readers rely on: every call row of a trace carries the `derived_seq` of the
 * trace's `derivations` row. The delete finds old calls by it, before the upsert changes it.
 */
import { BLOB, LIST, UBIGINT, UHUGEINT, blobValue, listValue } from '@duckdb/node-api';
import type { SerialConnection } from './connection.js';
import type { CallBatch } from './call-batch.js';
import { callChunks, traceIdWords } from './call-chunks.js';
import { derivationChunks } from './derivation-chunks.js';
import { traceCallIds, type TraceCallIds } from './trace-call-ids.js';
import { markDirty } from './analytics/rollup-minutes.js';
import type { PathKeys, PathLists } from './path-keys.js';

// Lists of ids are bound as one LIST parameter and unnested in a subquery. Measured with 500
// traces per call: this shape costs 5–8 µs per trace, while `IN (SELECT unnest($1))` and a bare
// `SELECT unnest($1), unnest($2)` as the INSERT source cost ~40 µs per trace.
const UPSERT_DERIVATIONS = `INSERT INTO derivations (trace_id, derived_seq, call_ids)
SELECT q.trace_id, q.derived_seq, q.call_ids
FROM (SELECT unnest($1::UHUGEINT[]) AS trace_id, unnest($2::UBIGINT[]) AS derived_seq, unnest($3::BLOB[]) AS call_ids) AS q
ON CONFLICT (trace_id) DO UPDATE SET derived_seq = excluded.derived_seq, call_ids = excluded.call_ids`;

// A trace's calls all carry its derivation's seq (schema.ts, version 8): matching on it too lets
// DuckDB skip the row groups whose `derived_seq` range holds none of the old seqs.
const DELETE_CALLS = `DELETE FROM calls USING (
  SELECT d.trace_id, d.derived_seq FROM derivations d JOIN (SELECT unnest($1::UHUGEINT[]) AS trace_id) q ON d.trace_id = q.trace_id
) AS o
WHERE calls.trace_id = o.trace_id AND calls.derived_seq = o.derived_seq RETURNING calls.start_time_ns`;

export async function replaceCalls(conn: SerialConnection, pathKeys: PathKeys, batch: CallBatch): Promise<void> {
  if (batch.traces.ids.length === 0) return;
  const write: Write = {
    batch,
    paths: new Map<string, PathLists>(batch.paths.map((p) => [p.text, p.lists])),
    ids: traceCallIds(batch),
    traceWords: traceIdWords(batch.traces.ids),
  };
  try {
    await writeOnce(conn, pathKeys, write, true);
  } catch (error: unknown) {
    // A trace said to be new had a derivation after all (its `firstDerivation` was wrong): the
    // write rolled back; write it again as if every trace might have old calls.
    if (!(error instanceof Error && /violates primary key constraint/.test(error.message))) throw error;
    await writeOnce(conn, pathKeys, write, false);
  }
}

/** What both attempts of one `replaceCalls` write, derived once from its batch. */
interface Write {
  readonly batch: CallBatch;
  /** The batch's paths by canonical text. */
  readonly paths: ReadonlyMap<string, PathLists>;
  readonly ids: TraceCallIds;
  /** `traceIdWords(batch.traces.ids)`. */
  readonly traceWords: BigUint64Array;
}

/**
 * One transaction. With `trustFirst`, the traces packed as first derivations (`mayHaveCalls` 0)
 * get their `derivations` rows appended (`derivation-chunks.ts`), and a row already there fails
 * the write with a primary key violation; the others are deleted first and upserted.
 */
async function writeOnce(conn: SerialConnection, pathKeys: PathKeys, { batch, paths, ids, traceWords }: Write, trustFirst: boolean): Promise<void> {
  const { traces, rows } = batch;
  const fresh: number[] = [];
  const again: number[] = [];
  traces.ids.forEach((_, t) => (trustFirst && traces.mayHaveCalls[t] === 0 ? fresh : again).push(t));
  const starts: bigint[] = [...rows.starts];
  const keys = await conn.transaction(async () => {
    if (again.length > 0) {
      // The delete returns the old calls' starts: their minutes' rollup rows change too.
      const deleted = (await conn.query(DELETE_CALLS, [listValue(again.map((t) => traces.ids[t]!))], [LIST(UHUGEINT)])).getRows();
      for (const [start] of deleted) starts.push(start as bigint);
    }
    // First, so that a wrong first derivation fails the write before the calls are appended.
    if (fresh.length > 0) await conn.appendChunks('derivations', derivationChunks(fresh, traceWords, traces.derivedSeqs, ids.ids));
    const resolved = await pathKeys.resolve(conn, paths);
    if (rows.count > 0) {
      const keyOfPath = BigUint64Array.from(batch.paths, (p) => resolved.get(p.text)!);
      await conn.appendChunks('calls', callChunks(batch, ids, keyOfPath, traceWords));
    }
    if (again.length > 0) {
      await conn.execute(
        UPSERT_DERIVATIONS,
        [listValue(again.map((t) => traces.ids[t]!)), listValue(again.map((t) => traces.derivedSeqs[t]!)), listValue(again.map((t) => blobValue(ids.ids[t]!)))],
        [LIST(UHUGEINT), LIST(UBIGINT), LIST(BLOB)],
      );
    }
    await markDirty(conn, starts, Date.now());
    return resolved;
  });
  pathKeys.remember(keys);
}
