/** Writes span block format 2's columns (layout in `span-block-columns.ts`). */
import { StorageError } from '../api/storage.js';
import { NO_PARENT_ID, type PayloadFields } from './payload-fields.js';
import { COLUMN_BYTES, META, TRAILER_BYTES } from './span-block-columns.js';

/**
 * Collects the values stripped from a block's payloads and writes them as its columns. Times are
 * worked on as 32-bit words: `BigInt` arithmetic cost ~2 µs a span here.
 */
export class ColumnWriter {
  private readonly meta: Uint32Array;
  private readonly traceIds: Uint8Array;
  private readonly spanIds: Uint8Array;
  /** Low and high word of each zigzag-encoded value. */
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;
  private readonly externalParents: Uint8Array[] = [];
  /** Stripped spans by their span id (`idKey`), to find a parent among them. */
  private readonly spanByKey = new Map<number, number>();
  /** `strip`'s scratch: (offset, length) of each value cut from a payload. */
  private readonly cuts = new Int32Array(10);
  private count = 0;
  private firstLow = 0;
  private firstHigh = 0;
  private hasFirst = false;

  /** A writer for a block of `spans` stripped payloads. */
  constructor(private readonly spans: number) {
    this.meta = new Uint32Array(spans);
    this.traceIds = new Uint8Array(16 * spans);
    this.spanIds = new Uint8Array(8 * spans);
    this.starts = new Uint32Array(2 * spans);
    this.ends = new Uint32Array(2 * spans);
  }

  /**
   * At most how many bytes `finish` writes for `stripped` stripped payloads beyond the bytes they
   * lost: a span's columns take 44 bytes (meta, ids, start, end) and an external parent 8 more,
   * while it lost 24 to 48.
   */
  static extraBytes(stripped: number): number {
    return TRAILER_BYTES + (COLUMN_BYTES - 24) * stripped;
  }

  /**
   * Writes `payload` without the values `f` locates into `out` at `at`; returns the end. Runs per
   * span on the store thread, so it makes no view, array or `DataView` per cut: those were ~1.3 KB
   * of garbage a span, over a third of the store thread's allocation (heap profile of
   * `bench:ingest`, session 8). What is left per span is one view for a payload's long tail.
   */
  strip(out: Uint8Array, at: number, payload: Uint8Array, f: PayloadFields): number {
    const k = this.count++;
    if (k >= this.spans) throw new StorageError('more stripped payloads than the block was sized for');
    const cuts = this.cuts;
    let n = 0;
    cuts[n++] = f.traceIdAt;
    cuts[n++] = 16;
    cuts[n++] = f.spanIdAt;
    cuts[n++] = 8;
    copyBytes(payload, f.traceIdAt, this.traceIds, 16 * k, 16);
    copyBytes(payload, f.spanIdAt, this.spanIds, 8 * k, 8);
    const key = idKey(payload, f.spanIdAt);
    if (!this.spanByKey.has(key)) this.spanByKey.set(key, k);
    let meta = 0;
    if (f.parentIdAt !== NO_PARENT_ID) {
      cuts[n++] = f.parentIdAt;
      cuts[n++] = 8;
      const parent = this.spanByKey.get(idKey(payload, f.parentIdAt));
      if (parent !== undefined && sameId(this.spanIds, 8 * parent, payload, f.parentIdAt)) meta = (parent + 2) << META.parentShift;
      else {
        // Not among the spans before it: stored whole (a parent later in the block too).
        meta = 1 << META.parentShift;
        this.externalParents.push(payload.subarray(f.parentIdAt, f.parentIdAt + 8));
      }
    }
    let startLow = 0;
    let startHigh = 0;
    if (f.startAt >= 0) {
      cuts[n++] = f.startAt;
      cuts[n++] = 8;
      startLow = word(payload, f.startAt);
      startHigh = word(payload, f.startAt + 4);
      if (!this.hasFirst) {
        this.firstLow = startLow;
        this.firstHigh = startHigh;
        this.hasFirst = true;
      }
      zigzagDifference(startLow, startHigh, this.firstLow, this.firstHigh, this.starts, 2 * k);
      meta |= META.hasStart;
    }
    if (f.endAt >= 0) {
      cuts[n++] = f.endAt;
      cuts[n++] = 8;
      const startFirst = f.startAt >= 0 && f.startAt < f.endAt;
      zigzagDifference(word(payload, f.endAt), word(payload, f.endAt + 4), startFirst ? startLow : 0, startFirst ? startHigh : 0, this.ends, 2 * k);
      meta |= META.hasEnd | (startFirst ? META.startBeforeEnd : 0);
    }
    this.meta[k] = meta;
    // The cuts in payload order (at most five pairs: an insertion sort).
    for (let i = 2; i < n; i += 2) {
      for (let j = i; j > 0 && cuts[j - 2]! > cuts[j]!; j -= 2) {
        const offset = cuts[j]!;
        const length = cuts[j + 1]!;
        cuts[j] = cuts[j - 2]!;
        cuts[j + 1] = cuts[j - 1]!;
        cuts[j - 2] = offset;
        cuts[j - 1] = length;
      }
    }
    let from = 0;
    for (let i = 0; i < n; i += 2) {
      copyBytes(payload, from, out, at, cuts[i]! - from);
      at += cuts[i]! - from;
      from = cuts[i]! + cuts[i + 1]!;
    }
    copyBytes(payload, from, out, at, payload.length - from);
    return at + payload.length - from;
  }

  /** Writes the columns into `out` at `at`; returns the end. */
  finish(out: Uint8Array, at: number): number {
    const p = this.count;
    if (p !== this.spans) throw new StorageError(`a block sized for ${this.spans} stripped payloads got ${p}`);
    for (let k = 0; k < p; k++) {
      const meta = this.meta[k]!;
      for (let b = 0; b < 4; b++) out[at + b * p + k] = (meta >>> (8 * b)) & 0xff;
    }
    at += 4 * p;
    out.set(this.traceIds, at);
    at += 16 * p;
    out.set(this.spanIds, at);
    at += 8 * p;
    at = putTransposed64(out, at, this.starts, p);
    at = putTransposed64(out, at, this.ends, p);
    for (const id of this.externalParents) {
      out.set(id, at);
      at += 8;
    }
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    view.setUint32(at, this.firstLow, true);
    view.setUint32(at + 4, this.firstHigh, true);
    view.setUint32(at + 8, this.externalParents.length, true);
    return at + TRAILER_BYTES;
  }
}

/**
 * Writes zigzag(a − b) of the 64-bit values given as low and high words into `out[at]` (low) and
 * `out[at + 1]` (high): the difference wrapped to 64 bits, read as signed, shifted left one bit
 * and, when negative, inverted, so small differences of either sign keep their high bytes 0.
 */
function zigzagDifference(aLow: number, aHigh: number, bLow: number, bHigh: number, out: Uint32Array, at: number): void {
  let low = aLow - bLow;
  const borrow = low < 0 ? 1 : 0;
  low >>>= 0;
  const high = (aHigh - bHigh - borrow) >>> 0;
  const negative = high >>> 31 === 1;
  let zLow = (low << 1) >>> 0;
  let zHigh = ((high << 1) | (low >>> 31)) >>> 0;
  if (negative) {
    zLow = ~zLow >>> 0;
    zHigh = ~zHigh >>> 0;
  }
  out[at] = zLow;
  out[at + 1] = zHigh;
}

/** `p` values given as low and high words, their 8 little-endian bytes transposed. */
function putTransposed64(out: Uint8Array, at: number, words: Uint32Array, p: number): number {
  for (let k = 0; k < p; k++) {
    const low = words[2 * k]!;
    const high = words[2 * k + 1]!;
    for (let b = 0; b < 4; b++) {
      out[at + b * p + k] = (low >>> (8 * b)) & 0xff;
      out[at + (b + 4) * p + k] = (high >>> (8 * b)) & 0xff;
    }
  }
  return at + 8 * p;
}

/** A number naming the 8-byte id at `at` (exact for its high word and 21 bits of its low one). */
function idKey(bytes: Uint8Array, at: number): number {
  const high = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  const low = ((bytes[at + 5]! & 0x1f) << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!;
  return high * 0x200000 + low;
}

/** The little-endian 32-bit word at `at`. */
function word(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/**
 * Copies `length` bytes of `from` at `fromAt` into `to` at `toAt`: short runs (the ids, the field
 * tags between cut values) byte by byte, a long one with one `set` of a view.
 */
function copyBytes(from: Uint8Array, fromAt: number, to: Uint8Array, toAt: number, length: number): void {
  if (length > 64) to.set(from.subarray(fromAt, fromAt + length), toAt);
  else for (let i = 0; i < length; i++) to[toAt + i] = from[fromAt + i]!;
}

function sameId(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number): boolean {
  for (let k = 0; k < 8; k++) if (a[aAt + k] !== b[bAt + k]) return false;
  return true;
}
