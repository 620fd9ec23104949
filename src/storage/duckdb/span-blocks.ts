/**
 * Span blocks: the spans of one append stored as one compressed value (`span_blocks.block`), and
 * the per-trace summary rows (`trace_blocks`) that say which blocks hold a trace.
 *
 * Why blocks and not a row per span (schema 5 and before): with a row per span, every span cost an
 * ART index insert on `trace_id`, thirteen column values through the appender, its ~400-byte
 * payload in the WAL and again, FSST-compressed one value at a time, at the checkpoint: ~15 µs of
 * CPU per span and ~370 bytes on disk (docs/benchmarks.md). Spans are written once and read back
 * by trace, never by a span column in SQL, so a whole append can travel as one value: its columns
 * laid out one after another (ids next to ids, times next to times, names next to names) and
 * compressed together with brotli, which finds the repetition between spans that per-value FSST
 * cannot. The index is per trace and append, not per span: ten times fewer rows for ten-span traces.
 *
 * Layout of a block before compression (little-endian; n spans, m of them with explicit columns,
 * r resources, s scopes):
 *   u8 format (1) · u32 n · u32 m · u32 r · u32 s · u64 first seq · u64 × r resource ids
 *   · u64 × s scope ids · u32 × n seq − first seq (the append that stored each span)
 *   · u8 × n flag (1: the span's columns are its payload's fields, `payload-fields.ts`; 0: explicit)
 *   · u32 × n resource index · u32 × n scope index · u32 × n payload length
 *   · for the m explicit spans: trace ids 16m · span ids 8m · parent span ids 8m · u8 × m kind
 *     · u8 × m status code · i64 × m start · i64 × m (end − start, wrapped to 64 bits)
 *     · u32 × m name length · u32 × m status message length
 *   · names (UTF-8, m) · status messages (UTF-8, m) · payloads (n)
 * Spans decoded from OTLP protobuf or JSON carry columns equal to their payload's fields, so m is
 * 0 and the ids, times and names are stored once; the compressor could not find them twice (the
 * two copies lie ~100 KB apart), and storing both cost ~30 B/span more.
 * A block is self-contained: reading one needs nothing but its bytes.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { StatusCode } from '../../model/otlp.js';
import type { SpanBatch } from '../../model/span-batch.js';
import { StorageError } from '../api/storage.js';
import { dataViewOf, traceIdAt } from './id-codec.js';
import { readPayloadFields, type PayloadFields } from './payload-fields.js';

const FORMAT = 1;
const HEADER_BYTES = 25;
/** Bytes per span of the always-present columns: seq offset, flag, resource index, scope index, payload length. */
const PER_SPAN_BYTES = 4 + 1 + 4 + 4 + 4;
/** Bytes per explicit span of its fixed columns: ids, kind, status, start, duration, two text lengths. */
const PER_EXPLICIT_BYTES = 16 + 8 + 8 + 1 + 1 + 8 + 8 + 4 + 4;

/**
 * Brotli quality 1: on the benchmark's spans (~470-byte payloads, ten attributes each) it gives
 * ~50 B/span at ~0.7 µs of CPU per span; quality 4 gives ~42 B/span for 4× the CPU, which the
 * ingest path cannot spare on two cores (docs/benchmarks.md, "span blocks").
 */
const BROTLI_QUALITY = 1;

const NO_PAYLOAD_FIELDS = -1;

/** The columns a block holds: a `SpanBatch` with resources and scopes reduced to their ids, and each span's seq. */
export interface BlockSpans {
  readonly length: number;
  /** Per span: the append that stored it. A block's seqs span less than 2^32. */
  readonly seqs: BigUint64Array;
  readonly resourceIds: readonly bigint[];
  readonly scopeIds: readonly bigint[];
  readonly resourceIndex: Uint32Array;
  readonly scopeIndex: Uint32Array;
  readonly traceIds: Uint8Array;
  readonly spanIds: Uint8Array;
  readonly parentSpanIds: Uint8Array;
  readonly kinds: Uint8Array;
  readonly statusCodes: Uint8Array;
  readonly startTimeUnixNano: BigInt64Array;
  readonly endTimeUnixNano: BigInt64Array;
  readonly names: readonly string[];
  readonly statusMessages: readonly string[];
  readonly payloads: readonly Uint8Array[];
}

/** `BlockSpans` to fill span by span: `n` spans' typed columns zeroed, the text and payload lists empty. */
export function allocateBlockSpans(n: number, resourceIds: bigint[], scopeIds: bigint[]) {
  return {
    length: n,
    seqs: new BigUint64Array(n),
    resourceIds,
    scopeIds,
    resourceIndex: new Uint32Array(n),
    scopeIndex: new Uint32Array(n),
    traceIds: new Uint8Array(16 * n),
    spanIds: new Uint8Array(8 * n),
    parentSpanIds: new Uint8Array(8 * n),
    kinds: new Uint8Array(n),
    statusCodes: new Uint8Array(n),
    startTimeUnixNano: new BigInt64Array(n),
    endTimeUnixNano: new BigInt64Array(n),
    names: [] as string[],
    statusMessages: [] as string[],
    payloads: [] as Uint8Array[],
  } satisfies BlockSpans;
}

export function blockSpansOf(batch: SpanBatch, seq: bigint): BlockSpans {
  return { ...batch, seqs: new BigUint64Array(batch.length).fill(seq), resourceIds: batch.resources.map((r) => r.id), scopeIds: batch.scopes.map((s) => s.id) };
}

/** One `trace_blocks` row: what a block holds of one trace. */
export interface TraceBlockSummary {
  readonly traceId: bigint;
  /** The latest append among the trace's spans in the block. */
  readonly lastSeq: bigint;
  readonly firstStart: bigint;
  /** The latest `start + (end − start wrapped)`, exact (it may leave the int64 range). */
  readonly lastEnd: bigint;
  /** Spans of the trace in the block, exact duplicates (same span id and payload) counted once. */
  readonly spans: number;
  /** Of those, spans with status ERROR. */
  readonly errors: number;
}

export interface EncodedBlock {
  /** The compressed block. */
  readonly bytes: Uint8Array;
  readonly spans: number;
  readonly firstSeq: bigint;
  readonly lastSeq: bigint;
  readonly minStart: bigint;
  readonly maxStart: bigint;
  readonly traces: readonly TraceBlockSummary[];
}

/** Serializes and compresses `spans` (at least one span). */
export async function encodeSpanBlock(spans: BlockSpans): Promise<EncodedBlock> {
  const n = spans.length;
  if (n === 0) throw new StorageError('a span block holds at least one span');
  const explicit: number[] = [];
  const utf8 = new Map<string, Buffer>();
  let payloadBytes = 0;
  for (let i = 0; i < n; i++) {
    payloadBytes += spans.payloads[i]!.length;
    if (!columnsArePayloadFields(spans, i, utf8)) explicit.push(i);
  }
  const m = explicit.length;
  const names = explicit.map((i) => Buffer.from(spans.names[i]!, 'utf8'));
  const messages = explicit.map((i) => Buffer.from(spans.statusMessages[i]!, 'utf8'));
  const r = spans.resourceIds.length;
  const s = spans.scopeIds.length;
  const textBytes = names.reduce((sum, b) => sum + b.length, 0) + messages.reduce((sum, b) => sum + b.length, 0);
  const size = HEADER_BYTES + 8 * (r + s) + PER_SPAN_BYTES * n + PER_EXPLICIT_BYTES * m + textBytes + payloadBytes;
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt8(FORMAT, 0);
  at = out.writeUInt32LE(n, at);
  at = out.writeUInt32LE(m, at);
  at = out.writeUInt32LE(r, at);
  at = out.writeUInt32LE(s, at);
  let firstSeq = spans.seqs[0]!;
  let lastSeq = firstSeq;
  for (const seq of spans.seqs) {
    if (seq < firstSeq) firstSeq = seq;
    if (seq > lastSeq) lastSeq = seq;
  }
  if (lastSeq - firstSeq >= 1n << 32n) throw new StorageError('the seqs of a span block span 2^32 or more');
  at = out.writeBigUInt64LE(firstSeq, at);
  for (const id of spans.resourceIds) at = out.writeBigUInt64LE(id, at);
  for (const id of spans.scopeIds) at = out.writeBigUInt64LE(id, at);
  for (const seq of spans.seqs) at = out.writeUInt32LE(Number(seq - firstSeq), at);
  out.fill(1, at, at + n);
  for (const i of explicit) out[at + i] = 0;
  at += n;
  at = putU32s(out, at, spans.resourceIndex);
  at = putU32s(out, at, spans.scopeIndex);
  for (let i = 0; i < n; i++) at = out.writeUInt32LE(spans.payloads[i]!.length, at);
  for (const i of explicit) at = put(out, at, spans.traceIds.subarray(16 * i, 16 * i + 16));
  for (const i of explicit) at = put(out, at, spans.spanIds.subarray(8 * i, 8 * i + 8));
  for (const i of explicit) at = put(out, at, spans.parentSpanIds.subarray(8 * i, 8 * i + 8));
  for (const i of explicit) at = out.writeUInt8(spans.kinds[i]!, at);
  for (const i of explicit) at = out.writeUInt8(spans.statusCodes[i]!, at);
  for (const i of explicit) at = out.writeBigInt64LE(spans.startTimeUnixNano[i]!, at);
  for (const i of explicit) at = out.writeBigInt64LE(BigInt.asIntN(64, spans.endTimeUnixNano[i]! - spans.startTimeUnixNano[i]!), at);
  for (const b of names) at = out.writeUInt32LE(b.length, at);
  for (const b of messages) at = out.writeUInt32LE(b.length, at);
  for (const b of names) at = put(out, at, b);
  for (const b of messages) at = put(out, at, b);
  for (let i = 0; i < n; i++) at = put(out, at, spans.payloads[i]!);
  if (at !== size) throw new StorageError(`span block size mismatch: wrote ${at} of ${size} bytes`);

  const compressed = brotliCompressSync(out, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      // A window just large enough for the block: a larger one costs its allocation on every call.
      [constants.BROTLI_PARAM_LGWIN]: Math.min(24, Math.max(16, Math.ceil(Math.log2(size)))),
      [constants.BROTLI_PARAM_SIZE_HINT]: size,
    },
  });
  let minStart = spans.startTimeUnixNano[0]!;
  let maxStart = minStart;
  for (let i = 1; i < n; i++) {
    const start = spans.startTimeUnixNano[i]!;
    if (start < minStart) minStart = start;
    if (start > maxStart) maxStart = start;
  }
  return { bytes: compressed, spans: n, firstSeq, lastSeq, minStart, maxStart, traces: summarizeTraces(spans) };
}

/** Whether span `i`'s columns are exactly what `readPayloadFields` finds in its payload. */
function columnsArePayloadFields(spans: BlockSpans, i: number, utf8: Map<string, Buffer>): boolean {
  const payload = spans.payloads[i]!;
  const f = readPayloadFields(payload);
  if (f === undefined) return false;
  if (f.kind !== spans.kinds[i] || f.statusCode !== spans.statusCodes[i]) return false;
  if (f.startTimeUnixNano !== spans.startTimeUnixNano[i] || f.endTimeUnixNano !== spans.endTimeUnixNano[i]) return false;
  if (!sameBytes(payload, f.traceIdAt, spans.traceIds, 16 * i, 16) || !sameBytes(payload, f.spanIdAt, spans.spanIds, 8 * i, 8)) return false;
  if (f.parentIdAt === NO_PAYLOAD_FIELDS) {
    for (let k = 8 * i; k < 8 * i + 8; k++) if (spans.parentSpanIds[k] !== 0) return false;
  } else if (!sameBytes(payload, f.parentIdAt, spans.parentSpanIds, 8 * i, 8)) return false;
  return sameText(payload, f.nameStart, f.nameEnd, spans.names[i]!, utf8) && sameText(payload, f.messageStart, f.messageEnd, spans.statusMessages[i]!, utf8);
}

function sameBytes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (a[aAt + k] !== b[bAt + k]) return false;
  return true;
}

/** Whether `payload[start, end)` is `text` in UTF-8; encodings are cached per block (names repeat). */
function sameText(payload: Uint8Array, start: number, end: number, text: string, utf8: Map<string, Buffer>): boolean {
  if (text.length === 0) return start === end;
  let bytes = utf8.get(text);
  if (bytes === undefined) {
    bytes = Buffer.from(text, 'utf8');
    if (utf8.size < 10_000) utf8.set(text, bytes);
  }
  return bytes.length === end - start && sameBytes(payload, start, bytes, 0, bytes.length);
}

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
  private readonly payloadOffsets: Uint32Array;

  constructor(private readonly bytes: Uint8Array) {
    const view = dataViewOf(bytes);
    this.view = view;
    if (bytes.length < HEADER_BYTES || view.getUint8(0) !== FORMAT) throw new StorageError(`unknown span block format ${bytes[0] ?? '(empty)'}`);
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
    this.payloadOffsets = this.offsets(payloadLengthsAt, n, this.messageOffsets[m]!);
    if (this.payloadOffsets[n] !== bytes.length) throw new StorageError('span block lengths do not add up to its size');
    for (let i = 0; i < n; i++) {
      if (this.resourceIndex(i) >= r || this.scopeIndex(i) >= s) throw new StorageError(`span ${i} of a span block names a resource or scope it does not hold`);
    }
  }

  static async decompress(compressed: Uint8Array): Promise<SpanBlock> {
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
    const at = k < 0 ? this.payloadOffsets[i]! + this.fields(i).traceIdAt : this.explicitAt + 16 * k;
    return (this.view.getBigUint64(at) << 64n) | this.view.getBigUint64(at + 8);
  }

  span(i: number): BlockSpan {
    const k = this.explicitIndex[i]!;
    const payload = new Uint8Array(this.bytes.subarray(this.payloadOffsets[i], this.payloadOffsets[i + 1]));
    const common = {
      seq: this.seq(i),
      resourceId: this.resourceIds[this.resourceIndex(i)]!,
      scopeId: this.scopeIds[this.scopeIndex(i)]!,
      payload,
    };
    if (k < 0) {
      const f = this.fields(i);
      const base = this.payloadOffsets[i]!;
      const view = this.view;
      return {
        ...common,
        traceId: (view.getBigUint64(base + f.traceIdAt) << 64n) | view.getBigUint64(base + f.traceIdAt + 8),
        spanId: view.getBigUint64(base + f.spanIdAt),
        parentSpanId: f.parentIdAt === NO_PAYLOAD_FIELDS ? 0n : view.getBigUint64(base + f.parentIdAt),
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
    return k < 0 ? this.fields(i).startTimeUnixNano : this.view.getBigInt64(this.explicitAt + 34 * this.explicitCount + 8 * k, true);
  }

  /** The payload fields of span `i`, whose flag says its columns are them. */
  private fields(i: number): PayloadFields {
    const f = readPayloadFields(this.bytes.subarray(this.payloadOffsets[i], this.payloadOffsets[i + 1]));
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

interface TraceEntry {
  readonly traceId: bigint;
  lastSeq: bigint;
  firstStart: bigint;
  lastEnd: bigint;
  spans: number;
  errors: number;
  /** Span id (8 bytes as latin1) → the payloads seen with it. */
  readonly seen: Map<string, Uint8Array[]>;
}

/** Per trace of `spans`: its `trace_blocks` row. Keys are ids as latin1 strings, which V8 hashes faster than bigints. */
function summarizeTraces(spans: BlockSpans): TraceBlockSummary[] {
  const traceIds = Buffer.from(spans.traceIds.buffer, spans.traceIds.byteOffset, spans.traceIds.byteLength);
  const spanIds = Buffer.from(spans.spanIds.buffer, spans.spanIds.byteOffset, spans.spanIds.byteLength);
  const traceView = dataViewOf(spans.traceIds);
  const byTrace = new Map<string, TraceEntry>();
  let entry: TraceEntry | undefined;
  for (let i = 0; i < spans.length; i++) {
    if (entry === undefined || !sameId(spans.traceIds, i)) {
      const key = traceIds.toString('latin1', 16 * i, 16 * i + 16);
      entry = byTrace.get(key);
      if (entry === undefined) {
        const start = spans.startTimeUnixNano[i]!;
        const end = start + BigInt.asIntN(64, spans.endTimeUnixNano[i]! - start);
        entry = { traceId: traceIdAt(traceView, i), lastSeq: spans.seqs[i]!, firstStart: start, lastEnd: end, spans: 0, errors: 0, seen: new Map() };
        byTrace.set(key, entry);
      }
    }
    const start = spans.startTimeUnixNano[i]!;
    const end = start + BigInt.asIntN(64, spans.endTimeUnixNano[i]! - start);
    if (start < entry.firstStart) entry.firstStart = start;
    if (end > entry.lastEnd) entry.lastEnd = end;
    if (spans.seqs[i]! > entry.lastSeq) entry.lastSeq = spans.seqs[i]!;
    // Exact duplicates (same span id and payload) count once, as readers collapse them.
    const spanKey = spanIds.toString('latin1', 8 * i, 8 * i + 8);
    const payload = spans.payloads[i]!;
    const payloads = entry.seen.get(spanKey);
    if (payloads === undefined) entry.seen.set(spanKey, [payload]);
    else if (payloads.some((p) => Buffer.compare(p, payload) === 0)) continue;
    else payloads.push(payload);
    entry.spans++;
    if (spans.statusCodes[i] === StatusCode.ERROR) entry.errors++;
  }
  return [...byTrace.values()].map((e) => ({ traceId: e.traceId, lastSeq: e.lastSeq, firstStart: e.firstStart, lastEnd: e.lastEnd, spans: e.spans, errors: e.errors }));
}

function sameId(traceIds: Uint8Array, i: number): boolean {
  const a = 16 * i;
  const b = a - 16;
  for (let k = 0; k < 16; k++) if (traceIds[a + k] !== traceIds[b + k]) return false;
  return true;
}

function put(out: Buffer, at: number, bytes: Uint8Array): number {
  out.set(bytes, at);
  return at + bytes.length;
}

function putU32s(out: Buffer, at: number, values: Uint32Array): number {
  for (let i = 0; i < values.length; i++) at = out.writeUInt32LE(values[i]!, at);
  return at;
}
