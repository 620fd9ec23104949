/** Reads span block format 2's payloads back from its columns (layout in `span-block-columns.ts`). */
import { StorageError } from '../api/storage.js';
import { readVarint, varintEnd } from './payload-fields.js';
import { COLUMN_BYTES, META, TRAILER_BYTES, lostBytes } from './span-block-columns.js';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

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

  constructor(private readonly bytes: Uint8Array, payloadsAt: number, private readonly lengths: Uint32Array, stripped: (i: number) => boolean) {
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
    const columnsAt = trailerAt - 8 * externals - COLUMN_BYTES * p;
    if (columnsAt < payloadsAt) throw damaged();
    this.meta = new Uint32Array(p);
    for (let k = 0; k < p; k++) {
      let value = 0;
      for (let b = 3; b >= 0; b--) value = value * 256 + bytes[columnsAt + b * p + k]!;
      this.meta[k] = value;
    }
    this.traceIdsAt = columnsAt + 4 * p;
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
    if (this.offsets[n] !== columnsAt) throw damaged();
  }

  /** The trace id of stripped span `i`, from its column. */
  traceId(i: number): bigint {
    const at = this.traceIdsAt + 16 * this.rank[i]!;
    return (this.view.getBigUint64(at) << 64n) | this.view.getBigUint64(at + 8);
  }

  /** The start time of stripped span `i`, from its column (0 when its payload has none, as `readPayloadFields` reads it). */
  startTime(i: number): bigint {
    const k = this.rank[i]!;
    return (this.meta[k]! & META.hasStart) === 0 ? 0n : this.start(k);
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
    const outView = new DataView(out.buffer);
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
      outView.setBigInt64(at, value, true);
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
          if (parent === 0 || parent - 2 >= this.meta.length) throw damaged();
          insert(parent === 1 ? this.externalsAt + 8 * this.external[k]! : this.spanIdsAt + 8 * (parent - 2), 8);
        } else pos += size;
      } else if (wire === I64 && field === 7) {
        start = this.start(k);
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

  /** The start of stripped span `k`, whose payload has one. */
  private start(k: number): bigint {
    return BigInt.asIntN(64, this.firstStart + unzigzag(this.transposed64(this.startsAt, k)));
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

  /** The varint at `pos` before `to`; `after` is where it ends. */
  private varint(pos: number, to: number): number {
    const value = readVarint(this.bytes, pos, to);
    if (value < 0) throw damaged();
    this.after = varintEnd();
    return value;
  }

  private after = 0;
}

function unzigzag(value: bigint): bigint {
  return (value >> 1n) ^ -(value & 1n);
}

function damaged(): StorageError {
  return new StorageError('a span block’s stripped payloads do not restore (the store is damaged)');
}
