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
 * Format 2 (what the encoder writes, ADR 0010) is this layout with the ids and times of each
 * span read from its payload moved out of the payload into columns at the end of the block
 * (`span-block-columns.ts`); format 1 blocks, with every payload whole, are still read.
 * A block is self-contained: reading one needs nothing but its bytes.
 *
 * This file holds the layout and the columns a block is made of; `span-block-encoder.ts` writes
 * blocks, `span-block-reader.ts` reads them, and `trace-summaries.ts` makes their `trace_blocks` rows.
 */
import type { SpanBatch } from '../../model/span-batch.js';

/** What the encoder writes: format 1 with the plain payloads' ids and times as columns (`span-block-columns.ts`). */
export const BLOCK_FORMAT = 2;
/** Blocks written before schema 10's release: every payload whole. Still read. */
export const PLAIN_PAYLOADS_FORMAT = 1;
/** format, n, m, r, s (u8 + 4 × u32) and the first seq (u64). */
export const HEADER_BYTES = 25;
/** Bytes per span of the always-present columns: seq offset, flag, resource index, scope index, payload length. */
export const PER_SPAN_BYTES = 4 + 1 + 4 + 4 + 4;
/** Bytes per explicit span of its fixed columns: ids, kind, status, start, duration, two text lengths. */
export const PER_EXPLICIT_BYTES = 16 + 8 + 8 + 1 + 1 + 8 + 8 + 4 + 4;

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
