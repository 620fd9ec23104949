import { normalizeTraceIdHex } from '../model/ids.js';

/**
 * Lower-case, left-padded hex ids from foreign formats. Zipkin and Jaeger both write ids as hex
 * and both tolerate leading zeros being dropped, so 1–16 (span) or 1–32 (trace) digits are
 * accepted. All-zero ids are invalid in OTLP and are rejected.
 */

export function normalizeSpanIdHex(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const hex = text.trim().toLowerCase();
  if (!/^[0-9a-f]{1,16}$/.test(hex)) return undefined;
  const padded = hex.padStart(16, '0');
  return padded === '0000000000000000' ? undefined : padded;
}

export function normalizeTraceId(text: unknown): string | undefined {
  return typeof text === 'string' ? normalizeTraceIdHex(text) : undefined;
}

/**
 * Where a document mixes 64-bit and 128-bit forms of one trace id (a 128-bit id whose low half is
 * a 64-bit id used elsewhere, as happens while a system migrates), Zipkin reads them as one trace
 * under the 128-bit id. Returns that mapping for the padded 64-bit ids it applies to; a 64-bit id
 * whose low half matches two different 128-bit ids stays as it is.
 */
export function widenTraceIds(traceIds: Iterable<string>): Map<string, string> {
  const wideByLow = new Map<string, string | null>();
  const narrow = new Set<string>();
  for (const id of traceIds) {
    if (id.startsWith('0000000000000000')) {
      narrow.add(id);
      continue;
    }
    const low = id.slice(16);
    const seen = wideByLow.get(low);
    if (seen === undefined) wideByLow.set(low, id);
    else if (seen !== id) wideByLow.set(low, null);
  }
  const mapping = new Map<string, string>();
  for (const id of narrow) {
    const wide = wideByLow.get(id.slice(16));
    if (typeof wide === 'string') mapping.set(id, wide);
  }
  return mapping;
}
