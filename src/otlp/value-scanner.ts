/**
 * Reading `KeyValue`s and `AnyValue`s in place for the hot decoder: validation without decoding
 * (the same rules and depth limit as `decode-message.ts`), detection of values over the length
 * limit (attribute-limits.ts), and the few reads semantic extraction needs. Positions are offsets
 * into the request buffer; nothing is allocated except the strings returned.
 */
import { LimitHit } from './attribute-limits.js';
import { MAX_ANY_VALUE_DEPTH } from './decode-message.js';
import { ProtoDecodeError, WireType, tagOf, type ProtoReader } from './proto-reader.js';
import { ValueRule, statusCodeFromDouble, statusCodeFromString, type SemanticKey } from './semantics.js';
import { cachedUtf8 } from './string-cache.js';

const { VARINT, I64, LEN } = WireType;

export function bytesEqual(buf: Uint8Array, pos: number, length: number, expected: Uint8Array): boolean {
  if (length !== expected.length) return false;
  for (let i = 0; i < length; i++) if (buf[pos + i] !== expected[i]) return false;
  return true;
}

export class ValueScanner {
  protected readonly r: ProtoReader;
  protected readonly buf: Uint8Array;
  /** Results of `findValue`, kept in fields so that finding a value allocates nothing. */
  protected lastTag = 0;
  protected lastPos = 0;
  /** `LimitHit` flags of what was read since the owner last cleared it. */
  limitHits = 0;
  /** String and bytes values longer than this set `LimitHit.VALUE_LENGTH`. */
  protected readonly maxValueBytes: number;
  /**
   * Whether every value shorter than 128 bytes fits the length limit, so the one-byte-length fast
   * paths need no check (true unless the limit is set below 127 bytes).
   */
  protected readonly shortValuesFit: boolean;

  constructor(r: ProtoReader, maxValueBytes: number) {
    this.r = r;
    this.buf = r.buf;
    this.maxValueBytes = maxValueBytes;
    this.shortValuesFit = maxValueBytes >= 0x7f;
  }

  /** Validates a `KeyValue` at `[r.pos, end)` without decoding it. */
  protected skipKeyValue(end: number, depth: number): void {
    const r = this.r;
    while (r.pos < end) {
      const tag = r.readTag();
      if (tag === tagOf(1, LEN)) r.pos = r.readDelimitedEnd(end);
      else if (tag === tagOf(2, LEN)) this.skipAnyValue(r.readDelimitedEnd(end), depth);
      else if (tag >>> 3 <= 2) r.wrongWireType('KeyValue', tag);
      else r.skipField(tag, end);
    }
    r.expectEnd(end);
  }

  /** Validates an `AnyValue` at `[r.pos, end)`; returns whether a field of its `value` oneof is set. */
  protected skipAnyValue(end: number, depth: number): boolean {
    const r = this.r;
    if (depth >= MAX_ANY_VALUE_DEPTH) throw new ProtoDecodeError(`AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH}`, r.pos);
    // Fast path: a lone string_value shorter than 128 bytes, the commonest attribute value.
    const buf = this.buf;
    const pos = r.pos;
    if (pos + 2 <= end && buf[pos] === tagOf(1, LEN) && buf[pos + 1]! < 0x80 && pos + 2 + buf[pos + 1]! === end && this.shortValuesFit) {
      r.pos = end;
      return true;
    }
    // And a lone int_value of up to 4 bytes.
    if (end - pos >= 2 && end - pos <= 5 && buf[pos] === tagOf(3, VARINT) && buf[end - 1]! < 0x80) {
      let p = pos + 1;
      while (p < end - 1 && buf[p]! >= 0x80) p++;
      if (p === end - 1) {
        r.pos = end;
        return true;
      }
    }
    let set = false;
    while (r.pos < end) {
      const tag = r.readTag();
      switch (tag) {
        case tagOf(1, LEN):
        case tagOf(7, LEN): {
          const e = r.readDelimitedEnd(end);
          if (e - r.pos > this.maxValueBytes) this.limitHits |= LimitHit.VALUE_LENGTH;
          r.pos = e;
          set = true;
          break;
        }
        case tagOf(2, VARINT):
        case tagOf(3, VARINT):
        case tagOf(4, I64):
          r.skipField(tag, end);
          set = true;
          break;
        case tagOf(5, LEN):
        case tagOf(6, LEN): {
          const e = r.readDelimitedEnd(end);
          const isArray = tag === tagOf(5, LEN);
          while (r.pos < e) {
            const t = r.readTag();
            if (t === tagOf(1, LEN)) {
              if (isArray) this.skipAnyValue(r.readDelimitedEnd(e), depth + 1);
              else this.skipKeyValue(r.readDelimitedEnd(e), depth + 1);
            } else if (t >>> 3 === 1) r.wrongWireType(isArray ? 'ArrayValue' : 'KeyValueList', t);
            else r.skipField(t, e);
          }
          r.expectEnd(e);
          set = true;
          break;
        }
        default:
          if (tag >>> 3 <= 7) r.wrongWireType('AnyValue', tag);
          r.skipField(tag, end);
      }
    }
    r.expectEnd(end);
    return set;
  }

  /**
   * Finds the last set `value` field of the (already validated) `AnyValue` at `[pos, end)`
   * (protobuf keeps the last): its tag in `lastTag` (0: none), the offset of its encoded value
   * (the length prefix, for length-delimited fields) in `lastPos`.
   */
  protected findValue(pos: number, end: number): void {
    const r = this.r;
    const saved = r.pos;
    r.pos = pos;
    this.lastTag = 0;
    while (r.pos < end) {
      const tag = r.readTag();
      if (tag >>> 3 <= 7) {
        this.lastTag = tag;
        this.lastPos = r.pos;
      }
      r.skipField(tag, end);
    }
    r.pos = saved;
  }

  /** The string in a validated `AnyValue` at `[pos, end)`, or undefined when it holds something else. */
  protected stringIn(pos: number, end: number): string | undefined {
    this.findValue(pos, end);
    if (this.lastTag !== tagOf(1, LEN)) return undefined;
    return this.readStringAt(this.lastPos, end);
  }

  /** The string whose length prefix is at `pos`. */
  private readStringAt(pos: number, end: number): string {
    const r = this.r;
    const saved = r.pos;
    r.pos = pos;
    const stringEnd = r.readDelimitedEnd(end);
    const s = cachedUtf8(this.buf, r.pos, stringEnd);
    r.pos = saved;
    return s;
  }

  /** A semantic attribute's value by its key's rule (semantics.ts), from a validated `AnyValue`. */
  protected semanticValue(key: SemanticKey, pos: number, end: number): string | number | undefined {
    const buf = this.buf;
    // Fast path: a lone string_value shorter than 128 bytes.
    if (buf[pos] === tagOf(1, LEN) && buf[pos + 1]! < 0x80 && pos + 2 + buf[pos + 1]! === end) {
      const text = cachedUtf8(buf, pos + 2, end);
      return key.rule === ValueRule.STATUS_CODE ? statusCodeFromString(text) : text;
    }
    this.findValue(pos, end);
    const tag = this.lastTag;
    if (tag === tagOf(1, LEN)) {
      const text = this.readStringAt(this.lastPos, end);
      return key.rule === ValueRule.STATUS_CODE ? statusCodeFromString(text) : text;
    }
    const r = this.r;
    const saved = r.pos;
    r.pos = this.lastPos;
    let value: string | number | undefined;
    if (key.rule === ValueRule.STATUS_CODE) {
      if (tag === tagOf(3, VARINT)) value = r.readInt64AsNumber();
      else if (tag === tagOf(4, I64)) value = statusCodeFromDouble(r.readDouble(end));
    } else if (key.rule === ValueRule.HEADER && tag === tagOf(5, LEN)) {
      value = this.firstStringOfArray(end);
    }
    r.pos = saved;
    return value;
  }

  /** The first string element of the validated `ArrayValue` whose length prefix is at `r.pos`. */
  private firstStringOfArray(end: number): string | undefined {
    const r = this.r;
    const arrayEnd = r.readDelimitedEnd(end);
    while (r.pos < arrayEnd) {
      const t = r.readTag();
      if (t !== tagOf(1, LEN)) {
        r.skipField(t, arrayEnd);
        continue;
      }
      const e = r.readDelimitedEnd(arrayEnd);
      const s = this.stringIn(r.pos, e);
      if (s !== undefined) return s;
      r.pos = e;
    }
    return undefined;
  }
}
