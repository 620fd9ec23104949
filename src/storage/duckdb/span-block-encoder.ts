/**
 * Writes span blocks (layout in `span-blocks.ts`): the columns serialized one after another, a
 * span's own columns only where its payload does not hold them, those payloads' ids and times
 * moved to columns at the end (`span-block-columns.ts`), brotli over the whole.
 * The span writer encodes a batch the moment it arrives (`span-writer.ts`), while the previous
 * group's COMMIT runs, and compresses on libuv's thread pool (`encodeSpanBlockAsync`): brotli is
 * half of encoding, and on the store's thread it held up the callbacks of every statement.
 */
import { brotliCompress, brotliCompressSync, constants, type BrotliOptions } from 'node:zlib';
import { StorageError } from '../api/storage.js';
import { NO_PARENT_ID, readPayloadFields, type PayloadFields } from './payload-fields.js';
import { ColumnWriter } from './span-block-column-writer.js';
import { BLOCK_FORMAT, HEADER_BYTES, PER_EXPLICIT_BYTES, PER_SPAN_BYTES, type BlockSpans } from './span-blocks.js';
import { summarizeTraces, type TraceBlockSummary } from './trace-summaries.js';

/**
 * Brotli quality 4. With format 2's columns (`span-block-columns.ts`), on the benchmark's
 * 1000-span batches: quality 1 gives 43.6 B/span at 0.67 µs of CPU per span, quality 4 34.4 B/span
 * at 1.64 µs, quality 5 31.6 B/span at 2.40 µs. The store thread has the microsecond to spare
 * (ADR 0010); format 1 used quality 1, when quality 4 cost 4× the CPU for 42 instead of 50 B/span.
 */
const BROTLI_QUALITY = 4;

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
export function encodeSpanBlock(spans: BlockSpans): EncodedBlock {
  const { body, options, meta } = serializeSpanBlock(spans);
  return { bytes: brotliCompressSync(body, options), ...meta };
}

/** `encodeSpanBlock`, compressing on libuv's thread pool; it serializes before it returns. */
export function encodeSpanBlockAsync(spans: BlockSpans): Promise<EncodedBlock> {
  const { body, options, meta } = serializeSpanBlock(spans);
  return new Promise((resolve, reject) => {
    brotliCompress(body, options, (error, bytes) => {
      if (error) reject(new StorageError(`a span block did not compress: ${error.message}`, undefined, { cause: error }));
      else resolve({ bytes, ...meta });
    });
  });
}

/** `spans` serialized, the compressor's options for it, and what the block's rows say of it. */
function serializeSpanBlock(spans: BlockSpans): { body: Buffer; options: BrotliOptions; meta: Omit<EncodedBlock, 'bytes'> } {
  const n = spans.length;
  if (n === 0) throw new StorageError('a span block holds at least one span');
  const explicit: number[] = [];
  const fields: (PayloadFields | undefined)[] = new Array(n);
  const utf8 = new Map<string, Buffer>();
  let payloadBytes = 0;
  for (let i = 0; i < n; i++) {
    payloadBytes += spans.payloads[i]!.length;
    fields[i] = payloadFieldsMatching(spans, i, utf8);
    if (fields[i] === undefined) explicit.push(i);
  }
  const m = explicit.length;
  const names = explicit.map((i) => Buffer.from(spans.names[i]!, 'utf8'));
  const messages = explicit.map((i) => Buffer.from(spans.statusMessages[i]!, 'utf8'));
  const r = spans.resourceIds.length;
  const s = spans.scopeIds.length;
  const textBytes = names.reduce((sum, b) => sum + b.length, 0) + messages.reduce((sum, b) => sum + b.length, 0);
  // Stripping moves bytes from the payloads to the columns (`span-block-columns.ts`), which may
  // take a few more: the block is at most `size` bytes, and `at` says how many it took.
  const size = HEADER_BYTES + 8 * (r + s) + PER_SPAN_BYTES * n + PER_EXPLICIT_BYTES * m + textBytes + payloadBytes + ColumnWriter.extraBytes(n - m);
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt8(BLOCK_FORMAT, 0);
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
  const columns = new ColumnWriter(n - m);
  for (let i = 0; i < n; i++) {
    const f = fields[i];
    at = f === undefined ? put(out, at, spans.payloads[i]!) : columns.strip(out, at, spans.payloads[i]!, f);
  }
  at = columns.finish(out, at);
  if (at > size) throw new StorageError(`span block size mismatch: wrote ${at} of at most ${size} bytes`);

  const options = {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      // A window just large enough for the block: a larger one costs its allocation on every call.
      [constants.BROTLI_PARAM_LGWIN]: Math.min(24, Math.max(16, Math.ceil(Math.log2(at)))),
      [constants.BROTLI_PARAM_SIZE_HINT]: at,
    },
  };
  let minStart = spans.startTimeUnixNano[0]!;
  let maxStart = minStart;
  for (let i = 1; i < n; i++) {
    const start = spans.startTimeUnixNano[i]!;
    if (start < minStart) minStart = start;
    if (start > maxStart) maxStart = start;
  }
  return { body: out.subarray(0, at), options, meta: { spans: n, firstSeq, lastSeq, minStart, maxStart, traces: summarizeTraces(spans) } };
}

/** What `readPayloadFields` finds in span `i`'s payload, if that is exactly the span's columns. */
function payloadFieldsMatching(spans: BlockSpans, i: number, utf8: Map<string, Buffer>): PayloadFields | undefined {
  const payload = spans.payloads[i]!;
  const f = readPayloadFields(payload);
  if (f === undefined) return undefined;
  if (f.kind !== spans.kinds[i] || f.statusCode !== spans.statusCodes[i]) return undefined;
  if (f.startTimeUnixNano !== spans.startTimeUnixNano[i] || f.endTimeUnixNano !== spans.endTimeUnixNano[i]) return undefined;
  if (!sameBytes(payload, f.traceIdAt, spans.traceIds, 16 * i, 16) || !sameBytes(payload, f.spanIdAt, spans.spanIds, 8 * i, 8)) return undefined;
  if (f.parentIdAt === NO_PARENT_ID) {
    for (let k = 8 * i; k < 8 * i + 8; k++) if (spans.parentSpanIds[k] !== 0) return undefined;
  } else if (!sameBytes(payload, f.parentIdAt, spans.parentSpanIds, 8 * i, 8)) return undefined;
  const same = sameText(payload, f.nameStart, f.nameEnd, spans.names[i]!, utf8) && sameText(payload, f.messageStart, f.messageEnd, spans.statusMessages[i]!, utf8);
  return same ? f : undefined;
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

function put(out: Buffer, at: number, bytes: Uint8Array): number {
  out.set(bytes, at);
  return at + bytes.length;
}

function putU32s(out: Buffer, at: number, values: Uint32Array): number {
  for (let i = 0; i < values.length; i++) at = out.writeUInt32LE(values[i]!, at);
  return at;
}
