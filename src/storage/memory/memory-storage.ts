/**
 * The in-memory reference backend: the storage contract written as plainly as possible, for tests
 * of other modules and as a second implementation that keeps the conformance suite honest. Nothing
 * survives the process (`persistent: false`); "durable" means "in this object's maps".
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
import type { ServiceCall } from '../../model/call.js';
import type { BatchResource, SpanBatch } from '../../model/span-batch.js';
import { bytesToHex, isAllZero } from '../../model/ids.js';

export function openMemoryStorage(): Storage {
  return new MemoryStorage();
}

const TRACE_ID = /^[0-9a-f]{32}$/;
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
    const spans: StoredSpan[] = [];
    for (const s of this.spansByTrace.get(traceId) ?? []) {
      if (!spans.some((k) => k.spanId === s.spanId && sameBytes(k.payload, s.payload))) spans.push(s);
    }
    spans.sort((a, b) => cmp(a.startTimeUnixNano, b.startTimeUnixNano) || cmp(a.spanId, b.spanId) || cmp(a.seq, b.seq));
    const resources = new Map<string, BatchResource>();
    const scopes = new Map<string, Uint8Array>();
    for (const s of spans) {
      resources.set(s.resourceId, structuredClone(this.resources.get(s.resourceId)!));
      scopes.set(s.scopeId, this.scopes.get(s.scopeId)!.slice());
    }
    return { spans: spans.map((s) => ({ ...s, payload: s.payload.slice() })), resources, scopes };
  }

  async getTraceCalls(traceId: string): Promise<ServiceCall[]> {
    this.checkOpen();
    checkTraceId(traceId);
    const calls = structuredClone(this.calls.get(traceId) ?? []);
    return calls.sort((a, b) => cmp(a.startTimeUnixNano, b.startTimeUnixNano) || cmp(a.callId, b.callId) || Number(a.synthetic) - Number(b.synthetic));
  }

  async close(): Promise<void> {
    this.closed = true;
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
