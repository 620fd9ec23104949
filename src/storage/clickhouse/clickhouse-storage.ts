/**
 * The ClickHouse backend: the storage contract over a ClickHouse server (18.16 or newer) reached
 * over HTTP. Several `tributary serve` processes may write to one database: seqs and call
 * generations come from a time-based clock with a per-process writer id (`seq-clock.ts`).
 *
 * Writes go through one group-commit queue per process: appends that queue up while an INSERT is
 * in flight share the next one (fewer, bigger parts, which is what MergeTree wants), each append
 * still getting its own seq. Other writes run alone, between groups.
 *
 * Durability: an append resolves once ClickHouse acknowledged the INSERT, which it does after the
 * new part is written and renamed into the table's directory — the data then survives a crash of
 * Tributary or of the ClickHouse server process (kill -9). ClickHouse does not fsync a part by
 * default (`fsync_after_insert` exists from 21.x), so an OS crash or power loss right after the
 * acknowledgement can lose it. Replicated shards (`replication.ts`) narrow that window: another
 * replica fetches the part within moments of the acknowledgement, though not before it.
 *
 * Atomicity: ClickHouse has no transactions. A rejected append stored nothing when it was rejected
 * by validation (everything is checked before the INSERT); a server failure midway can leave some
 * of a group's rows stored, and the group is retried span by span, which at worst stores a span
 * twice — readers collapse exact duplicates, so nothing visible changes. Call replacement is made
 * crash-safe by generations (`call-writer.ts`, ADR 0004).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AppendResult, ReadOptions, Storage, StorageCapabilities, StoredTrace, TraceCalls } from '../api/storage.js';
import { StorageError } from '../api/storage.js';
import type {
  BacktraceDetails,
  BacktraceGroup,
  CallAnalytics,
  FailureSummary,
  FlowGroup,
  FocalFilter,
  NodeRef,
  ServiceNeighbourhood,
  ServiceSummary,
  TimeRange,
  TraceQuery,
  TraceSummary,
  ZoneFilter,
} from '../api/call-queries.js';
import type { ServiceCall } from '../../model/call.js';
import type { ServiceKind } from '../../model/service.js';
import type { SpanBatch } from '../../model/span-batch.js';
import { GroupCommitQueue } from '../duckdb/group-commit.js';
import { ClickHouseAnalytics } from './analytics/analytics.js';
import { CALL_SELECT, callFromRow } from './call-rows.js';
import { replaceCalls } from './call-writer.js';
import { ClickHouseConnection, ensureDatabase } from './connection.js';
import type { ClickHouseQueryRunner } from './connection.js';
import { liveCallsFilter } from './live-calls.js';
import { DERIVED_WATERMARK, SEQ_FLOOR, getMeta, readKnownContent, readSeqFloor, setMeta } from './meta.js';
import { deleteStartedBefore, purgeOrphanDerivations, purgeSupersededCalls } from './retention.js';
import { clusterIsReplicated } from './replication.js';
import { migrate } from './schema.js';
import { SeqClock, seqAtTime } from './seq-clock.js';
import { checkBatch } from '../check-batch.js';
import { RESOURCE_COLUMNS, SCOPE_COLUMNS, SPAN_COLUMNS, writeResourceRow, writeScopeRow, writeSpanRows } from './span-rows.js';
import { checkTraceId, identifier, traceIdLiteral, uint64Literal } from './sql-literal.js';
import { SINGLE_NODE_TABLES, clusterTables } from './tables.js';
import type { ClickHouseTables } from './tables.js';
import { RowBinaryWriter } from './row-binary.js';
import { ValuesWriter } from './values-writer.js';
import { TraceReader } from './trace-reader.js';

export interface ClickHouseStorageOptions {
  /** HTTP endpoint of a ClickHouse server, e.g. `http://127.0.0.1:8123` (credentials may be in it). */
  readonly url: string;
  /** Database of the store; created if missing. Default `tributary`. */
  readonly database?: string;
  /**
   * A cluster from the servers' `remote_servers`: the tables are then `*_local` on every shard
   * (created `ON CLUSTER`, which needs ZooKeeper) under `Distributed` tables sharded by trace id,
   * so a trace's spans and calls live on one shard. `url` may point at any node. When a shard has
   * several replicas (`system.clusters`), the local tables are `Replicated*MergeTree`: the servers
   * need the `{shard}`/`{replica}` macros and `internal_replication` (replication.ts).
   */
  readonly cluster?: string;
  /**
   * Dead call generations are purged (in `deleteBefore`) once they were superseded this long ago,
   * so a replace still in flight in another process is never purged under it. Default 10 minutes.
   */
  readonly purgeMarginMs?: number;
}

export const DEFAULT_DATABASE = 'tributary';

/** Spans per INSERT at most: bounds one request's memory. */
const MAX_GROUP_SPANS = 50_000;

export async function openClickHouseStorage(options: ClickHouseStorageOptions): Promise<Storage> {
  const database = options.database ?? DEFAULT_DATABASE;
  await ensureDatabase(options.url, database, options.cluster);
  const replicated = options.cluster !== undefined && (await isReplicated(options.url, options.cluster));
  const tables = options.cluster === undefined ? SINGLE_NODE_TABLES : clusterTables(identifier(options.cluster, 'cluster name'), identifier(database, 'database name'), replicated);
  const conn = new ClickHouseConnection({ url: options.url, database, ...(options.cluster === undefined ? {} : { cluster: options.cluster, replicated }) });
  try {
    await migrate(conn, tables);
    const floor = await readSeqFloor(conn, tables);
    const known = await readKnownContent(conn, tables);
    return new ClickHouseStorage(conn, tables, new SeqClock(floor), known, options.purgeMarginMs ?? 10 * 60_000);
  } catch (cause: unknown) {
    await conn.close();
    throw cause instanceof StorageError ? cause : new StorageError('cannot open the ClickHouse store', undefined, { cause });
  }
}

/** Whether the cluster has replicated shards, as the server at `url` knows it. */
async function isReplicated(url: string, cluster: string): Promise<boolean> {
  const conn = new ClickHouseConnection({ url, database: 'default' });
  try {
    return await clusterIsReplicated(conn, cluster);
  } catch (cause: unknown) {
    throw cause instanceof StorageError ? cause : new StorageError('cannot open the ClickHouse store', undefined, { cause });
  } finally {
    await conn.close();
  }
}

class ClickHouseStorage implements Storage {
  readonly capabilities: StorageCapabilities = { backend: 'clickhouse', persistent: true };
  private readonly writes: GroupCommitQueue<SpanBatch, AppendResult>;
  private readonly traceReader: TraceReader;
  private readonly analytics: CallAnalytics;
  /** The `ReadOptions.signal` of the read in whose async context a query runs. */
  private readonly readSignal = new AsyncLocalStorage<AbortSignal | undefined>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly conn: ClickHouseConnection,
    private readonly tables: ClickHouseTables,
    private readonly clock: SeqClock,
    private readonly known: { readonly resources: Set<bigint>; readonly scopes: Set<bigint> },
    private readonly purgeMarginMs: number,
  ) {
    this.writes = new GroupCommitQueue((batches) => this.commitSpans(batches), {
      weight: (batch) => batch.length,
      maxGroupWeight: MAX_GROUP_SPANS,
      closedError: () => this.closedError(),
    });
    this.traceReader = new TraceReader(tables);
    // The analytics read through a runner that passes the signal of the call being run (readSignal).
    this.analytics = new ClickHouseAnalytics({ query: (sql) => conn.query(sql, { signal: this.readSignal.getStore() }) }, tables);
  }

  appendSpans(batch: SpanBatch): Promise<AppendResult> {
    return this.guard('appendSpans', async () => {
      checkBatch(batch);
      return this.writes.submit(batch);
    });
  }

  private async commitSpans(batches: readonly SpanBatch[]): Promise<AppendResult[]> {
    // Seqs are spent even if the insert fails: a gap is harmless, a reused seq is not.
    const seqs = batches.map(() => this.clock.next());
    const resources = new Map(batches.flatMap((b) => b.resources).filter((r) => !this.known.resources.has(r.id)).map((r) => [r.id, r]));
    const scopes = new Map(batches.flatMap((b) => b.scopes).filter((s) => !this.known.scopes.has(s.id)).map((s) => [s.id, s]));
    // Resources and scopes first: a span is never stored without what it references.
    const resourceRows = new ValuesWriter(1024);
    for (const r of resources.values()) writeResourceRow(r, resourceRows);
    await this.conn.insertValues(this.tables.resources, RESOURCE_COLUMNS, resourceRows);
    const scopeRows = new ValuesWriter(1024);
    for (const sc of scopes.values()) writeScopeRow(sc, scopeRows);
    await this.conn.insertValues(this.tables.scopes, SCOPE_COLUMNS, scopeRows);
    const spanRows = new RowBinaryWriter();
    batches.forEach((batch, i) => writeSpanRows(batch, seqs[i]!, spanRows));
    await this.conn.insertRowBinary(this.tables.spans, SPAN_COLUMNS, spanRows);
    // An empty batch leaves no row carrying its seq; record it so a restart never goes below it.
    if (batches.some((b) => b.length === 0)) await this.setMeta(SEQ_FLOOR, this.clock.last.toString());
    for (const id of resources.keys()) this.known.resources.add(id);
    for (const id of scopes.keys()) this.known.scopes.add(id);
    return seqs.map((seq) => ({ seq }));
  }

  deleteBefore(cutoffUnixNano: bigint): Promise<number> {
    return this.write('deleteBefore', async () => {
      // Retention may delete the rows carrying the newest seqs; the floor keeps a restart above them.
      await this.setMeta(SEQ_FLOOR, this.clock.last.toString());
      const deleted = await deleteStartedBefore(this.conn, this.tables, 'spans', cutoffUnixNano);
      const deletedCalls = await deleteStartedBefore(this.conn, this.tables, 'calls', cutoffUnixNano);
      await purgeSupersededCalls(this.conn, this.tables, this.purgeBound());
      if (deleted + deletedCalls > 0) await purgeOrphanDerivations(this.conn, this.tables);
      return deleted;
    });
  }

  /** Dead generations superseded before this write id may be purged (see `purgeMarginMs`). */
  private purgeBound(): bigint {
    return this.purgeMarginMs <= 0 ? this.clock.last : seqAtTime(Date.now() - this.purgeMarginMs);
  }

  replaceTraceCalls(entries: readonly TraceCalls[]): Promise<void> {
    return this.write('replaceTraceCalls', () => replaceCalls(this.conn, this.tables, entries, this.clock.next()));
  }

  derivedTraces(traceIds: readonly string[]): Promise<Set<string>> {
    return this.guard('derivedTraces', async () => {
      if (traceIds.length === 0) return new Set<string>();
      const ids = [...new Set(traceIds)].map(traceIdLiteral).join(',');
      const rows = await this.conn.query(`SELECT DISTINCT lower(hex(trace_id)) AS t FROM ${this.tables.derivations} WHERE trace_id IN (${ids})`);
      return new Set(rows.map((r) => String(r['t'])));
    });
  }

  tracesNeedingDerivation(afterSeq: bigint): Promise<string[]> {
    return this.guard('tracesNeedingDerivation', async () => {
      const after = uint64Literal(afterSeq < 0n ? 0n : afterSeq);
      const t = this.tables;
      // A trace without a derivation joins to the default 0, below every seq. The IN subquery
      // reads the shard-local spans: a trace's derivation lives on the shard of its spans.
      const rows = await this.conn.query(`SELECT lower(hex(trace_id)) AS t FROM
        (SELECT trace_id, max(seq) AS last_seq FROM ${t.spans} WHERE seq > ${after} GROUP BY trace_id)
        ANY LEFT JOIN
        (SELECT trace_id, argMax(derived_seq, write_id) AS derived FROM ${t.derivations}
          WHERE trace_id IN (SELECT trace_id FROM ${t.local.spans} WHERE seq > ${after}) GROUP BY trace_id)
        USING trace_id
        WHERE derived < last_seq`);
      return rows.map((r) => String(r['t']));
    });
  }

  getDerivedWatermark(): Promise<bigint> {
    return this.guard('getDerivedWatermark', async () => {
      const value = await this.getMeta(DERIVED_WATERMARK);
      return value === undefined ? 0n : BigInt(value);
    });
  }

  setDerivedWatermark(seq: bigint): Promise<void> {
    return this.write('setDerivedWatermark', () => this.setMeta(DERIVED_WATERMARK, uint64Literal(seq)));
  }

  getTrace(traceId: string, options?: ReadOptions): Promise<StoredTrace> {
    return this.guard('getTrace', () => this.traceReader.read(this.signalled(options), traceId));
  }

  getTraces(traceIds: readonly string[], options?: ReadOptions): Promise<Map<string, StoredTrace>> {
    return this.guard('getTraces', () => this.traceReader.readMany(this.signalled(options), traceIds));
  }

  /** The connection as a query runner whose queries stop when `options.signal` aborts. */
  private signalled(options: ReadOptions | undefined): ClickHouseQueryRunner {
    const signal = options?.signal;
    return signal === undefined ? this.conn : { query: (sql) => this.conn.query(sql, { signal }) };
  }

  getTraceCalls(traceId: string): Promise<ServiceCall[]> {
    return this.guard('getTraceCalls', async () => {
      const hex = checkTraceId(traceId);
      const rows = await this.conn.query(`SELECT ${CALL_SELECT} FROM ${this.tables.calls} AS c
        WHERE c.trace_id = ${traceIdLiteral(hex)} AND ${liveCallsFilter('c', this.tables)}
        ORDER BY start_time_ns, call_id, synthetic`);
      return rows.map((row) => callFromRow(hex, row));
    });
  }

  // The analyses (CallAnalytics): SQL in ./analytics.

  backtraceGroups(filter: FocalFilter, options?: ReadOptions): Promise<BacktraceGroup[]> {
    return this.guard('backtraceGroups', () => this.readSignal.run(options?.signal, () => this.analytics.backtraceGroups(filter)));
  }

  backtraceDetails(filter: FocalFilter, nodePath: readonly NodeRef[], exemplarLimit: number, options?: ReadOptions): Promise<BacktraceDetails> {
    return this.guard('backtraceDetails', () => this.readSignal.run(options?.signal, () => this.analytics.backtraceDetails(filter, nodePath, exemplarLimit)));
  }

  flowGroups(filter: FocalFilter, options?: ReadOptions): Promise<FlowGroup[]> {
    return this.guard('flowGroups', () => this.readSignal.run(options?.signal, () => this.analytics.flowGroups(filter)));
  }

  serviceSummaries(range: TimeRange, zone?: ZoneFilter, options?: ReadOptions): Promise<ServiceSummary[]> {
    return this.guard('serviceSummaries', () => this.readSignal.run(options?.signal, () => this.analytics.serviceSummaries(range, zone)));
  }

  serviceNeighbourhood(filter: FocalFilter, options?: ReadOptions): Promise<ServiceNeighbourhood> {
    return this.guard('serviceNeighbourhood', () => this.readSignal.run(options?.signal, () => this.analytics.serviceNeighbourhood(filter)));
  }

  failures(filter: FocalFilter, bucketMs: number, options?: ReadOptions): Promise<FailureSummary> {
    return this.guard('failures', () => this.readSignal.run(options?.signal, () => this.analytics.failures(filter, bucketMs)));
  }

  findTraces(query: TraceQuery, options?: ReadOptions): Promise<TraceSummary[]> {
    return this.guard('findTraces', () => this.readSignal.run(options?.signal, () => this.analytics.findTraces(query)));
  }

  serviceKinds(name: string, options?: ReadOptions): Promise<ServiceKind[]> {
    return this.guard('serviceKinds', () => this.readSignal.run(options?.signal, () => this.analytics.serviceKinds(name)));
  }

  listResources(options?: ReadOptions): Promise<Map<string, Record<string, string>>> {
    return this.guard('listResources', () => this.readSignal.run(options?.signal, () => this.analytics.listResources()));
  }

  /** Null: ClickHouse keeps its memory in its own server process (`Storage.memoryUsage`). */
  memoryUsage(): Promise<null> {
    return this.guard('memoryUsage', async () => null);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writes.close();
      await this.conn.close();
    })();
    return this.closing;
  }

  private getMeta(key: string): Promise<string | undefined> {
    return getMeta(this.conn, this.tables, key);
  }

  private setMeta(key: string, value: string): Promise<void> {
    return setMeta(this.conn, this.tables, key, value, this.clock.next());
  }

  /** A write other than an append: runs alone, in queue order. */
  private write<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.guard(what, () => this.writes.exclusive(fn));
  }

  /** Rejects after close, and turns every failure into a StorageError. */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closing) throw this.closedError();
    try {
      return await fn();
    } catch (cause: unknown) {
      if (cause instanceof StorageError) throw cause;
      throw new StorageError(`clickhouse ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, undefined, { cause });
    }
  }

  private closedError(): StorageError {
    return new StorageError(`the ClickHouse store ${this.conn.options.database} is closed`);
  }
}
