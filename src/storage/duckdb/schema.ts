/**
 * The DuckDB schema, as versioned migrations. `schema_version` holds one row per applied
 * migration; opening a store applies the missing ones in order, each in its own transaction, and
 * refuses a file written by a newer Tributary (a version this code does not know).
 *
 * Layout (version 1):
 * - `spans`: one row per appended span. Ids are integers (see `id-codec.ts`); `parent_span_id` is
 *   0 for a root span (OTLP's all-zero id); no column is NULL (schema 5's appender needed no NULLs). `duration_ns` is `end - start` wrapped to
 *   int64, so `start + duration` (wrapped) gives the end back exactly even for hostile timestamps.
 *   `payload` is the span's OTLP protobuf, the lossless record. `seq` is the append's sequence
 *   number. Finding one trace: the `spans_trace_id` ART index (see `trace-reader.ts` for why).
 * - `resources`, `scopes`: each distinct one once, by content id. `resources.attributes` is the
 *   lossless attribute JSON and `attribute_strings` a key → text map for zone rules
 *   (`attribute-codec.ts`).
 * - `calls`: one row per `ServiceCall`. The call path is materialized as parallel lists, root
 *   first: `path_kinds[i]`, `path_names[i]`, `path_requests[i]`, `path_call_ids[i]` (NULL for the
 *   `unknown` caller) describe the i-th caller, and `depth = len(path_kinds)`; so SQL can group by
 *   the whole path (`path_kinds, path_names, path_requests`) or by the caller k hops up
 *   (`path_names[depth - k + 1]`). `derived_seq` is the append the calls were derived from.
 * - `derivations`: the last recorded derivation of each trace (also for traces without calls).
 * - `meta`: `derived_watermark`, and `seq_floor` (a seq already used: appends continue above it
 *   even when retention deleted the spans that carried the highest seqs).
 *
 * Version 2 adds path keys (`path-keys.ts`): `calls.path_key`, the key of the call's whole path,
 * and the dictionary `call_paths` (key → the three lists), so a query can group calls by path
 * reading one UBIGINT column instead of three list columns (backtrace on 1M spans: ~55 → ~10 ms).
 * Calls of an older store get their keys in the migration. Version 3 makes `path_key` NOT NULL:
 * DuckDB refuses that change on a table with an index, and refuses to rebuild an index in the
 * transaction that updated the table, so it is its own step (drop the index, alter, re-create).
 * Version 4 drops the three path lists from `calls`: `call_paths` has them by `path_key`, and
 * writing them cost the call writer a third of its time (then through a staging table) and each call row
 * its largest columns. The `unknown` caller is still recognisable in a row: its path call id is NULL.
 * Version 5 adds `service_rollup` (`analytics/service-rollup.ts`): per minute and service, the
 * distinct instances/Kubernetes places, callers and callees of the calls starting then, kept by
 * the call writer, so the services list reads the inside of its window from a few hundred rows
 * instead of grouping every call of it (10M spans: 1.3–1.8 s). Filled from the existing calls.
 * Version 6 replaces `spans` (a row per span, an ART index entry per span) with span blocks
 * (`span-blocks.ts`): `span_blocks` holds each block of up to 2048 spans as one compressed value
 * (with its seq and start-time ranges, for recovery and retention), and `trace_blocks` one row per
 * trace and block (the trace's first start, last end, distinct spans and errors in the block, and
 * the last seq), indexed by trace id: ~370 → ~55 B/span on disk, and the index takes a tenth of
 * the inserts. Existing spans are converted block by block (`blocks-migration.ts`).
 * Version 7 adds `rollup_dirty`: the call writer no longer keeps `service_rollup` in its
 * transaction, it marks the minutes it touched, which are rebuilt once quiet (`service-rollup.ts`).
 * Version 8 drops `calls_trace_id`, the ART index with an entry per call. DuckDB's automatic
 * checkpoint writes every ART index whole (duckdb/duckdb#24848), so that index made each
 * checkpoint, which blocks every commit, longer in proportion to all calls ever stored: 1–2.5 s
 * and up to 9.4 s stalls of OTLP acks within 5 minutes of ~36K spans/s (`bench:soak`). A trace's
 * calls are found instead by `(trace_id, derived_seq)`: every call row carries the `derived_seq`
 * its trace's `derivations` row holds (the writer replaces both in one transaction), and calls are
 * appended in derivation order, so the zone maps of `derived_seq` confine the scan to a few row
 * groups (`call-writer.ts`, `getTraceCalls`).
 * Version 9 adds the flow rollup (`analytics/flow-rollup.ts`): `flow_slices`, `flow_rollup` and
 * `flow_histogram`, per minute of a focal call and flow node, so a flow over many focal calls
 * reads those instead of every call below them (ADR 0007). Filled from the existing calls (17.5 s
 * for the 10M-span benchmark store on this project's machine); kept by the same dirty minutes as `service_rollup`.
 * Version 10 stores call ids as trace-local ordinals (`trace-call-ids.ts`): `calls.call_id` and
 * `path_call_ids` become UINTEGER ranks, and `derivations.call_ids` holds each trace's distinct
 * ids in rank order (a BLOB, 8 big-endian bytes each). Random 64-bit ids took half the calls table (1M-span benchmark store: 20 of
 * 41 B/span); ranks bit-pack to a byte or less. Path keys are renumbered from 1 (`path-keys.ts`):
 * as 64-bit hashes they took another 5 B/span. The tables are rebuilt, the calls in their order.
 */
import { StorageError } from '../api/storage.js';
import type { SerialConnection } from './connection.js';
import { FLOW_HISTOGRAM_DDL, FLOW_ROLLUP_DDL, FLOW_SLICES_DDL, rebuildFlowRollup } from './analytics/flow-rollup.js';
import { ROLLUP_DIRTY_DDL } from './analytics/rollup-minutes.js';
import { rebuildServiceRollup, SERVICE_ROLLUP_DDL } from './analytics/service-rollup.js';
import { backfillPathKeys } from './path-keys.js';
import { convertSpansToBlocks } from './blocks-migration.js';

/** The calls table as of version 10 (call ids as trace-local ordinals, `trace-call-ids.ts`). */
const CALL_COLUMNS_V10 = `trace_id UHUGEINT NOT NULL,
        call_id UINTEGER NOT NULL,
        synthetic BOOLEAN NOT NULL,
        kind VARCHAR NOT NULL,
        service VARCHAR NOT NULL,
        request VARCHAR NOT NULL,
        resource_id UBIGINT,
        instance VARCHAR,
        k8s_cluster VARCHAR,
        k8s_node VARCHAR,
        k8s_namespace VARCHAR,
        k8s_pod VARCHAR,
        k8s_workload VARCHAR,
        start_time_ns BIGINT NOT NULL,
        duration_ns BIGINT NOT NULL,
        failed BOOLEAN NOT NULL,
        failure_reason VARCHAR,
        stack_traces VARCHAR[] NOT NULL,
        depth UINTEGER NOT NULL,
        path_call_ids UINTEGER[] NOT NULL,
        referring_page VARCHAR,
        proxies VARCHAR[] NOT NULL,
        derived_seq UBIGINT NOT NULL,
        path_key UBIGINT NOT NULL`;

/** Version 9's calls: each trace's distinct call ids, ascending (`trace-call-ids.ts`). */
const TRACE_IDS_V9 = `SELECT trace_id, list_sort(list_distinct(flatten(list(list_prepend(call_id, path_call_ids)))), 'ASC') AS ids FROM calls GROUP BY trace_id`;

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: readonly string[];
  /** Runs after `statements`, in the same transaction: for data changes SQL alone cannot make. */
  readonly apply?: (conn: SerialConnection) => Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'spans, resources, scopes, calls, derivations, meta',
    statements: [
      `CREATE TABLE spans (
        trace_id UHUGEINT NOT NULL,
        span_id UBIGINT NOT NULL,
        parent_span_id UBIGINT NOT NULL,
        seq UBIGINT NOT NULL,
        resource_id UBIGINT NOT NULL,
        scope_id UBIGINT NOT NULL,
        name VARCHAR NOT NULL,
        kind UTINYINT NOT NULL,
        start_time_ns BIGINT NOT NULL,
        duration_ns BIGINT NOT NULL,
        status_code UTINYINT NOT NULL,
        status_message VARCHAR NOT NULL,
        payload BLOB NOT NULL
      )`,
      `CREATE INDEX spans_trace_id ON spans (trace_id)`,
      `CREATE TABLE resources (
        id UBIGINT PRIMARY KEY,
        bytes BLOB NOT NULL,
        attributes VARCHAR NOT NULL,
        attribute_strings MAP(VARCHAR, VARCHAR) NOT NULL
      )`,
      `CREATE TABLE scopes (
        id UBIGINT PRIMARY KEY,
        bytes BLOB NOT NULL,
        name VARCHAR NOT NULL,
        version VARCHAR NOT NULL
      )`,
      `CREATE TABLE calls (
        trace_id UHUGEINT NOT NULL,
        call_id UBIGINT NOT NULL,
        synthetic BOOLEAN NOT NULL,
        kind VARCHAR NOT NULL,
        service VARCHAR NOT NULL,
        request VARCHAR NOT NULL,
        resource_id UBIGINT,
        instance VARCHAR,
        k8s_cluster VARCHAR,
        k8s_node VARCHAR,
        k8s_namespace VARCHAR,
        k8s_pod VARCHAR,
        k8s_workload VARCHAR,
        start_time_ns BIGINT NOT NULL,
        duration_ns BIGINT NOT NULL,
        failed BOOLEAN NOT NULL,
        failure_reason VARCHAR,
        stack_traces VARCHAR[] NOT NULL,
        depth UINTEGER NOT NULL,
        path_kinds VARCHAR[] NOT NULL,
        path_names VARCHAR[] NOT NULL,
        path_requests VARCHAR[] NOT NULL,
        path_call_ids UBIGINT[] NOT NULL,
        referring_page VARCHAR,
        proxies VARCHAR[] NOT NULL,
        derived_seq UBIGINT NOT NULL
      )`,
      `CREATE INDEX calls_trace_id ON calls (trace_id)`,
      `CREATE TABLE derivations (
        trace_id UHUGEINT PRIMARY KEY,
        derived_seq UBIGINT NOT NULL
      )`,
      `CREATE TABLE meta (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    description: 'path keys: calls.path_key and the call_paths dictionary, filled for existing calls',
    statements: [
      `CREATE TABLE call_paths (
        path_key UBIGINT PRIMARY KEY,
        path_kinds VARCHAR[] NOT NULL,
        path_names VARCHAR[] NOT NULL,
        path_requests VARCHAR[] NOT NULL
      )`,
      `ALTER TABLE calls ADD COLUMN path_key UBIGINT`,
    ],
    apply: backfillPathKeys,
  },
  {
    version: 3,
    description: 'calls.path_key NOT NULL',
    statements: [
      `DROP INDEX calls_trace_id`,
      `ALTER TABLE calls ALTER COLUMN path_key SET NOT NULL`,
      `CREATE INDEX calls_trace_id ON calls (trace_id)`,
    ],
  },
  {
    version: 4,
    description: 'calls without path_kinds/path_names/path_requests: call_paths holds them by path_key',
    statements: [
      `DROP INDEX calls_trace_id`,
      `ALTER TABLE calls DROP COLUMN path_kinds`,
      `ALTER TABLE calls DROP COLUMN path_names`,
      `ALTER TABLE calls DROP COLUMN path_requests`,
      `CREATE INDEX calls_trace_id ON calls (trace_id)`,
    ],
  },
  {
    version: 5,
    description: 'service_rollup: the services list per minute, filled from existing calls',
    statements: [SERVICE_ROLLUP_DDL],
    apply: rebuildServiceRollup,
  },
  {
    version: 6,
    description: 'span blocks: span_blocks and trace_blocks replace spans, converted from it',
    statements: [
      `CREATE TABLE span_blocks (
        block_id UBIGINT NOT NULL,
        first_seq UBIGINT NOT NULL,
        last_seq UBIGINT NOT NULL,
        spans UINTEGER NOT NULL,
        min_start BIGINT NOT NULL,
        max_start BIGINT NOT NULL,
        block BLOB NOT NULL
      )`,
      `CREATE TABLE trace_blocks (
        trace_id UHUGEINT NOT NULL,
        block_id UBIGINT NOT NULL,
        last_seq UBIGINT NOT NULL,
        first_start BIGINT NOT NULL,
        last_end HUGEINT NOT NULL,
        spans UINTEGER NOT NULL,
        errors UINTEGER NOT NULL
      )`,
    ],
    apply: async (conn) => {
      await convertSpansToBlocks(conn);
      // Indexed after the conversion: DuckDB builds an index over existing rows faster than it inserts them one by one.
      await conn.run('CREATE INDEX trace_blocks_trace_id ON trace_blocks (trace_id)');
    },
  },
  {
    version: 7,
    description: 'rollup_dirty: the call writer marks minutes, the store rebuilds their rollup rows later',
    statements: [ROLLUP_DIRTY_DDL],
  },
  {
    version: 8,
    description: 'calls without the trace id index: a trace is found by its derivation seq and zone maps',
    statements: [
      'DROP INDEX calls_trace_id',
      // The invariant the readers now rely on, made to hold for whatever an older store holds
      // (both statements change nothing in a store its own writer kept).
      `INSERT INTO derivations (trace_id, derived_seq) SELECT trace_id, max(derived_seq) FROM calls GROUP BY trace_id ON CONFLICT DO NOTHING`,
      `UPDATE calls SET derived_seq = d.derived_seq FROM derivations d WHERE calls.trace_id = d.trace_id AND calls.derived_seq <> d.derived_seq`,
    ],
  },
  {
    version: 9,
    description: 'flow_rollup: per minute and flow node, the flow figures and a duration histogram, filled from the existing calls',
    statements: [FLOW_SLICES_DDL, FLOW_ROLLUP_DDL, FLOW_HISTOGRAM_DDL],
    apply: rebuildFlowRollup,
  },
  {
    version: 10,
    description: 'trace-local call ids (calls hold ordinals, derivations.call_ids the ids they stand for) and path keys from 1',
    statements: [
      `CREATE TABLE derivations_v10 (
        trace_id UHUGEINT PRIMARY KEY,
        derived_seq UBIGINT NOT NULL,
        call_ids BLOB NOT NULL
      )`,
      // Each id as 8 big-endian bytes (16 hex digits, unhexed), in ascending order.
      `INSERT INTO derivations_v10
      SELECT d.trace_id, d.derived_seq,
        CASE WHEN len(coalesce(i.ids, [])) = 0 THEN ''::BLOB ELSE list_reduce(list_transform(i.ids, x -> unhex(format('{:016x}', x))), (a, b) -> a || b) END
      FROM derivations d LEFT JOIN (${TRACE_IDS_V9}) i ON i.trace_id = d.trace_id`,
      // Path keys from 1 (path-keys.ts): the old keys were 64-bit hashes.
      `CREATE TABLE path_keys_v10 AS SELECT path_key AS old_key, row_number() OVER (ORDER BY path_key)::UBIGINT AS new_key FROM call_paths`,
      `CREATE TABLE call_paths_v10 (
        path_key UBIGINT PRIMARY KEY,
        path_kinds VARCHAR[] NOT NULL,
        path_names VARCHAR[] NOT NULL,
        path_requests VARCHAR[] NOT NULL
      )`,
      `INSERT INTO call_paths_v10 SELECT k.new_key, p.path_kinds, p.path_names, p.path_requests FROM call_paths p JOIN path_keys_v10 k ON k.old_key = p.path_key`,
      `CREATE TABLE calls_v10 (${CALL_COLUMNS_V10})`,
      // In the old rows' order: the zone maps of start_time_ns and derived_seq rely on it.
      `INSERT INTO calls_v10
      SELECT c.trace_id, list_position(i.ids, c.call_id), c.synthetic, c.kind, c.service, c.request, c.resource_id, c.instance,
        c.k8s_cluster, c.k8s_node, c.k8s_namespace, c.k8s_pod, c.k8s_workload, c.start_time_ns, c.duration_ns, c.failed,
        c.failure_reason, c.stack_traces, c.depth,
        list_transform(c.path_call_ids, x -> CASE WHEN x IS NULL THEN NULL ELSE list_position(i.ids, x) END),
        c.referring_page, c.proxies, c.derived_seq, k.new_key
      FROM calls c JOIN (${TRACE_IDS_V9}) i ON i.trace_id = c.trace_id JOIN path_keys_v10 k ON k.old_key = c.path_key
      ORDER BY c.rowid`,
      'DROP TABLE calls',
      'ALTER TABLE calls_v10 RENAME TO calls',
      'DROP TABLE call_paths',
      'ALTER TABLE call_paths_v10 RENAME TO call_paths',
      'DROP TABLE path_keys_v10',
      'DROP TABLE derivations',
      'ALTER TABLE derivations_v10 RENAME TO derivations',
    ],
  },
];

/** Brings the schema up to the newest migration. */
export async function migrate(conn: SerialConnection, migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
  await conn.run(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
  )`);
  const reader = await conn.query('SELECT coalesce(max(version), 0) FROM schema_version');
  const current = Number(reader.getColumns()[0]?.[0] ?? 0);
  const newest = migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new StorageError(
      `the store's schema is version ${current}, newer than this Tributary knows (${newest}); use a newer release`,
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    await conn.transaction(async () => {
      for (const statement of migration.statements) await conn.run(statement);
      await migration.apply?.(conn);
      await conn.execute('INSERT INTO schema_version (version, description) VALUES ($1, $2)', [
        migration.version,
        migration.description,
      ]);
    });
  }
  return newest;
}
