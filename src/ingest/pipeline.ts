import type { Metrics } from '../app/metrics.js';
import type { IngestLimits } from '../config/config.js';
import type { SpanBatch, SpanRejection } from '../model/span-batch.js';
import { decodeTraceRequest } from '../otlp/decode-request.js';
import { encodeTraceRequest } from '../otlp/encode.js';
import { parseTraceRequestJson } from '../otlp/json.js';
import { countTruncatedSpans, decodeLimitsOf } from './span-limits.js';
import type { Storage } from '../storage/api/storage.js';
import type { Assembler } from './assembler.js';

export type Transport = 'http' | 'grpc' | 'import';

/** What became of one export request; receivers map it onto HTTP and gRPC status codes. */
export type IngestOutcome =
  /** Committed. `rejectedSpans` > 0 is an OTLP partial success. */
  | { readonly kind: 'accepted'; readonly acceptedSpans: number; readonly rejectedSpans: number; readonly rejectionMessage: string }
  /** Nothing stored; the client should retry later (backpressure, store failure, shutting down). */
  | { readonly kind: 'retryable'; readonly retryAfterMs: number; readonly message: string; readonly overloaded: boolean }
  /** Nothing stored; retrying the same request cannot succeed. */
  | { readonly kind: 'invalid'; readonly message: string };

/** How long a client is asked to wait when the queue is full or the store fails. */
const RETRY_AFTER_MS = 1_000;

/**
 * Decode → store (durably) → assembler. The single path every receiver and `import` uses.
 *
 * Backpressure: spans handed to the store but not yet committed are counted; a request that would
 * push the count past `maxQueuedSpans` is refused as retryable instead of buffered, so memory stays
 * bounded whatever the offered load.
 */
export class IngestPipeline {
  private queuedSpans = 0;
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private readonly assembler: Assembler,
    private readonly limits: IngestLimits,
    private readonly metrics: Metrics,
    private readonly log: (message: string) => void,
  ) {}

  /** An OTLP protobuf `ExportTraceServiceRequest`. */
  async ingestProtobuf(body: Uint8Array, transport: Transport): Promise<IngestOutcome> {
    const decoded = decodeTraceRequest(body, decodeLimitsOf(this.limits));
    if (!decoded.ok) {
      this.metrics.requests.inc({ transport, outcome: 'invalid' });
      return { kind: 'invalid', message: decoded.error };
    }
    countTruncatedSpans(this.metrics, decoded.truncated);
    return this.ingestBatch(decoded.batch, decoded.rejected, transport);
  }

  /** An OTLP/JSON `ExportTraceServiceRequest`, already parsed from text. */
  async ingestJson(value: unknown, transport: Transport): Promise<IngestOutcome> {
    const parsed = parseTraceRequestJson(value);
    if (!parsed.ok) {
      this.metrics.requests.inc({ transport, outcome: 'invalid' });
      return { kind: 'invalid', message: parsed.error };
    }
    return this.ingestProtobuf(encodeTraceRequest(parsed.request), transport);
  }

  /** Refuse new requests from now on (shutdown); requests already in the store complete. */
  close(): void {
    this.closed = true;
  }

  get queueDepth(): number {
    return this.queuedSpans;
  }

  private async ingestBatch(batch: SpanBatch, rejected: readonly SpanRejection[], transport: Transport): Promise<IngestOutcome> {
    const rejectedSpans = rejected.reduce((n, r) => n + r.count, 0);
    const rejectionMessage = rejected.map((r) => `${r.count} span${r.count === 1 ? '' : 's'}: ${r.reason}`).join('; ');
    this.metrics.spansReceived.inc({ transport }, batch.length + rejectedSpans);
    for (const r of rejected) this.metrics.spansRejected.inc({ transport, reason: r.reason }, r.count);

    if (this.closed) return this.refuse(batch, transport, 'shutting down', false);
    if (batch.length === 0) {
      this.metrics.requests.inc({ transport, outcome: 'accepted' });
      return { kind: 'accepted', acceptedSpans: 0, rejectedSpans, rejectionMessage };
    }
    // One request larger than the whole queue still goes through alone, or it could never succeed.
    if (this.queuedSpans > 0 && this.queuedSpans + batch.length > this.limits.maxQueuedSpans) {
      return this.refuse(batch, transport, `ingest queue full (${this.queuedSpans} spans waiting for commit)`, true);
    }

    this.queuedSpans += batch.length;
    this.metrics.queuedSpans.set(this.queuedSpans);
    const stopTimer = this.metrics.commitSeconds.startTimer();
    let seq: bigint;
    try {
      ({ seq } = await this.storage.appendSpans(batch));
    } catch (error) {
      this.metrics.storeErrors.inc({ operation: 'appendSpans' });
      this.log(`ingest: store append failed: ${error instanceof Error ? error.message : String(error)}`);
      return this.refuse(batch, transport, 'the store could not commit the spans', false);
    } finally {
      stopTimer();
      this.queuedSpans -= batch.length;
      this.metrics.queuedSpans.set(this.queuedSpans);
    }
    this.assembler.add(batch, seq);
    this.metrics.spansAccepted.inc({ transport }, batch.length);
    this.metrics.requests.inc({ transport, outcome: rejectedSpans > 0 ? 'partial' : 'accepted' });
    return { kind: 'accepted', acceptedSpans: batch.length, rejectedSpans, rejectionMessage };
  }

  private refuse(batch: SpanBatch, transport: Transport, message: string, overloaded: boolean): IngestOutcome {
    this.metrics.spansRejected.inc({ transport, reason: overloaded ? 'backpressure' : 'unavailable' }, batch.length);
    this.metrics.requests.inc({ transport, outcome: overloaded ? 'throttled' : 'unavailable' });
    return { kind: 'retryable', retryAfterMs: RETRY_AFTER_MS, message, overloaded };
  }
}
