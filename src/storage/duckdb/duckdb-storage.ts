/**
 * The embedded DuckDB backend: one file, `tributary.duckdb`, in the data directory, owned by one
 * process.
 *
 * Writes: one writer connection behind a group-commit queue (`group-commit.ts`). Concurrent
 * `appendSpans` calls that queue up while a commit is in flight share the next transaction; each
 * call still gets its own seq, so seqs are strictly increasing per call. A call resolves after
 * COMMIT returned, and DuckDB's COMMIT appends the transaction to the WAL and fsyncs it (checked
 * with strace on DuckDB 1.5: one `fsync` of `tributary.duckdb.wal` per COMMIT, with the default
 * settings), so a resolved append survives kill -9, and power loss as far as the disk honours
 * fsync. (`durability.test.ts` kills a writer with SIGKILL and finds every acknowledged span.)
 *
 * Reads: a few reader connections (DuckDB MVCC: they see committed data and never block the
 * writer), each used by one query at a time.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { UHUGEINT } from '@duckdb/node-api';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBBlobValue } from '@duckdb/node-api';
import { StorageError } from '../api/storage.js';
import type { AppendResult, ReadOptions, Storage, StorageCapabilities, StoreMemory, StoredTrace, TraceCalls } from '../api/storage.js';
import type {
  BacktraceDetails,
  BacktraceGroup,
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
import { DuckDbAnalytics } from './analytics/analytics.js';
import { SerialConnection, asStorageError } from './connection.js';
import { CALL_SELECT_COLUMNS, CALL_SELECT_FROM, callFromRow } from './call-rows.js';
import { idsOfBlob } from './trace-call-ids.js';
import { replaceCalls } from './call-writer.js';
import { packTraceCalls, type CallBatch } from './call-batch.js';
import { refreshDirtyBuckets } from './analytics/rollup-refresh.js';
import { deleteCallsBefore } from './call-retention.js';
import { derivedTraces, readDerivedWatermark, tracesNeedingDerivation, writeDerivedWatermark } from './derivation-records.js';
import { FLOW_EXACT_LIMIT } from './analytics/flow.js';
import { GroupCommitQueue } from './group-commit.js';
import { useInterruptible } from './interruptible.js';
import { parseTraceId } from './id-codec.js';
import { PathKeys } from './path-keys.js';
import { migrate } from './schema.js';
import { checkBatch } from '../check-batch.js';
import { SET_META, SpanWriter, type PreparedAppend } from './span-writer.js';
import { readStoreMemory } from './store-memory.js';
import { TraceReader } from './trace-reader.js';

export interface DuckDbStorageOptions {
  /** Directory of the store; created if missing. */
  readonly dataDir: string;
  /** DuckDB `memory_limit` (default '2GB'). */
  readonly memoryLimit?: string;
  /** DuckDB worker threads (default: the number of CPU cores DuckDB detects). */
  readonly threads?: number;
  /** Reader connections (default 2, at least 1). */
  readonly readers?: number;
  /**
   * DuckDB `checkpoint_threshold`: the WAL size that triggers a checkpoint (default '256MB').
   * DuckDB's own default (16MB) checkpoints every ~45K spans, and each checkpoint rewrites the
   * table's last, partly filled row group: `bench/append.ts` measured 89K spans/s and 336 B/span
   * on disk, against ~225K spans/s and ~275 B/span at 256MB. The price is the replay at start-up
   * after a crash: a 228MB WAL (600K spans) replayed in 0.8 s.
   */
  readonly checkpointThreshold?: string;
  /**
   * The rollups (`analytics/rollup-minutes.ts`: the services list's and the flow's): every
   * `intervalMs` the store rebuilds the rows of minutes no call write has touched for `quietMs`
   * (defaults 10 s and 30 s). Until then the services list and the flow compute those minutes from
   * the calls: the same answer, slower for a long window.
   */
  readonly rollupRefresh?: { readonly intervalMs: number; readonly quietMs: number };
  /**
   * A flow with more focal calls than this is read from the flow rollup, with percentiles within
   * 0.78% (`analytics/flow.ts`, ADR 0007); up to it, from the calls, exact. Default
   * `FLOW_EXACT_LIMIT` (20,000); tests set 0 to hold the rollup to the oracle.
   */
  readonly flowExactLimit?: number;
}

/** The DuckDB store: `Storage`, plus its own maintenance. */
export interface DuckDbStore extends Storage {
  /**
   * Rebuilds both rollups (services list, flow) of every minute no call write has touched for
   * `quietMs` (default 0: every marked minute) now, instead of waiting for the timer. Resolves with
   * how many minutes.
   */
  refreshRollups(quietMs?: number): Promise<number>;
  /** Never null: DuckDB's buffer manager lives in this process. */
  memoryUsage(): Promise<StoreMemory>;
  /**
   * `replaceTraceCalls` of a batch `packTraceCalls` made (and checked), maybe on another thread:
   * the storage worker's proxy packs there and transfers the batch (`call-batch.ts`).
   */
  replaceCallBatch(batch: CallBatch): Promise<void>;
}

export const DATABASE_FILE = 'tributary.duckdb';

const DEFAULT_ROLLUP_REFRESH = { intervalMs: 10_000, quietMs: 30_000 };

/** Spans per group commit at most: bounds one transaction's memory and its commit latency. */
const MAX_GROUP_SPANS = 50_000;

/** Files open in this process: DuckDB's file lock is per process, so a second open must be refused here. */
const openFiles = new Set<string>();

export async function openDuckDbStorage(options: DuckDbStorageOptions): Promise<DuckDbStore> {
  await mkdir(options.dataDir, { recursive: true });
  const file = path.join(await realpath(options.dataDir), DATABASE_FILE);
  if (openFiles.has(file)) throw new StorageError(`${file} is already open in this process`);
  const config: Record<string, string> = { memory_limit: options.memoryLimit ?? '2GB' };
  if (options.threads !== undefined) config.threads = String(options.threads);
  config.checkpoint_threshold = options.checkpointThreshold ?? '256MB';

  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file, config);
  } catch (cause: unknown) {
    throw asStorageError(cause, undefined, `cannot open ${file} (another process may own it)`);
  }
  const connections: SerialConnection[] = [];
  try {
    const writer = new SerialConnection(await instance.connect());
    const callWriter = new SerialConnection(await instance.connect());
    connections.push(writer, callWriter);
    for (let i = 0; i < Math.max(1, options.readers ?? 2); i++) connections.push(new SerialConnection(await instance.connect()));
    await migrate(writer);
    const spanWriter = new SpanWriter(writer);
    await spanWriter.load();
    const lastSeq = await readLastSeq(writer);
    openFiles.add(file);
    const store = new DuckDbStorage(file, instance, writer, callWriter, connections.slice(2), spanWriter, lastSeq, options.flowExactLimit ?? FLOW_EXACT_LIMIT);
    store.startRollupRefresh(options.rollupRefresh ?? DEFAULT_ROLLUP_REFRESH);
    return store;
  } catch (cause: unknown) {
    for (const c of connections) c.close();
    instance.closeSync();
    throw asStorageError(cause, undefined);
  }
}

async function readLastSeq(conn: SerialConnection): Promise<bigint> {
  const rows = (await conn.query(`SELECT greatest(
      coalesce((SELECT max(last_seq) FROM span_blocks), 0),
      coalesce((SELECT CAST(value AS UBIGINT) FROM meta WHERE key = 'seq_floor'), 0))`)).getRows();
  return BigInt(rows[0]?.[0] as bigint);
}

class DuckDbStorage implements DuckDbStore {
  readonly capabilities: StorageCapabilities = { backend: 'duckdb', persistent: true };
  private readonly writes: GroupCommitQueue<PreparedAppend, AppendResult>;
  private closing: Promise<void> | undefined;
  private rollupTimer: NodeJS.Timeout | undefined;
  private readonly traceReader = new TraceReader();
  private readonly pathKeys = new PathKeys();
  /** The signal of the analytics read being started: `DuckDbAnalytics` calls `read` synchronously within `run`. */
  private readonly readSignal = new AsyncLocalStorage<AbortSignal | undefined>();
  private readonly analytics: DuckDbAnalytics;

  constructor(
    private readonly file: string,
    private readonly instance: DuckDBInstance,
    private readonly writer: SerialConnection,
    /**
     * Derived calls are written on their own connection, so a settle chunk's call write (hundreds
     * of ms under load) runs beside span appends instead of ahead of them: OTLP acks wait for span
     * commits only. The two never touch the same rows (spans, resources, scopes and `seq_floor` on
     * one side; calls, call_paths, service_rollup, derivations and `derived_watermark` on the
     * other), so DuckDB's optimistic concurrency never makes them conflict; retention, which
     * deletes from both, holds both.
     */
    private readonly callWriter: SerialConnection,
    private readonly readers: readonly SerialConnection[],
    private readonly spanWriter: SpanWriter,
    private lastSeq: bigint,
    flowExactLimit: number,
  ) {
    this.analytics = new DuckDbAnalytics(
      (what, fn) => this.read(what, fn, this.readSignal.getStore()),
      (conn, traceIds) => this.traceReader.readMany(conn, traceIds),
      flowExactLimit,
    );
    this.writes = new GroupCommitQueue((appends) => this.commitSpans(appends), {
      weight: (append) => append.batch.length,
      maxGroupWeight: MAX_GROUP_SPANS,
      closedError: () => this.closedError(),
    });
  }

  appendSpans(batch: SpanBatch): Promise<AppendResult> {
    return this.guard('appendSpans', async () => {
      checkBatch(batch);
      // Seqs are given in submission order, which is commit order, and spent even if the commit
      // fails: a gap is harmless, a reused seq is not.
      this.lastSeq += 1n;
      return this.writes.submit(this.spanWriter.prepare(batch, this.lastSeq));
    });
  }

  private async commitSpans(appends: readonly PreparedAppend[]): Promise<AppendResult[]> {
    await this.spanWriter.commitGroup(appends);
    return appends.map(({ seq }) => ({ seq }));
  }

  deleteBefore(cutoffUnixNano: bigint): Promise<number> {
    return this.write('deleteBefore', async () =>
      this.callWriter.use(() => this.writer.transaction(async () => {
        await this.writer.execute(SET_META, ['seq_floor', String(this.lastSeq)]);
        const deleted = await this.spanWriter.deleteSpansBefore(cutoffUnixNano);
        await deleteCallsBefore(this.writer, cutoffUnixNano);
        return deleted;
      })),
    );
  }

  /** Starts the rollup's timer; a failed refresh leaves its minutes marked, and the next tick retries. */
  startRollupRefresh({ intervalMs, quietMs }: { readonly intervalMs: number; readonly quietMs: number }): void {
    let running = false;
    this.rollupTimer = setInterval(() => {
      if (running || this.closing) return;
      running = true;
      this.refreshRollups(quietMs)
        .catch(() => undefined)
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    this.rollupTimer.unref();
  }

  refreshRollups(quietMs = 0): Promise<number> {
    return this.guard('refreshRollups', async () => {
      let refreshed = 0;
      // In steps of a few minutes, so call writes wait behind one step at most.
      for (;;) {
        const step = await this.callWriter.use(() => refreshDirtyBuckets(this.callWriter, Date.now() - quietMs));
        if (step === 0) return refreshed;
        refreshed += step;
      }
    });
  }

  replaceTraceCalls(entries: readonly TraceCalls[]): Promise<void> {
    return this.guard('replaceTraceCalls', () => this.replaceCallBatch(packTraceCalls(entries)));
  }

  replaceCallBatch(batch: CallBatch): Promise<void> {
    return this.writeCalls('replaceTraceCalls', () => replaceCalls(this.callWriter, this.pathKeys, batch));
  }

  derivedTraces(traceIds: readonly string[]): Promise<Set<string>> {
    return this.read('derivedTraces', (conn) => derivedTraces(conn, traceIds));
  }

  tracesNeedingDerivation(afterSeq: bigint): Promise<string[]> {
    return this.read('tracesNeedingDerivation', (conn) => tracesNeedingDerivation(conn, afterSeq));
  }

  getDerivedWatermark(): Promise<bigint> {
    return this.read('getDerivedWatermark', readDerivedWatermark);
  }

  setDerivedWatermark(seq: bigint): Promise<void> {
    return this.writeCalls('setDerivedWatermark', () => writeDerivedWatermark(this.callWriter, seq));
  }

  getTrace(traceId: string, options?: ReadOptions): Promise<StoredTrace> {
    return this.read('getTrace', (conn) => this.traceReader.read(conn, traceId), options?.signal);
  }

  getTraces(traceIds: readonly string[], options?: ReadOptions): Promise<Map<string, StoredTrace>> {
    return this.read('getTraces', (conn) => this.traceReader.readMany(conn, traceIds), options?.signal);
  }

  getTraceCalls(traceId: string): Promise<ServiceCall[]> {
    return this.read('getTraceCalls', async (conn) => {
      const id = parseTraceId(traceId);
      // No index on calls.trace_id (schema.ts, version 8): the join hands the derivation's seq to
      // the calls scan as a dynamic filter, whose zone maps skip all but a few row groups (one
      // trace of the 10M-span store, EXPLAIN ANALYZE: 7 ms, against 25 ms by trace id alone).
      // Ordering by the trace-local call ordinal orders by call id (`trace-call-ids.ts`).
      const rows = (await conn.query(`SELECT d.call_ids, ${CALL_SELECT_COLUMNS} FROM ${CALL_SELECT_FROM}
        JOIN (SELECT derived_seq, call_ids FROM derivations WHERE trace_id = $1) d ON c.derived_seq = d.derived_seq
        WHERE c.trace_id = $1
        ORDER BY c.start_time_ns, c.call_id, c.synthetic`, [id], [UHUGEINT])).getRows();
      const ids = rows.length === 0 ? [] : idsOfBlob((rows[0]![0] as DuckDBBlobValue).bytes);
      return rows.map(([, ...row]) => callFromRow(traceId, row, ids));
    });
  }

  // The analyses (CallAnalytics): SQL in ./analytics, one file per analysis.

  backtraceGroups(filter: FocalFilter, options?: ReadOptions): Promise<BacktraceGroup[]> {
    return this.readSignal.run(options?.signal, () => this.analytics.backtraceGroups(filter));
  }

  backtraceDetails(filter: FocalFilter, nodePath: readonly NodeRef[], exemplarLimit: number, options?: ReadOptions): Promise<BacktraceDetails> {
    return this.readSignal.run(options?.signal, () => this.analytics.backtraceDetails(filter, nodePath, exemplarLimit));
  }

  flowGroups(filter: FocalFilter, options?: ReadOptions): Promise<FlowGroup[]> {
    return this.readSignal.run(options?.signal, () => this.analytics.flowGroups(filter));
  }

  serviceSummaries(range: TimeRange, zone?: ZoneFilter, options?: ReadOptions): Promise<ServiceSummary[]> {
    return this.readSignal.run(options?.signal, () => this.analytics.serviceSummaries(range, zone));
  }

  serviceNeighbourhood(filter: FocalFilter, options?: ReadOptions): Promise<ServiceNeighbourhood> {
    return this.readSignal.run(options?.signal, () => this.analytics.serviceNeighbourhood(filter));
  }

  failures(filter: FocalFilter, bucketMs: number, options?: ReadOptions): Promise<FailureSummary> {
    return this.readSignal.run(options?.signal, () => this.analytics.failures(filter, bucketMs));
  }

  findTraces(query: TraceQuery, options?: ReadOptions): Promise<TraceSummary[]> {
    return this.readSignal.run(options?.signal, () => this.analytics.findTraces(query));
  }

  serviceKinds(name: string, options?: ReadOptions): Promise<ServiceKind[]> {
    return this.readSignal.run(options?.signal, () => this.analytics.serviceKinds(name));
  }

  listResources(options?: ReadOptions): Promise<Map<string, Record<string, string>>> {
    return this.readSignal.run(options?.signal, () => this.analytics.listResources());
  }

  memoryUsage(): Promise<StoreMemory> {
    return this.read('memoryUsage', readStoreMemory);
  }

  close(): Promise<void> {
    clearInterval(this.rollupTimer);
    this.closing ??= (async () => {
      await this.writes.close();
      // Let running reads finish before their connections go away.
      const connections = [this.writer, this.callWriter, ...this.readers];
      await Promise.all(connections.map((c) => c.use(async () => undefined)));
      for (const c of connections) c.close();
      this.instance.closeSync();
      openFiles.delete(this.file);
    })();
    return this.closing;
  }

  /** A write other than an append: runs alone on the writer connection, in queue order. */
  private write<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.guard(what, () => this.writes.exclusive(() => this.writer.use(fn)));
  }

  /** A write of derived calls: one at a time on the call writer connection, beside appends. */
  private writeCalls<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.guard(what, () => this.callWriter.use(fn));
  }

  /** A read on the least busy reader connection; `signal` interrupts it (interruptible.ts). */
  private read<T>(what: string, fn: (conn: SerialConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.guard(what, () => {
      const conn = this.readers.reduce((best, c) => (c.pending < best.pending ? c : best));
      return useInterruptible(conn, signal, fn);
    });
  }

  /** Rejects after close, and turns every failure into a StorageError. */
  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closing) throw this.closedError();
    try {
      return await fn();
    } catch (cause: unknown) {
      throw asStorageError(cause, undefined, `duckdb ${what}`);
    }
  }

  private closedError(): StorageError {
    return new StorageError(`the DuckDB store ${this.file} is closed`);
  }
}
