import type { ServiceCall } from '../../model/call.js';
import type { BatchResource, SpanBatch } from '../../model/span-batch.js';
import type { CallAnalytics } from './call-queries.js';
import type { ReadOptions } from './read-options.js';

export type { ReadOptions } from './read-options.js';

/**
 * The storage seam. Every backend (DuckDB, ClickHouse, memory) implements `Storage` and passes the
 * conformance suite in `storage/conformance`, and its analyses (`CallAnalytics`, call-queries.ts)
 * must equal the oracle's in the differential tests (test/analysis). Ids cross this seam as
 * lower-case hex strings; times as `bigint` nanoseconds since the Unix epoch.
 *
 * Errors: every method rejects with a `StorageError` (carrying the backend's statement where there
 * is one) and never half-applies a write: a rejected append or replace leaves the store as before.
 */
export interface Storage extends SpanWriter, CallWriter, TraceReader, CallReader, CallAnalytics {
  readonly capabilities: StorageCapabilities;
  /**
   * The memory the store holds in this process outside JavaScript heaps: DuckDB's buffer manager
   * (cached table blocks, data not yet checkpointed, indexes), which its `memory_limit` bounds.
   * Null when the backend keeps no such memory here (the memory backend's data lives in the
   * JavaScript heap; ClickHouse runs in its own server). For /metrics and the soak benchmark.
   */
  memoryUsage(): Promise<StoreMemory | null>;
  /** Flushes and releases everything; later calls reject. Idempotent. */
  close(): Promise<void>;
}

export interface StoreMemory {
  /** Bytes in use now. */
  readonly usedBytes: number;
  /** The most the store lets itself use (its configured limit). */
  readonly limitBytes: number;
}

export interface StorageCapabilities {
  /** The backend's name, for logs and /metrics. */
  readonly backend: string;
  /** Whether data survives a process restart (false for `memory`). */
  readonly persistent: boolean;
}

/** A committed span append: the sequence number the store gave the batch. */
export interface AppendResult {
  /** Strictly increasing across appends to one store, across restarts. */
  readonly seq: bigint;
}

export interface SpanWriter {
  /**
   * Stores every span of `batch`, with its resource and scope. Resolves only once the spans are
   * durable: a process crash (kill -9) after resolution loses none of them. Concurrent calls may
   * share one commit (group commit). Not idempotent: appending the same span twice stores it
   * twice; readers collapse exact duplicates (same trace id, span id and payload).
   * The store copies what it keeps; the caller may reuse the batch's buffers after resolution.
   */
  appendSpans(batch: SpanBatch): Promise<AppendResult>;

  /** Deletes spans and calls that started before `cutoffUnixNano` (retention). Resolves with the number of spans deleted. */
  deleteBefore(cutoffUnixNano: bigint): Promise<number>;
}

/** The derived calls of one trace, as the assembler hands them to the store. */
export interface TraceCalls {
  readonly traceId: string;
  /** Every call of the trace (possibly none). */
  readonly calls: readonly ServiceCall[];
  /** The calls were derived from the trace's spans up to and including this append. */
  readonly derivedSeq: bigint;
  /**
   * True when the caller knows the store holds no calls of this trace yet (its first derivation
   * in this process and not a recovery), so the store may skip deleting old rows. When unsure:
   * false. A wrong true costs the store more work, never a duplicate call.
   */
  readonly firstDerivation: boolean;
}

export interface CallWriter {
  /**
   * For each entry, atomically replaces all stored calls of `traceId` with `calls` and records
   * `derivedSeq`; all entries commit together or not at all. Idempotent: replacing twice with the
   * same calls leaves one copy. Durable on resolution.
   */
  replaceTraceCalls(entries: readonly TraceCalls[]): Promise<void>;

  /**
   * Which of `traceIds` have a recorded derivation (a `replaceTraceCalls` entry, even with no
   * calls). The assembler asks before deriving a trace it did not see from its first span, so a
   * late span re-derives the whole stored trace instead of replacing its calls with a fragment.
   */
  derivedTraces(traceIds: readonly string[]): Promise<Set<string>>;

  /**
   * Traces whose stored spans are newer than their derived calls (spans appended after the last
   * `replaceTraceCalls` of the trace, or never derived), among appends after `afterSeq`. Used at
   * start-up to re-derive what a crash left behind. Unordered.
   */
  tracesNeedingDerivation(afterSeq: bigint): Promise<string[]>;

  /** A sequence number below which every trace is known to be derived (0n when none was recorded). */
  getDerivedWatermark(): Promise<bigint>;
  setDerivedWatermark(seq: bigint): Promise<void>;
}

/** A span as stored: the query columns plus the lossless OTLP protobuf `Span` payload. */
export interface StoredSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly resourceId: string;
  readonly scopeId: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly statusCode: number;
  readonly statusMessage: string;
  /** The OTLP protobuf `Span` message. Owned by the caller. */
  readonly payload: Uint8Array;
  /** The append that stored it. */
  readonly seq: bigint;
}

export interface StoredTrace {
  /** Exact duplicates collapsed; ordered by start time, then span id. Empty when the trace is unknown. */
  readonly spans: readonly StoredSpan[];
  /** Every resource and scope the spans reference, by hex id (resources: protobuf bytes + decoded attributes). */
  readonly resources: ReadonlyMap<string, BatchResource>;
  readonly scopes: ReadonlyMap<string, Uint8Array>;
}

export interface TraceReader {
  /** All spans of one trace. Resolves with empty `spans` for an unknown trace. */
  getTrace(traceId: string, options?: ReadOptions): Promise<StoredTrace>;

  /**
   * Several traces in one round trip (start-up recovery reads thousands). Per trace exactly what
   * `getTrace` would return: the map has one entry per distinct id in `traceIds`, empty `spans`
   * for an unknown trace; each entry's `resources`/`scopes` hold what its own spans reference.
   * Entries share no mutable data. Rejects (reading nothing) when any id is malformed. Callers keep
   * batches to a few hundred or thousand traces: the result is held in memory whole.
   */
  getTraces(traceIds: readonly string[], options?: ReadOptions): Promise<Map<string, StoredTrace>>;
}

export interface CallReader {
  /** The calls of one trace, ordered by start time, then call id. Empty for an unknown trace. */
  getTraceCalls(traceId: string): Promise<ServiceCall[]>;
}

/** A backend failure, with the statement that failed where there is one. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    message: string,
    readonly statement?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
