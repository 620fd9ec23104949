import { deriveCalls, type DerivationOptions } from '../analysis/derive-calls.js';
import type { Metrics } from '../app/metrics.js';
import type { SpanSkeleton } from '../model/skeleton.js';
import type { SpanBatch } from '../model/span-batch.js';
import type { Storage, TraceCalls } from '../storage/api/storage.js';
import { liveBatch, skeletonAt, skeletonsFromStoredTrace, traceIdOf, type LiveBatch, type ServiceInfoCache } from './skeletons.js';

export interface AssemblerOptions {
  readonly storage: Storage;
  readonly services: ServiceInfoCache;
  readonly derivation: DerivationOptions;
  readonly metrics: Metrics;
  /** A trace idle this long is settled. 0 settles on the next tick. */
  readonly settleMs: number;
  readonly maxLiveSpans: number;
  readonly maxSpansPerTrace: number;
  readonly log: (message: string) => void;
  /** Milliseconds; injectable for tests. */
  readonly now?: () => number;
}

interface LiveTrace {
  readonly traceId: string;
  /**
   * Its spans so far: first `skeletons`, then row `rows[k]` of `batches[k]` for each k (no object
   * per span: see `LiveBatch`). Rows older than `PIN_WINDOWS` settle windows become skeletons, so a
   * trace that keeps receiving spans does not hold every batch it touched.
   */
  skeletons: SpanSkeleton[];
  batches: LiveBatch[];
  rows: number[];
  /** When its oldest row was added. */
  oldestRowMs: number;
  lastSeenMs: number;
  minSeq: bigint;
  maxSeq: bigint;
  /** True when stored spans of this trace may predate this live entry: derive from the store. */
  hasHistory: boolean;
}

/**
 * Settle windows after which a live trace's rows become skeletons (`LiveTrace`): no batch stays
 * referenced much longer than its traces would normally take to settle.
 */
const PIN_WINDOWS = 2;

/** Settled traces processed per store round trip. */
const SETTLE_CHUNK = 2_000;

/**
 * Settle chunks in flight at once (`settleDue`): while the store writes one chunk's calls, the
 * next is derived. With one at a time, derivation and the call write took turns and neither thread
 * was busy: 44K spans/s derived at 1.4 cores. With 3, 59–65K (`bench:ingest`, docs/benchmarks.md).
 */
const SETTLE_PIPELINE = 3;

/**
 * Spans derived between yields to the event loop (~1.5 ms of work). Derivation shares the thread
 * that answers OTLP requests; a whole chunk at once held it for ~60 ms, and acks waited.
 */
const YIELD_SPANS = 1_000;

/**
 * Trace ids `derivedHere` holds before it starts over. A later span of a trace it forgot costs one
 * `derivedTraces` lookup, which every new trace's settle pays anyway. 100K ids are ~10 MB of heap
 * and half a minute of derivations at 36K spans/s; the 1M it held before were an estimated
 * ~100 MB (32-character ids), filled and dropped every ~5 minutes in `bench:soak`.
 */
const REMEMBERED_DERIVATIONS = 100_000;

/** Settle chunk during a bounded stop: the deadline is checked between chunks. */
const STOP_CHUNK = 250;

/** What a bounded `stop` did: traces derived, and traces left for recovery at the next start. */
export interface StopOutcome {
  readonly derived: number;
  readonly left: number;
}

/**
 * Traces read back from the store per `getTraces` call (recovery, late spans): one query instead
 * of one per trace, while a batch of whole traces stays in the tens of MB. DuckDB answers a batch
 * with one scan of `spans` while the store is small (trace-reader.ts), so fewer, larger batches
 * pay for fewer scans: recovering 20K traces from an 850K-span store in batches of 500 cost 40
 * scans and 24 s of CPU against 58 s for per-trace reads (bench/recovery.ts, load average 16–25).
 */
const READ_BATCH = 2_000;

/**
 * Keeps the spans of every live trace (rows of their committed batches, `LiveBatch`) and, once a
 * trace has been idle for the settle window, derives its service calls and replaces them in the
 * store (DESIGN.md §1 "Assembler").
 *
 * Contract with the ingest pipeline: `add` is called with each batch right after the store
 * committed it, in commit order. Because spans are stored before they are added here, a trace
 * that was derived before (a late span, or a trace begun before a restart) is re-derived from the
 * store, which then holds every span of it; a trace seen from its first span is derived from
 * memory. Derivation failures keep the trace for the next tick: nothing acked is dropped.
 */
export class Assembler {
  private readonly live = new Map<string, LiveTrace>();
  /** Traces derived by this process, so a later span of one is known to need the store. */
  private readonly derivedHere = new Set<string>();
  private liveSpanCount = 0;
  private lastAddedSeq = 0n;
  private persistedWatermark = -1n;
  private timer: NodeJS.Timeout | undefined;
  private settling: Promise<void> | undefined;
  /** Set by `stop`: a settle pass in progress yields to it between chunks. */
  private stopDeadlineMs: number | undefined;
  private readonly now: () => number;

  constructor(private readonly options: AssemblerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Adds the spans of a committed batch. Synchronous and cheap: the real work happens when traces settle. */
  add(batch: SpanBatch, seq: bigint): void {
    const now = this.now();
    const { maxSpansPerTrace } = this.options;
    const live = liveBatch(batch, this.options.services);
    for (let i = 0; i < batch.length; i++) {
      const traceId = traceIdOf(batch, i);
      let trace = this.live.get(traceId);
      if (trace === undefined) {
        trace = { traceId, skeletons: [], batches: [], rows: [], oldestRowMs: now, lastSeenMs: now, minSeq: seq, maxSeq: seq, hasHistory: this.derivedHere.has(traceId) };
        this.live.set(traceId, trace);
      }
      trace.lastSeenMs = now;
      if (seq > trace.maxSeq) trace.maxSeq = seq;
      if (spanCount(trace) >= maxSpansPerTrace) {
        this.options.metrics.spansTruncated.inc();
        continue;
      }
      if (trace.rows.length === 0) trace.oldestRowMs = now;
      trace.batches.push(live);
      trace.rows.push(i);
      this.liveSpanCount++;
    }
    if (seq > this.lastAddedSeq) this.lastAddedSeq = seq;
    this.options.metrics.liveTraces.set(this.live.size);
    this.options.metrics.liveSpans.set(this.liveSpanCount);
  }

  /** Starts settling on a timer. */
  start(): void {
    const tickMs = Math.max(50, Math.min(1_000, Math.floor(this.options.settleMs / 4)));
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  /**
   * Stops the timer and settles live traces now, oldest first, until `deadlineMs` (epoch ms, by
   * `now`) passes; without a deadline, every one. Traces left live when the deadline passes are
   * not lost: their spans are stored and the persisted watermark stays below them, so `recover`
   * derives them at the next start. A settle chunk already running when the deadline passes
   * finishes (a few hundred traces), so stop overruns the deadline by at most one chunk.
   */
  async stop(options: { readonly deadlineMs?: number } = {}): Promise<StopOutcome> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const deadlineMs = options.deadlineMs ?? Number.POSITIVE_INFINITY;
    this.stopDeadlineMs = deadlineMs;
    const before = this.live.size;
    await this.settling;
    while (this.live.size > 0 && this.now() < deadlineMs) {
      // Small chunks when bounded, so the deadline is checked often.
      const chunk = Number.isFinite(deadlineMs) ? STOP_CHUNK : SETTLE_CHUNK;
      const ids: string[] = [];
      for (const traceId of this.live.keys()) {
        ids.push(traceId);
        if (ids.length >= chunk) break;
      }
      await this.settle(ids);
    }
    await this.persistWatermark();
    return { derived: Math.max(0, before - this.live.size), left: this.live.size };
  }

  /** Settles every live trace now, whatever its idle time (import, shutdown, tests). */
  async flush(): Promise<void> {
    await this.settling;
    while (this.live.size > 0) {
      await this.settle([...this.live.keys()]);
    }
    await this.persistWatermark();
  }

  get liveTraceCount(): number {
    return this.live.size;
  }

  /**
   * Re-derives traces whose stored spans are newer than their calls: what a crash between a
   * commit and a settle left behind. Run once at start-up, before ingest begins.
   */
  async recover(): Promise<number> {
    const { storage } = this.options;
    const watermark = await storage.getDerivedWatermark();
    const pending = await storage.tracesNeedingDerivation(watermark);
    await this.deriveFromStore(pending, 'recovery');
    return pending.length;
  }

  private tick(): void {
    if (this.settling) return;
    this.settling = this.settleDue()
      .catch((error: unknown) => this.options.log(`assembler: settle failed, will retry: ${describe(error)}`))
      .finally(() => {
        this.settling = undefined;
      });
  }

  private async settleDue(): Promise<void> {
    const deadline = this.now() - this.options.settleMs;
    const due: string[] = [];
    // Map iteration is insertion order, which approximates first-seen order: evicting from the
    // front under memory pressure settles the oldest traces first.
    let overBudget = this.liveSpanCount - this.options.maxLiveSpans;
    const unpinBefore = this.now() - PIN_WINDOWS * this.options.settleMs;
    for (const trace of this.live.values()) {
      if (trace.lastSeenMs <= deadline || overBudget > 0) {
        due.push(trace.traceId);
        overBudget -= spanCount(trace);
      } else if (trace.rows.length > 0 && trace.oldestRowMs < unpinBefore) {
        trace.skeletons = skeletonsOf(trace);
        trace.batches = [];
        trace.rows = [];
      }
    }
    // Up to SETTLE_PIPELINE chunks in flight: the next chunk is derived on this thread while the
    // store writes the previous one's calls. Chunks hold disjoint traces, so they never race.
    const inFlight = new Set<Promise<void>>();
    let failure: { readonly error: unknown } | undefined;
    for (let i = 0; i < due.length && this.stopDeadlineMs === undefined && failure === undefined; i += SETTLE_CHUNK) {
      const settling: Promise<void> = this.settle(due.slice(i, i + SETTLE_CHUNK))
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(settling));
      inFlight.add(settling);
      if (inFlight.size >= SETTLE_PIPELINE) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure.error;
    await this.persistWatermark();
  }

  /** Derives and writes the given live traces; on failure they stay live and are retried. */
  private async settle(traceIds: readonly string[]): Promise<void> {
    const traces = traceIds.map((id) => this.live.get(id)).filter((t): t is LiveTrace => t !== undefined);
    const seqAtDerivation = traces.map((t) => t.maxSeq);
    const unsure = traces.filter((t) => !t.hasHistory).map((t) => t.traceId);
    const derivedBefore = unsure.length > 0 ? await this.options.storage.derivedTraces(unsure) : new Set<string>();
    const fromMemory: TraceCalls[] = [];
    const fromStore: string[] = [];
    let sinceYield = 0;
    for (const trace of traces) {
      if (trace.hasHistory || derivedBefore.has(trace.traceId)) {
        fromStore.push(trace.traceId);
        continue;
      }
      fromMemory.push(this.derive(trace.traceId, skeletonsOf(trace), trace.maxSeq, true));
      sinceYield += spanCount(trace);
      // Derivation runs on the thread that answers OTLP requests: let them through now and then.
      if (sinceYield >= YIELD_SPANS) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (fromMemory.length > 0) await this.write(fromMemory, 'settled');
    if (fromStore.length > 0) await this.deriveFromStore(fromStore, 'late-span');
    traces.forEach((trace, index) => {
      trace.hasHistory = true;
      this.derivedHere.add(trace.traceId);
      // A span that arrived while the store was written keeps the trace live for another settle.
      if (trace.maxSeq !== seqAtDerivation[index]) return;
      this.live.delete(trace.traceId);
      this.liveSpanCount -= spanCount(trace);
    });
    this.trimDerivedHere();
    this.options.metrics.liveTraces.set(this.live.size);
    this.options.metrics.liveSpans.set(this.liveSpanCount);
  }

  private async deriveFromStore(traceIds: readonly string[], reason: string): Promise<void> {
    const { storage, services, maxSpansPerTrace } = this.options;
    // Reads in batches of READ_BATCH whole traces; writes the (much smaller) calls SETTLE_CHUNK traces at a time.
    let entries: TraceCalls[] = [];
    for (let i = 0; i < traceIds.length; i += READ_BATCH) {
      const traces = await storage.getTraces(traceIds.slice(i, i + READ_BATCH));
      for (const [traceId, stored] of traces) {
        if (stored.spans.length === 0) continue;
        const spans = skeletonsFromStoredTrace(stored, services, maxSpansPerTrace);
        let maxSeq = 0n;
        for (const span of stored.spans) if (span.seq > maxSeq) maxSeq = span.seq;
        entries.push(this.derive(traceId, spans, maxSeq, false));
      }
      if (entries.length >= SETTLE_CHUNK) {
        await this.write(entries, reason);
        entries = [];
      }
    }
    if (entries.length > 0) await this.write(entries, reason);
  }

  private derive(traceId: string, spans: readonly SpanSkeleton[], derivedSeq: bigint, firstDerivation: boolean): TraceCalls {
    const { calls, anomalies } = deriveCalls(traceId, spans, this.options.derivation);
    for (const anomaly of anomalies) this.options.metrics.traceAnomalies.inc({ type: anomaly.type });
    return { traceId, calls, derivedSeq, firstDerivation };
  }

  private async write(entries: readonly TraceCalls[], reason: string): Promise<void> {
    try {
      await this.options.storage.replaceTraceCalls(entries);
    } catch (error) {
      this.options.metrics.storeErrors.inc({ operation: 'replaceTraceCalls' });
      throw error;
    }
    this.options.metrics.tracesDerived.inc({ reason }, entries.length);
    this.options.metrics.callsWritten.inc(entries.reduce((n, e) => n + e.calls.length, 0));
  }

  /** Everything appended at or below the watermark is derived: the oldest live trace bounds it. */
  private async persistWatermark(): Promise<void> {
    let watermark = this.lastAddedSeq;
    for (const trace of this.live.values()) if (trace.minSeq - 1n < watermark) watermark = trace.minSeq - 1n;
    if (watermark <= this.persistedWatermark) return;
    await this.options.storage.setDerivedWatermark(watermark);
    this.persistedWatermark = watermark;
  }

  /** The set only saves a store round trip; keeping it bounded matters more than keeping it whole. */
  private trimDerivedHere(): void {
    if (this.derivedHere.size > REMEMBERED_DERIVATIONS) this.derivedHere.clear();
  }
}

function spanCount(trace: LiveTrace): number {
  return trace.skeletons.length + trace.rows.length;
}

function skeletonsOf(trace: LiveTrace): SpanSkeleton[] {
  const spans = trace.skeletons.slice();
  for (let k = 0; k < trace.rows.length; k++) spans.push(skeletonAt(trace.batches[k]!, trace.rows[k]!));
  return spans;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
