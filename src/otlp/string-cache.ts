/**
 * A process-wide, fixed-size cache of short decoded strings, keyed by their UTF-8 bytes.
 *
 * Span names are low-cardinality by OpenTelemetry convention (`GET /orders/{id}`) and so are
 * the semantic values the hot decoder extracts (`server.address`, `db.system.name`, …): decoding
 * the same bytes to a new string for every span costs time and garbage, and fills memory with
 * copies. A hit costs one hash and one compare over the bytes and returns the shared string.
 *
 * Direct-mapped: a slot holds the last string that hashed to it, so high-cardinality values only
 * cost a hash and a copy of at most `MAX_CACHED_BYTES` bytes. Memory is bounded (~256 KiB).
 */
import { decodeUtf8 } from './proto-reader.js';

const SLOT_BITS = 12;
const SLOTS = 1 << SLOT_BITS;
/** Longer strings are decoded every time: they are rarely repeated and comparing them costs more. */
export const MAX_CACHED_BYTES = 64;

const arena = new Uint8Array(SLOTS * MAX_CACHED_BYTES);
const lengths = new Int32Array(SLOTS).fill(-1);
const values: string[] = Array.from({ length: SLOTS }, () => '');

/** `decodeUtf8(buf, start, end)`, from the cache when the same bytes were decoded recently. */
export function cachedUtf8(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) return '';
  if (n > MAX_CACHED_BYTES) return decodeUtf8(buf, start, end);
  // Hash the length, the first 4 and the last 12 bytes: values that share a prefix (URLs, host
  // names) differ at the end, and the full compare below makes any collision harmless.
  let h = 0x811c9dc5 ^ n;
  const head = Math.min(end, start + 4);
  for (let i = start; i < head; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  for (let i = Math.max(head, end - 12); i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  const slot = (h ^ (h >>> SLOT_BITS) ^ (h >>> 24)) & (SLOTS - 1);
  const base = slot * MAX_CACHED_BYTES;
  if (lengths[slot] === n) {
    let i = 0;
    while (i < n && arena[base + i] === buf[start + i]) i++;
    if (i === n) return values[slot]!;
  }
  const s = decodeUtf8(buf, start, end);
  for (let i = 0; i < n; i++) arena[base + i] = buf[start + i]!;
  lengths[slot] = n;
  values[slot] = s;
  return s;
}
