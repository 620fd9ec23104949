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
 * On the benchmark's 1000-span batches this took the block from 52.6 to 43.6 B/span at the same
 * brotli quality (ADR 0010).
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
 *
 * This file holds the layout; `span-block-column-writer.ts` writes the columns and
 * `span-block-column-reader.ts` restores payloads from them.
 */

/**
 * A stripped span's meta: which fields it lost and where its parent is. Bits 0–2 as below; the
 * rest is the parent: 0 none taken out, 1 the next external parent id, k + 2 stripped span k.
 */
export const META = { hasEnd: 1, hasStart: 2, startBeforeEnd: 4, parentShift: 3 } as const;

/** The block's first start (u64) and the external parent count (u32). */
export const TRAILER_BYTES = 12;

/** Bytes of columns per stripped span: meta, trace id, span id, start, end. */
export const COLUMN_BYTES = 4 + 16 + 8 + 8 + 8;

/** Bytes a stripped payload lost, from its meta. */
export function lostBytes(meta: number): number {
  return 24 + (meta >>> META.parentShift !== 0 ? 8 : 0) + ((meta & META.hasStart) !== 0 ? 8 : 0) + ((meta & META.hasEnd) !== 0 ? 8 : 0);
}
