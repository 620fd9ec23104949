import { createHash } from 'node:crypto';

const SIGNED_INT64_MAX = 0x7fff_ffff_ffff_ffffn;

/**
 * The stable 64-bit content id of an encoded resource or scope (`BatchResource.id`,
 * `BatchScope.id`): the first 8 bytes of its SHA-256, big-endian, with the top bit cleared so it
 * fits a signed int64 column (0 ≤ id < 2^63). Equal bytes give equal ids in every process and
 * release; the encoding is not canonicalized, so reordered attributes give another id.
 */
export function contentId(bytes: Uint8Array): bigint {
  const digest = createHash('sha256').update(bytes).digest();
  return digest.readBigUInt64BE(0) & SIGNED_INT64_MAX;
}
