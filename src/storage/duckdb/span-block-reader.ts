/** Reads span blocks (layout in `span-blocks.ts`) back, span by span. */
import { brotliDecompressSync } from 'node:zlib';
import { StorageError } from '../api/storage.js';
import { dataViewOf } from './id-codec.js';
import { NO_PARENT_ID, readPayloadFields, type PayloadFields } from './payload-fields.js';
import { StrippedPayloads } from './span-block-column-reader.js';
import { allocateBlockSpans, BLOCK_FORMAT, HEADER_BYTES, PER_EXPLICIT_BYTES, PER_SPAN_BYTES, PLAIN_PAYLOADS_FORMAT, type BlockSpans } from './span-blocks.js';

/** One span of a block, as `SpanBlock.span` reads it. */
export interface BlockSpan {
  readonly seq: bigint;
  readonly traceId: bigint;
  readonly spanId: bigint;
  readonly parentSpanId: bigint;
  readonly resourceId: bigint;
  readonly scopeId: bigint;
  readonly kind: number;
  readonly statusCode: number;
  readonly startTimeUnixNano: bigint;
  /** `end − start` as stored: wrapped to int64. */
  readonly durationNano: bigint;
  readonly name: string;
  readonly statusMessage: string;
  /** A copy, owned by the caller. */
  readonly payload: Uint8Array;
}

/** A decompressed block, read span by span. */
export class SpanBlock {
  readonly length: number;
  private readonly view: DataView;
  private readonly resourceIds: bigint[] = [];
  private readonly scopeIds: bigint[] = [];
  private readonly firstSeq: bigint;
  private readonly seqsAt: number;
  private readonly resourceIndexAt: number;
  private readonly scopeIndexAt: number;
  /** Per span: its index among the explicit spans, or -1 when its columns are its payload's fields. */
  private readonly explicitIndex: Int32Array;
  private readonly explicitCount: number;
  private readonly explicitAt: number;
  /** Byte offsets of each explicit span's name and status message, and of each span's payload (count + 1 entries each). */
  private readonly nameOffsets: Uint32Array;
  private readonly messageOffsets: Uint32Array;
  private readonly payloadOffsets?: Uint32Array;
  /** Format 2: the payloads, read one by one (`span-block-columns.ts`). */
  private readonly stripped?: StrippedPayloads;

  constructor(private readonly bytes: Uint8Array) {
    const view = dataViewOf(bytes);
    this.view = view;
    const format = bytes.length < HEADER_BYTES ? undefined : view.getUint8(0);
    if (format !== BLOCK_FORMAT && format !== PLAIN_PAYLOADS_FORMAT) throw new StorageError(`unknown span block format ${bytes[0] ?? '(empty)'}`);
    const n = view.getUint32(1, true);
    const m = view.getUint32(5, true);
    const r = view.getUint32(9, true);
    const s = view.getUint32(13, true);
    if (m > n || bytes.length < HEADER_BYTES + 8 * (r + s) + PER_SPAN_BYTES * n + PER_EXPLICIT_BYTES * m) throw new StorageError('span block is truncated');
    this.length = n;
    this.explicitCount = m;
    this.firstSeq = view.getBigUint64(17, true);
    let at = HEADER_BYTES;
    for (let i = 0; i < r; i++, at += 8) this.resourceIds.push(view.getBigUint64(at, true));
    for (let i = 0; i < s; i++, at += 8) this.scopeIds.push(view.getBigUint64(at, true));
    this.seqsAt = at;
    at += 4 * n;
    this.explicitIndex = new Int32Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) this.explicitIndex[i] = bytes[at + i] === 1 ? -1 : k++;
    if (k !== m) throw new StorageError('span block flags disagree with its explicit span count');
    this.resourceIndexAt = (at += n);
    this.scopeIndexAt = (at += 4 * n);
    const payloadLengthsAt = (at += 4 * n);
    this.explicitAt = (at += 4 * n);
    const nameLengthsAt = at + (16 + 8 + 8 + 1 + 1 + 8 + 8) * m;
    this.nameOffsets = this.offsets(nameLengthsAt, m, at + PER_EXPLICIT_BYTES * m);
    this.messageOffsets = this.offsets(nameLengthsAt + 4 * m, m, this.nameOffsets[m]!);
    if (format === BLOCK_FORMAT) {
      const lengths = Uint32Array.from({ length: n }, (_, i) => view.getUint32(payloadLengthsAt + 4 * i, true));
      this.stripped = new StrippedPayloads(bytes, this.messageOffsets[m]!, lengths, (i) => this.explicitIndex[i]! < 0);
    } else {
      this.payloadOffsets = this.offsets(payloadLengthsAt, n, this.messageOffsets[m]!);
      if (this.payloadOffsets[n] !== bytes.length) throw new StorageError('span block lengths do not add up to its size');
    }
    for (let i = 0; i < n; i++) {
      if (this.resourceIndex(i) >= r || this.scopeIndex(i) >= s) throw new StorageError(`span ${i} of a span block names a resource or scope it does not hold`);
    }
  }

  static decompress(compressed: Uint8Array): SpanBlock {
    let bytes: Buffer;
    try {
      bytes = brotliDecompressSync(compressed);
    } catch (cause: unknown) {
      throw new StorageError('a span block does not decompress (the store is damaged)', undefined, { cause });
    }
    return new SpanBlock(bytes);
  }

  /** The trace id of span `i`. */
  traceId(i: number): bigint {
    const k = this.explicitIndex[i]!;
    if (k >= 0) return (this.view.getBigUint64(this.explicitAt + 16 * k) << 64n) | this.view.getBigUint64(this.explicitAt + 16 * k + 8);
    if (this.stripped !== undefined) return this.stripped.traceId(i);
    const payload = this.payload(i);
    const at = this.fieldsOf(i, payload).traceIdAt;
    const view = dataViewOf(payload);
    return (view.getBigUint64(at) << 64n) | view.getBigUint64(at + 8);
  }

  span(i: number): BlockSpan {
    const k = this.explicitIndex[i]!;
    // A copy the caller owns: format 2 restores one, format 1's is a view of the block.
    const payload = this.stripped !== undefined ? this.payload(i) : this.payload(i).slice();
    const common = {
      seq: this.seq(i),
      resourceId: this.resourceIds[this.resourceIndex(i)]!,
      scopeId: this.scopeIds[this.scopeIndex(i)]!,
      payload,
    };
    if (k < 0) {
      const f = this.fieldsOf(i, payload);
      const view = dataViewOf(payload);
      return {
        ...common,
        traceId: (view.getBigUint64(f.traceIdAt) << 64n) | view.getBigUint64(f.traceIdAt + 8),
        spanId: view.getBigUint64(f.spanIdAt),
        parentSpanId: f.parentIdAt === NO_PARENT_ID ? 0n : view.getBigUint64(f.parentIdAt),
        kind: f.kind,
        statusCode: f.statusCode,
        startTimeUnixNano: f.startTimeUnixNano,
        durationNano: BigInt.asIntN(64, f.endTimeUnixNano - f.startTimeUnixNano),
        name: utf8Of(payload, f.nameStart, f.nameEnd),
        statusMessage: utf8Of(payload, f.messageStart, f.messageEnd),
      };
    }
    const m = this.explicitCount;
    const view = this.view;
    const at = this.explicitAt;
    return {
      ...common,
      traceId: (view.getBigUint64(at + 16 * k) << 64n) | view.getBigUint64(at + 16 * k + 8),
      spanId: view.getBigUint64(at + 16 * m + 8 * k),
      parentSpanId: view.getBigUint64(at + 24 * m + 8 * k),
      kind: view.getUint8(at + 32 * m + k),
      statusCode: view.getUint8(at + 33 * m + k),
      startTimeUnixNano: view.getBigInt64(at + 34 * m + 8 * k, true),
      durationNano: view.getBigInt64(at + 42 * m + 8 * k, true),
      name: utf8Of(this.bytes, this.nameOffsets[k]!, this.nameOffsets[k + 1]!),
      statusMessage: utf8Of(this.bytes, this.messageOffsets[k]!, this.messageOffsets[k + 1]!),
    };
  }

  /** The spans `indexes` as a new block's columns (retention keeps part of a block). */
  select(indexes: readonly number[]): BlockSpans {
    const n = indexes.length;
    const out = allocateBlockSpans(n, this.resourceIds, this.scopeIds);
    const ids = new DataView(out.traceIds.buffer);
    const spanIds = new DataView(out.spanIds.buffer);
    const parentIds = new DataView(out.parentSpanIds.buffer);
    indexes.forEach((i, k) => {
      const span = this.span(i);
      out.seqs[k] = span.seq;
      out.resourceIndex[k] = this.resourceIndex(i);
      out.scopeIndex[k] = this.scopeIndex(i);
      ids.setBigUint64(16 * k, span.traceId >> 64n);
      ids.setBigUint64(16 * k + 8, BigInt.asUintN(64, span.traceId));
      spanIds.setBigUint64(8 * k, span.spanId);
      parentIds.setBigUint64(8 * k, span.parentSpanId);
      out.kinds[k] = span.kind;
      out.statusCodes[k] = span.statusCode;
      out.startTimeUnixNano[k] = span.startTimeUnixNano;
      out.endTimeUnixNano[k] = BigInt.asIntN(64, span.startTimeUnixNano + span.durationNano);
      out.names.push(span.name);
      out.statusMessages.push(span.statusMessage);
      out.payloads.push(span.payload);
    });
    return out;
  }

  /** The start time of span `i` (retention reads only this). */
  startTime(i: number): bigint {
    const k = this.explicitIndex[i]!;
    if (k >= 0) return this.view.getBigInt64(this.explicitAt + 34 * this.explicitCount + 8 * k, true);
    return this.stripped !== undefined ? this.stripped.startTime(i) : this.fieldsOf(i, this.payload(i)).startTimeUnixNano;
  }

  /** Span `i`'s whole payload: a view of the block (format 1) or a restored copy (format 2, `StrippedPayloads`). */
  private payload(i: number): Uint8Array {
    if (this.stripped !== undefined) return this.stripped.payload(i);
    return this.bytes.subarray(this.payloadOffsets![i], this.payloadOffsets![i + 1]);
  }

  /** The payload fields of span `i`, whose flag says its columns are them. */
  private fieldsOf(i: number, payload: Uint8Array): PayloadFields {
    const f = readPayloadFields(payload);
    if (f === undefined) throw new StorageError(`span ${i} of a span block is flagged as read from its payload, which does not read (the store is damaged)`);
    return f;
  }

  private seq(i: number): bigint {
    return this.firstSeq + BigInt(this.view.getUint32(this.seqsAt + 4 * i, true));
  }

  private resourceIndex(i: number): number {
    return this.view.getUint32(this.resourceIndexAt + 4 * i, true);
  }

  private scopeIndex(i: number): number {
    return this.view.getUint32(this.scopeIndexAt + 4 * i, true);
  }

  /** Prefix sums of the `count` u32 lengths at `lengthsAt`, starting from `first`. */
  private offsets(lengthsAt: number, count: number, first: number): Uint32Array {
    const out = new Uint32Array(count + 1);
    out[0] = first;
    for (let i = 0; i < count; i++) {
      const end = out[i]! + this.view.getUint32(lengthsAt + 4 * i, true);
      if (end > this.bytes.length) throw new StorageError('span block is truncated');
      out[i + 1] = end;
    }
    return out;
  }
}

function utf8Of(bytes: Uint8Array, start: number, end: number): string {
  return start === end ? '' : Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}
