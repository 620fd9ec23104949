/**
 * The in-memory reference backend: the storage contract written as plainly as possible, for tests
 * of other modules and as a second implementation that keeps the conformance suite honest. Nothing
 * survives the process (`persistent: false`); "durable" means "in this object's maps". Its
 * analyses (./analytics.ts, ./analytics-lists.ts) read the materialized call paths, as SQL does.
 */
import { StorageError } from '../api/storage.js';
import type {
  AppendResult,
  Storage,
  StorageCapabilities,
  StoredSpan,
  StoredTrace,
  TraceCalls,
} from '../api/storage.js';
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
import type { BatchResource, SpanBatch } from '../../model/span-batch.js';
import { bytesToHex, isAllZero } from '../../model/ids.js';
import { flattenAnyValue } from '../../analysis/service-info.js';
import { backtraceDetails, backtraceGroups, failures, flowGroups, serviceNeighbourhood } from './analytics.js';
import { findTraces, serviceKinds, serviceSummaries } from './analytics-lists.js';

export function openMemoryStorage(): Storage {
  return new MemoryStorage();
}

const TRACE_ID = /^[0-9a-f]{32}$/;
/** As the DuckDB backend: more buckets than any chart shows is a caller bug. */
const MAX_BUCKETS = 1_000_000;
const SPAN_ID = /^[0-9a-f]{16}$/;

class MemoryStorage implements Storage {
  readonly capabilities: StorageCapabilities = { backend: 'memory', persistent: false };
  private readonly spansByTrace = new Map<string, StoredSpan[]>();
  private readonly resources = new Map<string, BatchResource>();
  private readonly scopes = new Map<string, Uint8Array>();
  private readonly calls = new Map<string, ServiceCall[]>();
  private readonly derivedSeqs = new Map<string, bigint>();
  private lastSeq = 0n;
  private watermark = 0n;
  private closed = false;

  async appendSpans(batch: SpanBatch): Promise<AppendResult> {
    this.checkOpen();
    checkBatch(batch);
    const seq = ++this.lastSeq;
    for (const r of batch.resources) {
      const key = idHex(r.id);
      if (!this.resources.has(key)) this.resources.set(key, { id: r.id, bytes: r.bytes.slice(), attributes: structuredClone(r.attributes) });
    }
    for (const s of batch.scopes) if (!this.scopes.has(idHex(s.id))) this.scopes.set(idHex(s.id), s.bytes.slice());
    for (let i = 0; i < batch.length; i++) {
      const traceId = bytesToHex(batch.traceIds, 16 * i, 16);
      const span: StoredSpan = {
        traceId,
        spanId: bytesToHex(batch.spanIds, 8 * i, 8),
        parentSpanId: isAllZero(batch.parentSpanIds, 8 * i, 8) ? '' : bytesToHex(batch.parentSpanIds, 8 * i, 8),
        resourceId: idHex(batch.resources[batch.resourceIndex[i]!]!.id),
        scopeId: idHex(batch.scopes[batch.scopeIndex[i]!]!.id),
        name: batch.names[i]!,
        kind: batch.kinds[i]!,
        startTimeUnixNano: batch.startTimeUnixNano[i]!,
        endTimeUnixNano: batch.endTimeUnixNano[i]!,
        statusCode: batch.statusCodes[i]!,
        statusMessage: batch.statusMessages[i]!,
        payload: batch.payloads[i]!.slice(),
        seq,
      };
      const list = this.spansByTrace.get(traceId) ?? [];
      list.push(span);
      this.spansByTrace.set(traceId, list);
    }
    return { seq };
  }

  async deleteBefore(cutoffUnixNano: bigint): Promise<number> {
    this.checkOpen();
    let deleted = 0;
    for (const [traceId, spans] of this.spansByTrace) {
      const kept = spans.filter((s) => s.startTimeUnixNano >= cutoffUnixNano);
      deleted += spans.length - kept.length;
      if (kept.length > 0) this.spansByTrace.set(traceId, kept);
      else this.spansByTrace.delete(traceId);
    }
    for (const [traceId, calls] of this.calls) {
      this.calls.set(traceId, calls.filter((c) => c.startTimeUnixNano >= cutoffUnixNano));
    }
    return deleted;
  }

  async replaceTraceCalls(entries: readonly TraceCalls[]): Promise<void> {
    this.checkOpen();
    for (const e of entries) checkTraceCalls(e);
    for (const e of entries) {
      this.calls.set(e.traceId, structuredClone([...e.calls]));
      this.derivedSeqs.set(e.traceId, e.derivedSeq);
    }
  }

  async derivedTraces(traceIds: readonly string[]): Promise<Set<string>> {
    this.checkOpen();
    traceIds.forEach(checkTraceId);
    return new Set(traceIds.filter((id) => this.derivedSeqs.has(id)));
  }

  async tracesNeedingDerivation(afterSeq: bigint): Promise<string[]> {
    this.checkOpen();
    const out: string[] = [];
    for (const [traceId, spans] of this.spansByTrace) {
      const newest = spans.reduce((max, s) => (s.seq > max ? s.seq : max), 0n);
      const derived = this.derivedSeqs.get(traceId);
      if (newest > afterSeq && (derived === undefined || derived < newest)) out.push(traceId);
    }
    return out;
  }

  async getDerivedWatermark(): Promise<bigint> {
    this.checkOpen();
    return this.watermark;
  }

  async setDerivedWatermark(seq: bigint): Promise<void> {
    this.checkOpen();
    this.watermark = seq;
  }

  async getTrace(traceId: string): Promise<StoredTrace> {
    this.checkOpen();
    checkTraceId(traceId);
    const spans = this.distinctSpans(traceId);
    spans.sort((a, b) => cmp(a.startTimeUnixNano, b.startTimeUnixNano) || cmp(a.spanId, b.spanId) || cmp(a.seq, b.seq));
    const resources = new Map<string, BatchResource>();
    const scopes = new Map<string, Uint8Array>();
    for (const s of spans) {
      resources.set(s.resourceId, structuredClone(this.resources.get(s.resourceId)!));
      scopes.set(s.scopeId, this.scopes.get(s.scopeId)!.slice());
    }
    return { spans: spans.map((s) => ({ ...s, payload: s.payload.slice() })), resources, scopes };
  }

  async getTraces(traceIds: readonly string[]): Promise<Map<string, StoredTrace>> {
    this.checkOpen();
    traceIds.forEach(checkTraceId);
    const out = new Map<string, StoredTrace>();
    for (const traceId of traceIds) if (!out.has(traceId)) out.set(traceId, await this.getTrace(traceId));
    return out;
  }

  async getTraceCalls(traceId: string): Promise<ServiceCall[]> {
    this.checkOpen();
    checkTraceId(traceId);
    const calls = structuredClone(this.calls.get(traceId) ?? []);
    return calls.sort((a, b) => cmp(a.startTimeUnixNano, b.startTimeUnixNano) || cmp(a.callId, b.callId) || Number(a.synthetic) - Number(b.synthetic));
  }

  async backtraceGroups(filter: FocalFilter): Promise<BacktraceGroup[]> {
    this.checkOpen();
    return backtraceGroups(this.calls.values(), filter);
  }

  async backtraceDetails(filter: FocalFilter, nodePath: readonly NodeRef[], exemplarLimit: number): Promise<BacktraceDetails> {
    this.checkOpen();
    return backtraceDetails(this.calls.values(), filter, nodePath, exemplarLimit);
  }

  async flowGroups(filter: FocalFilter): Promise<FlowGroup[]> {
    this.checkOpen();
    return flowGroups(this.calls.values(), filter);
  }

  async serviceSummaries(range: TimeRange, zone?: ZoneFilter): Promise<ServiceSummary[]> {
    this.checkOpen();
    if (zone !== undefined) checkResourceIds(zone);
    return serviceSummaries(this.calls.values(), range, zone);
  }

  async serviceNeighbourhood(filter: FocalFilter): Promise<ServiceNeighbourhood> {
    this.checkOpen();
    return serviceNeighbourhood(this.calls.values(), filter);
  }

  async failures(filter: FocalFilter, bucketMs: number): Promise<FailureSummary> {
    this.checkOpen();
    if (!Number.isInteger(bucketMs) || bucketMs <= 0) throw new StorageError(`bucketMs must be a positive integer, got ${bucketMs}`);
    const bucketNanos = BigInt(bucketMs) * 1_000_000n;
    const span = filter.toUnixNano - filter.fromUnixNano;
    if (span > 0n && (span + bucketNanos - 1n) / bucketNanos > BigInt(MAX_BUCKETS)) throw new StorageError(`bucketMs ${bucketMs} makes more than ${MAX_BUCKETS} buckets over the window`);
    return failures(this.calls.values(), filter, bucketNanos);
  }

  async findTraces(query: TraceQuery): Promise<TraceSummary[]> {
    this.checkOpen();
    if (query.zone !== undefined) checkResourceIds(query.zone);
    const traces = [...this.spansByTrace.keys()].map((traceId) => ({ traceId, spans: this.distinctSpans(traceId), calls: this.calls.get(traceId) ?? [] }));
    return findTraces(traces, query);
  }

  async serviceKinds(name: string): Promise<ServiceKind[]> {
    this.checkOpen();
    return serviceKinds(this.calls.values(), name);
  }

  async listResources(): Promise<Map<string, Record<string, string>>> {
    this.checkOpen();
    const out = new Map<string, Record<string, string>>();
    for (const [id, resource] of this.resources) out.set(id, Object.fromEntries(resource.attributes.map((a) => [a.key, flattenAnyValue(a.value)])));
    return out;
  }

  /** Null: everything this backend stores is in the JavaScript heap (`Storage.memoryUsage`). */
  async memoryUsage(): Promise<null> {
    this.checkOpen();
    return null;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The trace's spans with exact duplicates (same span id and payload) collapsed, first append kept. */
  private distinctSpans(traceId: string): StoredSpan[] {
    const spans: StoredSpan[] = [];
    for (const s of this.spansByTrace.get(traceId) ?? []) {
      if (!spans.some((k) => k.spanId === s.spanId && sameBytes(k.payload, s.payload))) spans.push(s);
    }
    return spans;
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError('memory storage is closed');
  }
}

function checkBatch(batch: SpanBatch): void {
  const n = batch.length;
  const lengthsOk =
    batch.traceIds.length === 16 * n && batch.spanIds.length === 8 * n && batch.parentSpanIds.length === 8 * n &&
    [batch.resourceIndex, batch.scopeIndex, batch.names, batch.kinds, batch.startTimeUnixNano, batch.endTimeUnixNano, batch.statusCodes, batch.statusMessages, batch.payloads]
      .every((column) => column.length === n);
  if (!lengthsOk) throw new StorageError(`span batch columns do not all hold ${n} spans`);
  for (let i = 0; i < n; i++) {
    if (batch.resourceIndex[i]! >= batch.resources.length || batch.scopeIndex[i]! >= batch.scopes.length) {
      throw new StorageError(`span ${i} of the batch names a resource or scope the batch does not hold`);
    }
  }
}

function checkTraceCalls(entry: TraceCalls): void {
  checkTraceId(entry.traceId);
  for (const call of entry.calls) {
    if (call.traceId !== entry.traceId) throw new StorageError(`call ${call.callId} belongs to trace ${call.traceId}, not ${entry.traceId}`);
    if (!SPAN_ID.test(call.callId)) throw new StorageError(`malformed call id ${JSON.stringify(call.callId)}`);
  }
}

function checkResourceIds(zone: ZoneFilter): void {
  for (const id of zone.resourceIds) if (!SPAN_ID.test(id)) throw new StorageError(`malformed resource id ${JSON.stringify(id)}`);
}

function checkTraceId(traceId: string): void {
  if (!TRACE_ID.test(traceId)) throw new StorageError(`malformed trace id ${JSON.stringify(traceId)}`);
}

function idHex(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

function cmp<T extends bigint | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
