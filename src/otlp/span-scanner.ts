/**
 * The per-span part of the hot decoder: reads one protobuf `Span` straight into the columns of a
 * `SpanBatchBuilder`. It validates the span's whole structure (every nested message, with the
 * same rules and `AnyValue` depth limit as `decode-message.ts`, so any stored payload decodes
 * later) but decodes only what the columns need: the name, the status message and the values of
 * semantic attributes. Attribute keys are matched as bytes; other values are skipped unread.
 *
 * Attribute limits (attribute-limits.ts) are only *detected* here, as counts and lengths seen on
 * the way: the rare span over a limit is then decoded whole, truncated and re-encoded, and its
 * semantics taken from the truncated span, so what is stored and what the columns say agree.
 */
import { LimitHit, truncateSpanPayload, type AttributeLimits } from './attribute-limits.js';
import type { SpanBatchBuilder } from './batch-builder.js';
import { ProtoDecodeError, WireType, tagOf, type ProtoReader } from './proto-reader.js';
import {
  EXCEPTION_EVENT_NAME,
  EXCEPTION_MESSAGE_KEY,
  EXCEPTION_STACKTRACE_KEY,
  EXCEPTION_TYPE_KEY,
  SEMANTIC_KEYS_BY_SHAPE,
  SEMANTIC_KEY_TABLE_MAX_LENGTH,
  type SemanticsCollector,
} from './semantics.js';
import { cachedUtf8 } from './string-cache.js';
import { ValueScanner, bytesEqual } from './value-scanner.js';

const { VARINT, I64, LEN, I32 } = WireType;

/** Why a span is not accepted; `ACCEPTED` when it is. */
export const SpanVerdict = { ACCEPTED: 0, INVALID_TRACE_ID: 1, INVALID_SPAN_ID: 2, INVALID_PARENT_SPAN_ID: 3 } as const;
export type SpanVerdict = (typeof SpanVerdict)[keyof typeof SpanVerdict];

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAX_KIND = 5;
const MAX_STATUS_CODE = 2;
const EXCEPTION_NAME_BYTES = new TextEncoder().encode(EXCEPTION_EVENT_NAME);
const EXCEPTION_TYPE_BYTES = new TextEncoder().encode(EXCEPTION_TYPE_KEY);
const EXCEPTION_MESSAGE_BYTES = new TextEncoder().encode(EXCEPTION_MESSAGE_KEY);
const EXCEPTION_STACKTRACE_BYTES = new TextEncoder().encode(EXCEPTION_STACKTRACE_KEY);

function isZero(buf: Uint8Array, pos: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (buf[pos + i] !== 0) return false;
  return true;
}

function copy(src: Uint8Array, srcPos: number, dst: Uint8Array, dstPos: number, length: number): void {
  for (let i = 0; i < length; i++) dst[dstPos + i] = src[srcPos + i]!;
}

/** Copies a little-endian fixed64 into a BigInt64Array's byte view (native order). */
function copyFixed64(src: Uint8Array, srcPos: number, dst: Uint8Array, index: number): void {
  const at = index * 8;
  if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) dst[at + i] = src[srcPos + i]!;
  else for (let i = 0; i < 8; i++) dst[at + 7 - i] = src[srcPos + i]!;
}

export class SpanScanner extends ValueScanner {
  private readonly out: SpanBatchBuilder;
  private readonly semantics: SemanticsCollector;
  private readonly limits: AttributeLimits;
  /** `limits.maxAttributes`, kept in a field of its own: it is read for every span. */
  private readonly maxAttributes: number;
  private readonly maxSemanticValueBytes: number;

  constructor(r: ProtoReader, out: SpanBatchBuilder, semantics: SemanticsCollector, limits: AttributeLimits, maxSemanticValueBytes: number) {
    super(r, limits.maxValueBytes);
    this.out = out;
    this.semantics = semantics;
    this.limits = limits;
    this.maxAttributes = limits.maxAttributes;
    this.maxSemanticValueBytes = maxSemanticValueBytes;
  }

  /**
   * Reads the `Span` at `[r.pos, end)`. An accepted span is appended to the batch; a rejected one
   * (invalid ids) is not, and its verdict says why. Malformed protobuf throws `ProtoDecodeError`.
   * After an accepted span, `limitHits` holds the `LimitHit` flags of the limits it was truncated
   * to (0: stored as sent).
   */
  scanSpan(end: number, resourceIndex: number, scopeIndex: number): SpanVerdict {
    const r = this.r;
    const buf = this.buf;
    const start = r.pos;
    let traceIdPos = 0;
    let traceIdLength = 0;
    let spanIdPos = 0;
    let spanIdLength = 0;
    let parentPos = 0;
    let parentLength = 0;
    let namePos = 0;
    let nameLength = 0;
    let kind = 0;
    let startPos = -1;
    let endPos = -1;
    let statusCode = 0;
    let statusMessagePos = 0;
    let statusMessageLength = 0;
    let attributeCount = 0;
    this.limitHits = 0;
    this.semantics.reset();
    while (r.pos < end) {
      const tag = r.readTag();
      switch (tag) {
        case tagOf(1, LEN): {
          const e = r.readDelimitedEnd(end);
          traceIdPos = r.pos;
          traceIdLength = e - r.pos;
          r.pos = e;
          break;
        }
        case tagOf(2, LEN): {
          const e = r.readDelimitedEnd(end);
          spanIdPos = r.pos;
          spanIdLength = e - r.pos;
          r.pos = e;
          break;
        }
        case tagOf(4, LEN): {
          const e = r.readDelimitedEnd(end);
          parentPos = r.pos;
          parentLength = e - r.pos;
          r.pos = e;
          break;
        }
        case tagOf(5, LEN): {
          const e = r.readDelimitedEnd(end);
          namePos = r.pos;
          nameLength = e - r.pos;
          r.pos = e;
          break;
        }
        case tagOf(6, VARINT):
          kind = r.readVarintLow32();
          break;
        case tagOf(7, I64):
          if (r.pos + 8 > end) throw new ProtoDecodeError('truncated fixed64', r.pos);
          startPos = r.pos;
          r.pos += 8;
          break;
        case tagOf(8, I64):
          if (r.pos + 8 > end) throw new ProtoDecodeError('truncated fixed64', r.pos);
          endPos = r.pos;
          r.pos += 8;
          break;
        case tagOf(9, LEN):
          attributeCount++;
          this.scanAttribute(r.readDelimitedEnd(end));
          break;
        case tagOf(11, LEN):
          this.scanEvent(r.readDelimitedEnd(end));
          break;
        case tagOf(13, LEN):
          this.scanLink(r.readDelimitedEnd(end));
          break;
        case tagOf(15, LEN): {
          const statusEnd = r.readDelimitedEnd(end);
          while (r.pos < statusEnd) {
            const t = r.readTag();
            if (t === tagOf(2, LEN)) {
              const e = r.readDelimitedEnd(statusEnd);
              statusMessagePos = r.pos;
              statusMessageLength = e - r.pos;
              r.pos = e;
            } else if (t === tagOf(3, VARINT)) statusCode = r.readVarintLow32();
            else if (t >>> 3 === 2 || t >>> 3 === 3) r.wrongWireType('Status', t);
            else r.skipField(t, statusEnd);
          }
          r.expectEnd(statusEnd);
          break;
        }
        case tagOf(3, LEN): // trace_state
        case tagOf(10, VARINT): // dropped_attributes_count
        case tagOf(12, VARINT): // dropped_events_count
        case tagOf(14, VARINT): // dropped_links_count
        case tagOf(16, I32): // flags
          r.skipField(tag, end);
          break;
        default:
          if (tag >>> 3 <= 16) r.wrongWireType('Span', tag);
          r.skipField(tag, end);
      }
    }
    r.expectEnd(end);

    if (traceIdLength !== 16 || isZero(buf, traceIdPos, 16)) return this.reject(SpanVerdict.INVALID_TRACE_ID);
    if (spanIdLength !== 8 || isZero(buf, spanIdPos, 8)) return this.reject(SpanVerdict.INVALID_SPAN_ID);
    if (parentLength !== 0 && parentLength !== 8) return this.reject(SpanVerdict.INVALID_PARENT_SPAN_ID);

    const out = this.out;
    out.reserve();
    const i = out.length;
    out.resourceIndex[i] = resourceIndex;
    out.scopeIndex[i] = scopeIndex;
    copy(buf, traceIdPos, out.traceIds, i * 16, 16);
    copy(buf, spanIdPos, out.spanIds, i * 8, 8);
    if (parentLength === 8) copy(buf, parentPos, out.parentSpanIds, i * 8, 8);
    else out.parentSpanIds.fill(0, i * 8, i * 8 + 8);
    out.kinds[i] = kind >= 0 && kind <= MAX_KIND ? kind : 0;
    out.statusCodes[i] = statusCode >= 0 && statusCode <= MAX_STATUS_CODE ? statusCode : 0;
    if (startPos >= 0) copyFixed64(buf, startPos, out.startTimeBytes, i);
    else out.startTimeUnixNano[i] = 0n;
    if (endPos >= 0) copyFixed64(buf, endPos, out.endTimeBytes, i);
    else out.endTimeUnixNano[i] = 0n;
    out.names.push(cachedUtf8(buf, namePos, namePos + nameLength));
    out.statusMessages.push(cachedUtf8(buf, statusMessagePos, statusMessagePos + statusMessageLength));
    if (attributeCount > this.maxAttributes) this.limitHits |= LimitHit.ATTRIBUTES;
    if (this.limitHits === 0) {
      out.semantics.push(this.semantics.finish());
      out.payloads.push(buf.subarray(start, end));
    } else {
      // The slow path: `limitHits` becomes what truncation actually cut, as the scan's flags can
      // be false alarms (an overlong value that a later occurrence of the same field replaces).
      this.semantics.reset();
      const truncated = truncateSpanPayload(buf.subarray(start, end), this.limits, this.maxSemanticValueBytes);
      this.limitHits = truncated.hits;
      out.semantics.push(truncated.semantics);
      out.payloads.push(truncated.payload);
    }
    out.length = i + 1;
    return SpanVerdict.ACCEPTED;
  }

  private reject(verdict: SpanVerdict): SpanVerdict {
    this.semantics.reset();
    return verdict;
  }

  /** A span attribute (`KeyValue`): validated, and offered to the semantics when its key is a semantic one. */
  private scanAttribute(end: number): void {
    const r = this.r;
    const buf = this.buf;
    const pos = r.pos;
    // Fast path for the layout every encoder writes: key (field 1) then value (field 2), both
    // shorter than 128 bytes, nothing else. Anything else takes the general loop below.
    if (pos + 2 <= end && buf[pos] === tagOf(1, LEN)) {
      const keyLength = buf[pos + 1]!;
      const valueTagAt = pos + 2 + keyLength;
      if (keyLength < 0x80 && valueTagAt + 2 <= end && buf[valueTagAt] === tagOf(2, LEN)) {
        const valuePos = valueTagAt + 2;
        if (buf[valueTagAt + 1]! < 0x80 && valuePos + buf[valueTagAt + 1]! === end) {
          // The commonest value, a lone string shorter than 128 bytes, is checked here inline.
          let set = true;
          if (!(buf[valuePos] === tagOf(1, LEN) && buf[valuePos + 1]! < 0x80 && valuePos + 2 + buf[valuePos + 1]! === end && this.shortValuesFit)) {
            r.pos = valuePos;
            set = this.skipAnyValue(end, 0);
          }
          r.pos = end;
          if (set) this.offerIfSemantic(pos + 2, keyLength, valuePos, end);
          return;
        }
      }
    }
    let keyPos = 0;
    let keyLength = 0;
    let valuePos = -1;
    let valueEnd = -1;
    while (r.pos < end) {
      const tag = r.readTag();
      if (tag === tagOf(1, LEN)) {
        const e = r.readDelimitedEnd(end);
        keyPos = r.pos;
        keyLength = e - r.pos;
        r.pos = e;
      } else if (tag === tagOf(2, LEN)) {
        const e = r.readDelimitedEnd(end);
        const p = r.pos;
        if (this.skipAnyValue(e, 0)) {
          valuePos = p;
          valueEnd = e;
        }
      } else if (tag >>> 3 <= 2) r.wrongWireType('KeyValue', tag);
      else r.skipField(tag, end);
    }
    r.expectEnd(end);
    if (valuePos >= 0) this.offerIfSemantic(keyPos, keyLength, valuePos, valueEnd);
  }

  /** Offers the (validated, set) value at `[valuePos, valueEnd)` when the key at `keyPos` is a semantic key. */
  private offerIfSemantic(keyPos: number, keyLength: number, valuePos: number, valueEnd: number): void {
    if (keyLength === 0 || keyLength > SEMANTIC_KEY_TABLE_MAX_LENGTH) return;
    const candidates = SEMANTIC_KEYS_BY_SHAPE[keyLength * 256 + this.buf[keyPos]!];
    if (candidates === undefined) return;
    for (const key of candidates) {
      if (bytesEqual(this.buf, keyPos, keyLength, key.keyBytes)) {
        this.semantics.offer(key, this.semanticValue(key, valuePos, valueEnd));
        return;
      }
    }
  }

  /** An event: validated, its attributes counted; an `exception` event's type, message and stack trace go to the semantics. */
  private scanEvent(end: number): void {
    const r = this.r;
    const start = r.pos;
    let namePos = 0;
    let nameLength = 0;
    let attributeCount = 0;
    while (r.pos < end) {
      const tag = r.readTag();
      switch (tag) {
        case tagOf(2, LEN): {
          const e = r.readDelimitedEnd(end);
          namePos = r.pos;
          nameLength = e - r.pos;
          r.pos = e;
          break;
        }
        case tagOf(3, LEN):
          if (++attributeCount > this.maxAttributes) this.limitHits |= LimitHit.ATTRIBUTES;
          this.skipKeyValue(r.readDelimitedEnd(end), 0);
          break;
        case tagOf(1, I64):
        case tagOf(4, VARINT):
          r.skipField(tag, end);
          break;
        default:
          if (tag >>> 3 <= 4) r.wrongWireType('Span.Event', tag);
          r.skipField(tag, end);
      }
    }
    r.expectEnd(end);
    if (bytesEqual(this.buf, namePos, nameLength, EXCEPTION_NAME_BYTES)) this.readException(start, end);
  }

  /** Second pass over a validated `exception` event: the first string value of each exception key. */
  private readException(start: number, end: number): void {
    const r = this.r;
    const buf = this.buf;
    let type: string | undefined;
    let message: string | undefined;
    let stackTrace: string | undefined;
    r.pos = start;
    while (r.pos < end) {
      const tag = r.readTag();
      if (tag !== tagOf(3, LEN)) {
        r.skipField(tag, end);
        continue;
      }
      const kvEnd = r.readDelimitedEnd(end);
      let keyPos = 0;
      let keyLength = 0;
      let valuePos = -1;
      let valueEnd = -1;
      while (r.pos < kvEnd) {
        const t = r.readTag();
        if (t !== tagOf(1, LEN) && t !== tagOf(2, LEN)) {
          r.skipField(t, kvEnd);
          continue;
        }
        const e = r.readDelimitedEnd(kvEnd);
        if (t === tagOf(1, LEN)) {
          keyPos = r.pos;
          keyLength = e - r.pos;
        } else {
          this.findValue(r.pos, e);
          if (this.lastTag !== 0) {
            valuePos = r.pos;
            valueEnd = e;
          }
        }
        r.pos = e;
      }
      if (valuePos < 0) continue;
      if (type === undefined && bytesEqual(buf, keyPos, keyLength, EXCEPTION_TYPE_BYTES)) {
        type = this.stringIn(valuePos, valueEnd);
      } else if (message === undefined && bytesEqual(buf, keyPos, keyLength, EXCEPTION_MESSAGE_BYTES)) {
        message = this.stringIn(valuePos, valueEnd);
      } else if (stackTrace === undefined && bytesEqual(buf, keyPos, keyLength, EXCEPTION_STACKTRACE_BYTES)) {
        stackTrace = this.stringIn(valuePos, valueEnd);
      }
    }
    this.semantics.offerException(type, message, stackTrace);
  }

  /** A link: validated, and its attributes counted. */
  private scanLink(end: number): void {
    const r = this.r;
    let attributeCount = 0;
    while (r.pos < end) {
      const tag = r.readTag();
      switch (tag) {
        case tagOf(4, LEN):
          if (++attributeCount > this.maxAttributes) this.limitHits |= LimitHit.ATTRIBUTES;
          this.skipKeyValue(r.readDelimitedEnd(end), 0);
          break;
        case tagOf(1, LEN):
        case tagOf(2, LEN):
        case tagOf(3, LEN):
        case tagOf(5, VARINT):
        case tagOf(6, I32):
          r.skipField(tag, end);
          break;
        default:
          if (tag >>> 3 <= 6) r.wrongWireType('Span.Link', tag);
          r.skipField(tag, end);
      }
    }
    r.expectEnd(end);
  }
}
