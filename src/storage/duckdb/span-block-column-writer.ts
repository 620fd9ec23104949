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

  /** Writes `payload` without the values `f` locates into `out` at `at`; returns the end. */
  strip(out: Uint8Array, at: number, payload: Uint8Array, f: PayloadFields): number {
    const k = this.count++;
    if (k >= this.spans) throw new StorageError('more stripped payloads than the block was sized for');
    const cuts: number[] = [f.traceIdAt, 16, f.spanIdAt, 8];
    this.traceIds.set(payload.subarray(f.traceIdAt, f.traceIdAt + 16), 16 * k);
    this.spanIds.set(payload.subarray(f.spanIdAt, f.spanIdAt + 8), 8 * k);
    const key = idKey(payload, f.spanIdAt);
    if (!this.spanByKey.has(key)) this.spanByKey.set(key, k);
    let meta = 0;
    if (f.parentIdAt !== NO_PARENT_ID) {
      cuts.push(f.parentIdAt, 8);
      const parent = this.spanByKey.get(idKey(payload, f.parentIdAt));
      if (parent !== undefined && sameId(this.spanIds, 8 * parent, payload, f.parentIdAt)) meta = (parent + 2) << META.parentShift;
      else {
        // Not among the spans before it: stored whole (a parent later in the block too).
        meta = 1 << META.parentShift;
        this.externalParents.push(payload.subarray(f.parentIdAt, f.parentIdAt + 8));
      }
    }
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    let startLow = 0;
    let startHigh = 0;
    if (f.startAt >= 0) {
      cuts.push(f.startAt, 8);
      startLow = view.getUint32(f.startAt, true);
      startHigh = view.getUint32(f.startAt + 4, true);
      if (!this.hasFirst) [this.firstLow, this.firstHigh, this.hasFirst] = [startLow, startHigh, true];
      zigzagDifference(startLow, startHigh, this.firstLow, this.firstHigh, this.starts, 2 * k);
      meta |= META.hasStart;
    }
    if (f.endAt >= 0) {
      cuts.push(f.endAt, 8);
      const startFirst = f.startAt >= 0 && f.startAt < f.endAt;
      const base = startFirst ? [startLow, startHigh] : [0, 0];
      zigzagDifference(view.getUint32(f.endAt, true), view.getUint32(f.endAt + 4, true), base[0]!, base[1]!, this.ends, 2 * k);
      meta |= META.hasEnd | (startFirst ? META.startBeforeEnd : 0);
    }
    this.meta[k] = meta;
    // The cuts in payload order (at most five pairs: an insertion sort).
    for (let i = 2; i < cuts.length; i += 2) {
      for (let j = i; j > 0 && cuts[j - 2]! > cuts[j]!; j -= 2) {
        [cuts[j - 2], cuts[j]] = [cuts[j]!, cuts[j - 2]!];
        [cuts[j - 1], cuts[j + 1]] = [cuts[j + 1]!, cuts[j - 1]!];
      }
    }
    let from = 0;
    for (let i = 0; i < cuts.length; i += 2) {
      const cut = cuts[i]!;
      out.set(payload.subarray(from, cut), at);
      at += cut - from;
      from = cut + cuts[i + 1]!;
    }
    out.set(payload.subarray(from), at);
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

function sameId(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number): boolean {
  for (let k = 0; k < 8; k++) if (a[aAt + k] !== b[bAt + k]) return false;
  return true;
}
