/**
 * The services list's rollup: `service_rollup` holds, per minute of call start time and per
 * service (kind, name), the distinct values the list counts — where the calls ran (instance,
 * namespace, workload, node), who called them, whom they called — each with how many calls carry
 * it. The services list reads the minutes inside its window from here (a few hundred rows an
 * hour) instead of grouping every call of the window, and computes only the minutes at the
 * window's edges from `calls` (see `services.ts`). Its RED figures (counts, exact percentiles) are
 * not rolled up: nearest-rank percentiles need every duration.
 *
 * Facets (the `facet` column and what `v1…v4` hold), for the calls starting in that minute:
 * - 1 `where`: instance, k8s namespace, workload, node of the call (each may be NULL);
 * - 2 `caller`: kind and name of the call's last path entry (calls with a caller only; the
 *   `unknown` caller is one);
 * - 3 `callee`: kind and name of each call X whose last path entry is the call (X is in the same
 *   trace and names it by id), counted at the call's minute whatever X's own start.
 *
 * Invariant: for every minute, the rows equal `contributionsSql` over the stored calls, with one
 * row per distinct value and `calls > 0`. The writer keeps it (`call-writer.ts`) in the write's
 * transaction, with the rules in JavaScript (`addContributions`): it subtracts the rows of the
 * calls it deletes (read back by the delete itself, `deleteStoredTraces`), adds those of the new
 * calls, and re-merges the touched minutes. Retention and the migration rebuild it whole in SQL
 * (`rebuildServiceRollup`), and the services list computes its edge minutes in SQL too. The two
 * implementations are held equal by `service-rollup.test.ts` (the rollup against the calls
 * themselves, over windows that mix both) and by the differential tests.
 */
import { BIGINT, DuckDBDataChunk, LIST, UBIGINT, UHUGEINT, UTINYINT, VARCHAR, listValue } from '@duckdb/node-api';
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { ServiceCall } from '../../../model/call.js';
import { StorageError, type TraceCalls } from '../../api/storage.js';
import type { SerialConnection } from '../connection.js';
import { id64Hex } from '../id-codec.js';
import { CHUNK_ROWS } from '../connection.js';

/** One minute, the rollup's time resolution. */
export const BUCKET_NANOS = 60_000_000_000n;

export const SERVICE_ROLLUP_DDL = `CREATE TABLE service_rollup (
  bucket BIGINT NOT NULL,
  kind VARCHAR NOT NULL,
  service VARCHAR NOT NULL,
  facet UTINYINT NOT NULL,
  v1 VARCHAR,
  v2 VARCHAR,
  v3 VARCHAR,
  v4 VARCHAR,
  calls BIGINT NOT NULL
)`;

export const FACET_WHERE = 1;
export const FACET_CALLER = 2;
export const FACET_CALLEE = 3;

const ROLLUP_TYPES: readonly DuckDBType[] = [BIGINT, VARCHAR, VARCHAR, UTINYINT, VARCHAR, VARCHAR, VARCHAR, VARCHAR, BIGINT];

/** The minute of a start time: floor(start / BUCKET_NANOS), exact for every BIGINT. */
export function bucketOf(startUnixNano: bigint): bigint {
  return startUnixNano >= 0n ? startUnixNano / BUCKET_NANOS : -((-(startUnixNano + 1n)) / BUCKET_NANOS) - 1n;
}

/** `bucketOf` in SQL, on a BIGINT column (no overflow: `-(x + 1)` fits for every BIGINT x). */
export function bucketSql(column: string): string {
  return `CASE WHEN ${column} >= 0 THEN ${column} // ${BUCKET_NANOS} ELSE -((-(${column} + 1)) // ${BUCKET_NANOS}) - 1 END`;
}

/**
 * The rollup rows of the calls `scope` selects (a condition on a `calls` row, given its alias):
 * columns `bucket, kind, service, facet, v1, v2, v3, v4, calls`, one row per distinct value.
 * For the callee facet, `scope` selects the counted (calling) call; its callees are read whatever
 * their own start.
 */
export function contributionsSql(scope: (alias: string) => string): string {
  return `SELECT bucket, kind, service, facet, v1, v2, v3, v4, sum(n)::BIGINT AS calls FROM (
  SELECT ${bucketSql('c.start_time_ns')} AS bucket, c.kind, c.service, ${FACET_WHERE} AS facet,
    c.instance AS v1, c.k8s_namespace AS v2, c.k8s_workload AS v3, c.k8s_node AS v4, count(*) AS n
  FROM calls c WHERE ${scope('c')}
  GROUP BY ALL
  UNION ALL
  SELECT k.bucket, k.kind, k.service, ${FACET_CALLER}, p.path_kinds[len(p.path_kinds)], p.path_names[len(p.path_names)], NULL, NULL, sum(k.n)
  FROM (SELECT ${bucketSql('c.start_time_ns')} AS bucket, c.kind, c.service, c.path_key, count(*) AS n
    FROM calls c WHERE ${scope('c')} AND c.depth > 0 GROUP BY ALL) k
  JOIN call_paths p ON p.path_key = k.path_key
  GROUP BY ALL
  UNION ALL
  SELECT ${bucketSql('c.start_time_ns')}, c.kind, c.service, ${FACET_CALLEE}, x.kind, x.service, NULL, NULL, count(*)
  FROM calls c JOIN calls x ON x.trace_id = c.trace_id AND x.path_call_ids[x.depth] = c.call_id
  WHERE NOT c.synthetic AND ${scope('c')}
  GROUP BY ALL
) GROUP BY ALL`;
}

/** Rebuilds the whole rollup from the stored calls (migration, retention). Call inside a transaction. */
export async function rebuildServiceRollup(conn: SerialConnection): Promise<void> {
  await conn.run('DELETE FROM service_rollup');
  await conn.run(`INSERT INTO service_rollup SELECT * FROM (${contributionsSql(() => 'true')}) WHERE calls > 0`);
}

/** Rollup changes of one write, keyed by the row's identity (everything but `calls`). */
export class RollupDeltas {
  private readonly rows = new Map<string, { key: readonly DuckDBValue[]; calls: bigint }>();
  /**
   * Each distinct text as a small number, so a row's identity is a short string of numbers. Keying
   * by the texts themselves hashed every instance, pod and node name of every call again: ~10% of
   * a call write's CPU (`bench/query-call-writes.ts`). The texts of derived calls are shared
   * string objects, whose hash V8 computes once.
   */
  private readonly codes = new Map<string, number>();

  add(bucket: bigint, kind: string, service: string, facet: number, values: readonly (string | null)[], calls: bigint): void {
    const v0 = values[0] ?? null;
    const v1 = values[1] ?? null;
    const v2 = values[2] ?? null;
    const v3 = values[3] ?? null;
    // A bucket is a minute since the epoch: |bucket| < 2^28 for every BIGINT start, exact as a number.
    const id = `${facet}/${Number(bucket)}/${this.code(kind)}/${this.code(service)}/${this.code(v0)}/${this.code(v1)}/${this.code(v2)}/${this.code(v3)}`;
    const row = this.rows.get(id);
    if (row === undefined) this.rows.set(id, { key: [bucket, kind, service, facet, v0, v1, v2, v3], calls });
    else row.calls += calls;
  }

  private code(text: string | null): number {
    if (text === null) return -1;
    let code = this.codes.get(text);
    if (code === undefined) {
      code = this.codes.size;
      this.codes.set(text, code);
    }
    return code;
  }

  get size(): number {
    return this.rows.size;
  }

  buckets(): bigint[] {
    return [...new Set([...this.rows.values()].map((row) => row.key[0] as bigint))];
  }

  entries(): IterableIterator<{ key: readonly DuckDBValue[]; calls: bigint }> {
    return this.rows.values();
  }
}

/** What the rollup reads of one call (`ServiceCall`, or a stored row). */
export interface CallFacts {
  /** 16 lower-case hex digits (the writer has checked every id: one text per id). */
  readonly callId: string;
  readonly synthetic: boolean;
  readonly kind: string;
  readonly service: string;
  readonly startUnixNano: bigint;
  readonly where: readonly (string | null)[];
  /** The last path entry: kind and name, and the caller's call id (null for the `unknown` caller); null for a call with no caller. */
  readonly caller: { readonly kind: string; readonly name: string; readonly callId: string | null } | null;
}

export function factsOfCall(call: ServiceCall): CallFacts {
  const last = call.path.at(-1);
  return {
    callId: call.callId,
    synthetic: call.synthetic,
    kind: call.kind,
    service: call.service,
    startUnixNano: call.startTimeUnixNano,
    where: [call.instance, call.k8s.namespace, call.k8s.workload, call.k8s.node],
    caller: last === undefined ? null : { kind: last.kind, name: last.name, callId: last.callId === '' ? null : last.callId },
  };
}

/** Adds (or with `sign` −1, subtracts) the rollup rows of one trace's calls: `contributionsSql`'s rules, in JavaScript. */
export function addContributions(deltas: RollupDeltas, calls: readonly CallFacts[], sign: bigint = 1n): void {
  // Callers by id: real calls only (a synthetic call is never a caller); ids may repeat in hostile traces.
  const realById = new Map<string, CallFacts[]>();
  for (const call of calls) {
    if (call.synthetic) continue;
    const list = realById.get(call.callId);
    if (list === undefined) realById.set(call.callId, [call]);
    else list.push(call);
  }
  for (const call of calls) {
    const bucket = bucketOf(call.startUnixNano);
    deltas.add(bucket, call.kind, call.service, FACET_WHERE, call.where, sign);
    const caller = call.caller;
    if (caller === null) continue;
    deltas.add(bucket, call.kind, call.service, FACET_CALLER, [caller.kind, caller.name], sign);
    if (caller.callId === null) continue;
    for (const parent of realById.get(caller.callId) ?? []) {
      deltas.add(bucketOf(parent.startUnixNano), parent.kind, parent.service, FACET_CALLEE, [call.kind, call.service], sign);
    }
  }
}

/** The rollup rows a write adds: those of each trace's calls, the last entry of a trace named twice (as the writer applies them). */
export function rollupDeltasOf(entries: readonly TraceCalls[]): RollupDeltas {
  const last = new Map<string, TraceCalls>();
  for (const entry of entries) last.set(entry.traceId, entry);
  const deltas = new RollupDeltas();
  for (const entry of last.values()) addContributions(deltas, entry.calls.map(factsOfCall));
  return deltas;
}

/**
 * Deletes the stored calls of `traceIds` (the writer's delete) and subtracts their rollup rows:
 * the delete returns what the rollup reads of each row, so the old calls are read in the same
 * pass (a separate `contributionsSql` over them scanned `calls` four times: ~60% of a
 * re-derivation's CPU). Their callers' kinds and names come from the `call_paths` dictionary.
 */
export async function deleteStoredTraces(conn: SerialConnection, deltas: RollupDeltas, traceIds: readonly bigint[]): Promise<void> {
  const rows = (await conn.query(`DELETE FROM calls USING (SELECT unnest($1::UHUGEINT[]) AS trace_id) AS q
WHERE calls.trace_id = q.trace_id
RETURNING calls.trace_id, calls.call_id, calls.synthetic, calls.kind, calls.service, calls.start_time_ns,
  calls.instance, calls.k8s_namespace, calls.k8s_workload, calls.k8s_node, calls.path_key, calls.path_call_ids[calls.depth], calls.depth`,
    [listValue([...traceIds])], [LIST(UHUGEINT)])).getRows();
  if (rows.length === 0) return;
  const keys = [...new Set(rows.filter((row) => Number(row[12]) > 0).map((row) => row[10] as bigint))];
  const callers = new Map<bigint, { kind: string; name: string }>();
  if (keys.length > 0) {
    const found = (await conn.query(`SELECT p.path_key, p.path_kinds[len(p.path_kinds)], p.path_names[len(p.path_names)]
FROM call_paths p JOIN (SELECT unnest($1::UBIGINT[]) AS path_key) q ON p.path_key = q.path_key`, [listValue(keys)], [LIST(UBIGINT)])).getRows();
    for (const [key, kind, name] of found) callers.set(key as bigint, { kind: kind as string, name: name as string });
  }
  const byTrace = new Map<bigint, CallFacts[]>();
  for (const [traceId, callId, synthetic, kind, service, start, instance, namespace, workload, node, pathKey, callerId, depth] of rows) {
    let caller: CallFacts['caller'] = null;
    if (Number(depth) > 0) {
      const entry = callers.get(pathKey as bigint);
      if (entry === undefined) throw new StorageError(`a stored call's path key ${String(pathKey)} has no row in call_paths: the store is inconsistent`);
      caller = { ...entry, callId: callerId === null ? null : id64Hex(callerId as bigint) };
    }
    const facts: CallFacts = {
      callId: id64Hex(callId as bigint), synthetic: synthetic as boolean, kind: kind as string, service: service as string, startUnixNano: start as bigint,
      where: [instance, namespace, workload, node] as (string | null)[], caller,
    };
    const list = byTrace.get(traceId as bigint);
    if (list === undefined) byTrace.set(traceId as bigint, [facts]);
    else list.push(facts);
  }
  for (const calls of byTrace.values()) addContributions(deltas, calls, -1n);
}

/**
 * Applies `deltas`: the touched minutes are read, merged with the deltas, deleted and written
 * back with one row per value and `calls > 0`, so the table stays compact. A count below zero
 * means the rollup and the calls disagree: the write is rejected rather than hide it.
 */
export async function applyRollupDeltas(conn: SerialConnection, deltas: RollupDeltas): Promise<void> {
  if (deltas.size === 0) return;
  const buckets = listValue(deltas.buckets());
  const types = [LIST(BIGINT)];
  const merged = new RollupDeltas();
  const stored = (await conn.query(`SELECT r.bucket, r.kind, r.service, r.facet, r.v1, r.v2, r.v3, r.v4, r.calls
FROM service_rollup r JOIN (SELECT unnest($1::BIGINT[]) AS bucket) q ON r.bucket = q.bucket`, [buckets], types)).getRows();
  for (const [bucket, kind, service, facet, v1, v2, v3, v4, calls] of stored) {
    merged.add(bucket as bigint, kind as string, service as string, Number(facet), [v1, v2, v3, v4] as (string | null)[], calls as bigint);
  }
  for (const { key, calls } of deltas.entries()) {
    merged.add(key[0] as bigint, key[1] as string, key[2] as string, key[3] as number, key.slice(4) as (string | null)[], calls);
  }
  const rows: DuckDBValue[][] = [];
  for (const { key, calls } of merged.entries()) {
    if (calls < 0n) throw new StorageError(`service_rollup would count ${calls} calls for ${JSON.stringify(key.slice(1).map(String))}: it disagrees with the stored calls`);
    if (calls > 0n) rows.push([...key, calls]);
  }
  await conn.execute('DELETE FROM service_rollup USING (SELECT unnest($1::BIGINT[]) AS bucket) AS q WHERE service_rollup.bucket = q.bucket', [buckets], types);
  const chunks: DuckDBDataChunk[] = [];
  for (let from = 0; from < rows.length; from += CHUNK_ROWS) {
    const slice = rows.slice(from, from + CHUNK_ROWS);
    const chunk = DuckDBDataChunk.create([...ROLLUP_TYPES], slice.length);
    for (let column = 0; column < ROLLUP_TYPES.length; column++) chunk.setColumnValues(column, slice.map((row) => row[column]!));
    chunks.push(chunk);
  }
  await conn.appendChunks('service_rollup', chunks);
}
