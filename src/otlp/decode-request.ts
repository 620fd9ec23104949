/**
 * The ingest hot path: an OTLP protobuf `ExportTraceServiceRequest` straight into a columnar
 * `SpanBatch` (model/span-batch.ts), without building an object per protobuf message.
 *
 * Guarded by `bench/decode.ts` (spans/s against protobufjs on the same payloads).
 */
import type { BatchScope, SpanBatch, SpanRejection } from '../model/span-batch.js';
import {
  DEFAULT_MAX_ATTRIBUTES_PER_SPAN,
  DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES,
  LimitHit,
  truncateResource,
  type AttributeLimits,
} from './attribute-limits.js';
import { SpanBatchBuilder } from './batch-builder.js';
import { contentId } from './content-id.js';
import { decodeResource, decodeScope, mergedMessage } from './decode-message.js';
import { encodeResource } from './encode.js';
import { ProtoDecodeError, ProtoReader, WireType, tagOf } from './proto-reader.js';
import { DEFAULT_MAX_SEMANTIC_VALUE_BYTES, SemanticsCollector } from './semantics.js';
import { SpanScanner, SpanVerdict } from './span-scanner.js';

const { LEN } = WireType;

export interface DecodeLimits {
  /**
   * Most `Span` messages (accepted and rejected) one request may carry; a request with more fails
   * as a whole. Default `DEFAULT_MAX_SPANS` (1,000,000).
   */
  readonly maxSpans?: number;
  /**
   * Most attributes kept per span (and per event, link and resource); the rest are dropped and
   * counted in `droppedAttributesCount` (attribute-limits.ts). Default 128.
   */
  readonly maxAttributesPerSpan?: number;
  /**
   * Longest string or bytes attribute value kept, in bytes; longer ones are cut (strings on a
   * character boundary) in the stored payload and resource (attribute-limits.ts). Default 16 KiB.
   */
  readonly maxAttributeValueBytes?: number;
  /**
   * Longest value, in UTF-8 bytes, kept in a span's `SpanSemantics` (URLs, stack traces, …);
   * longer values are cut on a character boundary. Default `DEFAULT_MAX_SEMANTIC_VALUE_BYTES`
   * (16 KiB). Pass the same value to `semanticsOfSpan` when re-deriving.
   */
  readonly maxSemanticValueBytes?: number;
}

/**
 * Accepted spans stored truncated, by the limit they were over (a span over both counts in both).
 * A span counts when its own attributes or its resource's were cut.
 */
export interface TruncatedSpans {
  /** Over `maxAttributesPerSpan`: attributes dropped. */
  readonly attributes: number;
  /** Over `maxAttributeValueBytes`: values cut. */
  readonly valueLength: number;
}

export const DEFAULT_MAX_SPANS = 1_000_000;

/**
 * `ok: true`: the request was well-formed protobuf. `batch` holds the accepted spans,
 * `rejected` counts the spans refused for invalid ids by reason (OTLP partial success),
 * `spanCount` is the number of `Span` messages in the request (accepted + rejected), and
 * `truncated` counts the accepted spans stored cut to the attribute limits.
 * `ok: false`: malformed protobuf or a limit exceeded; `error` says what and where, and no span
 * of the request is accepted.
 */
export type DecodeOutcome =
  | {
      readonly ok: true;
      readonly batch: SpanBatch;
      readonly rejected: SpanRejection[];
      readonly spanCount: number;
      readonly truncated: TruncatedSpans;
    }
  | { readonly ok: false; readonly error: string };

const REJECTION_REASONS: Readonly<Record<Exclude<SpanVerdict, 0>, string>> = {
  [SpanVerdict.INVALID_TRACE_ID]: 'invalid trace id',
  [SpanVerdict.INVALID_SPAN_ID]: 'invalid span id',
  [SpanVerdict.INVALID_PARENT_SPAN_ID]: 'invalid parent span id',
};

class LimitExceeded extends Error {}

/**
 * Decodes an OTLP `ExportTraceServiceRequest`. Never throws for any input bytes.
 *
 * The batch's `payloads` are views into `bytes` (each exactly one `Span` message), as may be
 * `resources[i].bytes` and `scopes[i].bytes` (a span or resource cut to the attribute limits is a
 * re-encoded copy instead): callers must not modify `bytes` while the batch is
 * in use. Resources and scopes are deduplicated within the batch by content (`contentId`); a
 * missing resource or scope is an empty one. Columns: an all-zero 8-byte parent id and an absent
 * one both mean "no parent"; kinds outside 0..5 and status codes outside 0..2 are stored as 0
 * (unspecified / unset); times are the raw fixed64 values read as signed int64.
 */
export function decodeTraceRequest(bytes: Uint8Array, limits: DecodeLimits = {}): DecodeOutcome {
  const decoder = new RequestDecoder(bytes, limits);
  try {
    decoder.decode();
  } catch (e: unknown) {
    if (e instanceof ProtoDecodeError) return { ok: false, error: `malformed protobuf: ${decoder.where()}${e.message}` };
    if (e instanceof LimitExceeded) return { ok: false, error: e.message };
    throw e;
  }
  return {
    ok: true,
    batch: decoder.out.build(),
    rejected: decoder.rejections(),
    spanCount: decoder.spanCount,
    truncated: { attributes: decoder.truncatedByAttributes, valueLength: decoder.truncatedByValueLength },
  };
}

class RequestDecoder {
  readonly out: SpanBatchBuilder;
  spanCount = 0;
  truncatedByAttributes = 0;
  truncatedByValueLength = 0;
  private readonly r: ProtoReader;
  private readonly attributeLimits: AttributeLimits;
  private readonly scanner: SpanScanner;
  private readonly maxSpans: number;
  private readonly rejectedByVerdict = [0, 0, 0, 0];
  /** By the content id of a resource as sent: its batch index, and what truncating it cut (`LimitHit` flags). */
  private readonly resourceById = new Map<bigint, { readonly index: number; readonly hits: number }>();
  /** By the content id of a resource as stored: its batch index. */
  private readonly resourceIndexByStoredId = new Map<bigint, number>();
  private readonly scopeIndexById = new Map<bigint, number>();
  /** Where the reader is, for error messages: -1 = not inside such a message. */
  private resourceSpansIndex = -1;
  private scopeSpansIndex = -1;
  private spanIndex = -1;
  private inHeader = '';

  constructor(bytes: Uint8Array, limits: DecodeLimits) {
    this.r = new ProtoReader(bytes);
    this.maxSpans = limits.maxSpans ?? DEFAULT_MAX_SPANS;
    // Realistic spans take 200–600 bytes on the wire; start near that and double when wrong.
    this.out = new SpanBatchBuilder(Math.min(this.maxSpans, Math.max(16, bytes.length >>> 8)));
    const maxSemanticValueBytes = limits.maxSemanticValueBytes ?? DEFAULT_MAX_SEMANTIC_VALUE_BYTES;
    const semantics = new SemanticsCollector(maxSemanticValueBytes);
    this.attributeLimits = {
      maxAttributes: limits.maxAttributesPerSpan ?? DEFAULT_MAX_ATTRIBUTES_PER_SPAN,
      maxValueBytes: limits.maxAttributeValueBytes ?? DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES,
    };
    this.scanner = new SpanScanner(this.r, this.out, semantics, this.attributeLimits, maxSemanticValueBytes);
  }

  decode(): void {
    const r = this.r;
    const end = r.buf.length;
    while (r.pos < end) {
      const tag = r.readTag();
      if (tag === tagOf(1, LEN)) {
        this.resourceSpansIndex++;
        this.readResourceSpans(r.readDelimitedEnd(end));
        this.scopeSpansIndex = -1;
      } else if (tag >>> 3 === 1) r.wrongWireType('ExportTraceServiceRequest', tag);
      else r.skipField(tag, end);
    }
    r.expectEnd(end);
    this.resourceSpansIndex = -1;
  }

  private readResourceSpans(end: number): void {
    const r = this.r;
    const start = r.pos;
    // The resource may follow its scope spans on the wire: find it first.
    const parts: Uint8Array[] = [];
    while (r.pos < end) {
      const tag = r.readTag();
      if (tag === tagOf(1, LEN)) {
        const e = r.readDelimitedEnd(end);
        parts.push(r.buf.subarray(r.pos, e));
        r.pos = e;
      } else if (tag === tagOf(2, LEN) || tag === tagOf(3, LEN)) r.skipField(tag, end);
      else if (tag >>> 3 <= 3) r.wrongWireType('ResourceSpans', tag);
      else r.skipField(tag, end);
    }
    r.expectEnd(end);
    this.inHeader = 'resource: ';
    const resource = this.internResource(mergedMessage(parts));
    this.inHeader = '';
    r.pos = start;
    while (r.pos < end) {
      const tag = r.readTag();
      if (tag === tagOf(2, LEN)) {
        this.scopeSpansIndex++;
        this.readScopeSpans(r.readDelimitedEnd(end), resource.index, resource.hits);
        this.spanIndex = -1;
      } else r.skipField(tag, end);
    }
  }

  private readScopeSpans(end: number, resourceIndex: number, resourceHits: number): void {
    const r = this.r;
    const start = r.pos;
    const parts: Uint8Array[] = [];
    while (r.pos < end) {
      const tag = r.readTag();
      if (tag === tagOf(1, LEN)) {
        const e = r.readDelimitedEnd(end);
        parts.push(r.buf.subarray(r.pos, e));
        r.pos = e;
      } else if (tag === tagOf(2, LEN) || tag === tagOf(3, LEN)) r.skipField(tag, end);
      else if (tag >>> 3 <= 3) r.wrongWireType('ScopeSpans', tag);
      else r.skipField(tag, end);
    }
    r.expectEnd(end);
    this.inHeader = 'scope: ';
    const scopeIndex = this.internScope(mergedMessage(parts));
    this.inHeader = '';
    r.pos = start;
    const scanner = this.scanner;
    const maxSpans = this.maxSpans;
    while (r.pos < end) {
      const tag = r.readTag();
      if (tag !== tagOf(2, LEN)) {
        r.skipField(tag, end);
        continue;
      }
      this.spanIndex++;
      const spanEnd = r.readDelimitedEnd(end);
      if (++this.spanCount > maxSpans) throw new LimitExceeded(`request has more than ${maxSpans} spans (limit maxSpans)`);
      const verdict = scanner.scanSpan(spanEnd, resourceIndex, scopeIndex);
      if (verdict !== SpanVerdict.ACCEPTED) this.rejectedByVerdict[verdict]!++;
      else if ((scanner.limitHits | resourceHits) !== 0) this.countTruncated(scanner.limitHits | resourceHits);
    }
  }

  private countTruncated(hits: number): void {
    if ((hits & LimitHit.ATTRIBUTES) !== 0) this.truncatedByAttributes++;
    if ((hits & LimitHit.VALUE_LENGTH) !== 0) this.truncatedByValueLength++;
  }

  /**
   * The batch index of the resource `bytes`, added when new, and what the attribute limits cut
   * from it (`LimitHit` flags). A resource over the limits is stored truncated (re-encoded, with
   * the id of its new content); resources that are stored with the same content share one entry.
   */
  private internResource(bytes: Uint8Array): { readonly index: number; readonly hits: number } {
    const id = contentId(bytes);
    const known = this.resourceById.get(id);
    if (known !== undefined) return known;
    const { resource, hits } = truncateResource(this.inRequest(bytes, decodeResource), this.attributeLimits);
    const storedBytes = hits === 0 ? bytes : encodeResource(resource);
    const storedId = hits === 0 ? id : contentId(storedBytes);
    let index = this.resourceIndexByStoredId.get(storedId);
    if (index === undefined) {
      index = this.out.resources.length;
      this.out.resources.push({ id: storedId, bytes: storedBytes, attributes: resource.attributes });
      this.resourceIndexByStoredId.set(storedId, index);
    }
    const interned = { index, hits };
    this.resourceById.set(id, interned);
    return interned;
  }

  private internScope(bytes: Uint8Array): number {
    const id = contentId(bytes);
    const known = this.scopeIndexById.get(id);
    if (known !== undefined) return known;
    const scopes = this.out.scopes;
    const index = scopes.length;
    const { name, version } = this.inRequest(bytes, decodeScope);
    const scope: BatchScope = { id, bytes, name, version };
    scopes.push(scope);
    this.scopeIndexById.set(id, index);
    return index;
  }

  /** Decodes a message of the request with the slow decoder, reporting error offsets within the request. */
  private inRequest<T>(bytes: Uint8Array, decode: (bytes: Uint8Array) => T): T {
    try {
      return decode(bytes);
    } catch (e: unknown) {
      const request = this.r.buf;
      // A resource or scope given once is a view of the request; a merged one is a copy.
      if (e instanceof ProtoDecodeError && bytes.buffer === request.buffer) throw e.shifted(bytes.byteOffset - request.byteOffset);
      throw e;
    }
  }

  rejections(): SpanRejection[] {
    const out: SpanRejection[] = [];
    for (const verdict of [SpanVerdict.INVALID_TRACE_ID, SpanVerdict.INVALID_SPAN_ID, SpanVerdict.INVALID_PARENT_SPAN_ID] as const) {
      const count = this.rejectedByVerdict[verdict]!;
      if (count > 0) out.push({ count, reason: REJECTION_REASONS[verdict] });
    }
    return out;
  }

  /** The message being read when an error occurred, e.g. `resourceSpans[0].scopeSpans[2].spans[5]: `. */
  where(): string {
    let at = '';
    if (this.resourceSpansIndex >= 0) {
      at = `resourceSpans[${this.resourceSpansIndex}]`;
      if (this.scopeSpansIndex >= 0) {
        at += `.scopeSpans[${this.scopeSpansIndex}]`;
        if (this.spanIndex >= 0) at += `.spans[${this.spanIndex}]`;
      }
      at += this.inHeader === '' ? ': ' : `.${this.inHeader}`;
    }
    return at;
  }
}
