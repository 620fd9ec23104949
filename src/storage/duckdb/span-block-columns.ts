/**
 * Span block format 2: the ids and times of a span read from its payload move out of the payload
 * into columns at the end of the block, so the compressor sees like next to like.
 *
 * Why: such a payload (`payload-fields.ts`) holds a 16-byte trace id, an 8-byte span id, an
 * 8-byte parent id and two 8-byte times among its text. Brotli cannot compress random bytes, and
 * they break up the matches it finds between one payload's text and the next. In columns:
 * - a parent that is a span of the block becomes that span's index;
 * - a start becomes its difference from the block's first start, an end its difference from the
 *   span's start (both zigzag-encoded, so a small difference has zero high bytes);
 * - numbers are stored with their bytes transposed (every value's byte 0, then every byte 1, …),
 *   so equal high bytes lie together.
 * On the benchmark's 1000-span batches this took the block from 52.6 to 42.6 B/span at the same
 * brotli quality (docs/benchmarks.md).
 *
 * What moves: from the payload of each span flagged as read from its payload, the value bytes of
 * field 1 (trace id), 2 (span id), 4 (parent span id, when 8 bytes), 7 (start) and 8 (end). Their
 * tags and length prefixes stay, so the stripped payload still says where each value goes back.
 * Explicit spans' payloads stay whole.
 *
 * Every column has one entry per stripped span, in span order, so one span is read without the
 * others: its entry is its rank among the stripped spans, and its stripped payload's length
 * follows from its whole length (format 1's column) and which fields it lost (`META`). Layout,
 * after format 1's sections, whose payload section holds the stripped payloads (p of them, e
 * parents outside the block):
 *   u32 × p meta (transposed) · trace ids 16p · span ids 8p · u64 × p starts (transposed)
 *   · u64 × p ends (transposed) · external parent ids 8e · u64 first start · u32 e
 */
import { StorageError } from '../api/storage.js';
import { NO_PARENT_ID, type PayloadFields } from './payload-fields.js';

const LEN = 2;
const I64 = 1;
const VARINT = 0;
const I32 = 5;

/**
 * A stripped span's meta: which fields it lost and where its parent is. Bits 0–2 as below; the
 * rest is the parent: 0 none taken out, 1 the next external parent id, k + 2 stripped span k.
 */
const META = { hasEnd: 1, hasStart: 2, startBeforeEnd: 4, parentShift: 3 } as const;

/** The block's first start (u64) and the external parent count (u32). */
const TRAILER_BYTES = 12;

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
    return TRAILER_BYTES + 20 * stripped;
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

/**
 * The payloads of a format-2 block, read one span at a time. `lengths[i]` is payload i's whole
 * length (format 1's column), `stripped[i]` whether its values were taken out, and the payloads
 * start at `payloadsAt`; the columns end the block.
 */
export class StrippedPayloads {
  /** Per span: where its payload, stripped or whole, starts in the block. */
  private readonly offsets: Uint32Array;
  /** Per span: its rank among the stripped spans, or -1. */
  private readonly rank: Int32Array;
  /** Per stripped span: its meta, and for one with an external parent, which external. */
  private readonly meta: Uint32Array;
  private readonly external: Int32Array;
  private readonly traceIdsAt: number;
  private readonly spanIdsAt: number;
  private readonly startsAt: number;
  private readonly endsAt: number;
  private readonly externalsAt: number;
  private readonly firstStart: bigint;
  private readonly view: DataView;
  /** Where the columns start: the payloads end here. */
  private readonly columnsAt: number;

  constructor(private readonly bytes: Uint8Array, payloadsAt: number, lengths: Uint32Array, stripped: (i: number) => boolean) {
    const n = lengths.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = view;
    this.rank = new Int32Array(n);
    let p = 0;
    for (let i = 0; i < n; i++) this.rank[i] = stripped(i) ? p++ : -1;
    const trailerAt = bytes.length - TRAILER_BYTES;
    if (trailerAt < 0) throw damaged();
    this.firstStart = view.getBigInt64(trailerAt, true);
    const externals = view.getUint32(trailerAt + 8, true);
    this.columnsAt = trailerAt - 8 * externals - 44 * p;
    if (this.columnsAt < payloadsAt) throw damaged();
    this.meta = new Uint32Array(p);
    for (let k = 0; k < p; k++) {
      let value = 0;
      for (let b = 3; b >= 0; b--) value = value * 256 + bytes[this.columnsAt + b * p + k]!;
      this.meta[k] = value;
    }
    this.traceIdsAt = this.columnsAt + 4 * p;
    this.spanIdsAt = this.traceIdsAt + 16 * p;
    this.startsAt = this.spanIdsAt + 8 * p;
    this.endsAt = this.startsAt + 8 * p;
    this.externalsAt = this.endsAt + 8 * p;
    this.external = new Int32Array(p);
    let e = 0;
    for (let k = 0; k < p; k++) this.external[k] = this.meta[k]! >>> META.parentShift === 1 ? e++ : -1;
    if (e !== externals) throw damaged();
    this.offsets = new Uint32Array(n + 1);
    this.offsets[0] = payloadsAt;
    for (let i = 0; i < n; i++) {
      const k = this.rank[i]!;
      const lost = k < 0 ? 0 : lostBytes(this.meta[k]!);
      if (lengths[i]! < lost) throw damaged();
      this.offsets[i + 1] = this.offsets[i]! + lengths[i]! - lost;
    }
    if (this.offsets[n] !== this.columnsAt) throw damaged();
    this.lengths = lengths;
  }

  private readonly lengths: Uint32Array;

  /** The trace id of stripped span `i`, from its column. */
  traceId(i: number): bigint {
    const at = this.traceIdsAt + 16 * this.rank[i]!;
    return (this.view.getBigUint64(at) << 64n) | this.view.getBigUint64(at + 8);
  }

  /** The start time of stripped span `i`, from its column (0 when its payload has none, as `readPayloadFields` reads it). */
  startTime(i: number): bigint {
    const k = this.rank[i]!;
    if ((this.meta[k]! & META.hasStart) === 0) return 0n;
    return BigInt.asIntN(64, this.firstStart + unzigzag(this.transposed64(this.startsAt, k)));
  }

  /** Span `i`'s whole payload, a copy owned by the caller. */
  payload(i: number): Uint8Array {
    const from = this.offsets[i]!;
    const k = this.rank[i]!;
    if (k < 0) return this.bytes.slice(from, this.offsets[i + 1]);
    return this.restore(k, from, this.offsets[i + 1]!, this.lengths[i]!);
  }

  /** Stripped span `k`'s payload, whose stripped form is `bytes[from, to)`, back whole. */
  private restore(k: number, from: number, to: number, length: number): Uint8Array {
    const src = this.bytes;
    const out = new Uint8Array(length);
    const meta = this.meta[k]!;
    let pos = from;
    let at = 0;
    let run = from; // the start of the bytes read but not yet copied
    const flush = () => {
      out.set(src.subarray(run, pos), at);
      at += pos - run;
    };
    const insert = (column: number, bytes: number) => {
      flush();
      if (at + bytes > length) throw damaged();
      out.set(src.subarray(column, column + bytes), at);
      at += bytes;
      run = pos;
    };
    const time = (value: bigint) => {
      flush();
      if (at + 8 > length) throw damaged();
      new DataView(out.buffer).setBigInt64(at, value, true);
      at += 8;
      run = pos;
    };
    let start = 0n;
    while (pos < to) {
      const tag = this.varint(pos, to);
      pos = this.after;
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (wire === LEN) {
        const size = this.varint(pos, to);
        pos = this.after;
        if (field === 1 && size === 16) insert(this.traceIdsAt + 16 * k, 16);
        else if (field === 2 && size === 8) insert(this.spanIdsAt + 8 * k, 8);
        else if (field === 4 && size === 8) {
          const parent = meta >>> META.parentShift;
          if (parent === 0) throw damaged();
          const column = parent === 1 ? this.externalsAt + 8 * this.external[k]! : this.spanIdsAt + 8 * (parent - 2);
          if (parent >= 2 && parent - 2 >= this.meta.length) throw damaged();
          insert(column, 8);
        } else pos += size;
      } else if (wire === I64 && field === 7) {
        start = BigInt.asIntN(64, this.firstStart + unzigzag(this.transposed64(this.startsAt, k)));
        time(start);
      } else if (wire === I64 && field === 8) {
        const base = (meta & META.startBeforeEnd) !== 0 ? start : 0n;
        time(BigInt.asIntN(64, base + unzigzag(this.transposed64(this.endsAt, k))));
      } else if (wire === I64) pos += 8;
      else if (wire === VARINT) {
        this.varint(pos, to);
        pos = this.after;
      } else if (wire === I32) pos += 4;
      else throw damaged();
      if (pos > to) throw damaged();
    }
    flush();
    if (at !== length) throw damaged();
    return out;
  }

  /** Element `k` of the transposed u64 column at `at` (of one entry per stripped span). */
  private transposed64(at: number, k: number): bigint {
    const p = this.meta.length;
    let high = 0;
    let low = 0;
    for (let b = 3; b >= 0; b--) low = low * 256 + this.bytes[at + b * p + k]!;
    for (let b = 7; b >= 4; b--) high = high * 256 + this.bytes[at + b * p + k]!;
    return (BigInt(high) << 32n) | BigInt(low);
  }

  private after = 0;

  /** A varint at `pos` (at most 7 bytes) before `to`; `after` is where it ends. */
  private varint(pos: number, to: number): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7 && pos < to; i++) {
      const byte = this.bytes[pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.after = pos;
        return value;
      }
      scale *= 128;
    }
    throw damaged();
  }
}

/** Bytes a stripped payload lost, from its meta. */
function lostBytes(meta: number): number {
  return 24 + (meta >>> META.parentShift !== 0 ? 8 : 0) + ((meta & META.hasStart) !== 0 ? 8 : 0) + ((meta & META.hasEnd) !== 0 ? 8 : 0);
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

function unzigzag(value: bigint): bigint {
  return (value >> 1n) ^ -(value & 1n);
}

function damaged(): StorageError {
  return new StorageError('a span block’s stripped payloads do not restore (the store is damaged)');
}

