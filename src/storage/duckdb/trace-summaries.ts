/**
 * The `trace_blocks` rows of a block: per trace, what the block holds of it. The traces list reads
 * its window, durations and counts from these rows (`analytics/traces.ts`), and recovery its seqs.
 */
import { StatusCode } from '../../model/otlp.js';
import { dataViewOf, traceIdAt } from './id-codec.js';
import type { BlockSpans } from './span-blocks.js';

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
export function summarizeTraces(spans: BlockSpans): TraceBlockSummary[] {
  const traceIds = Buffer.from(spans.traceIds.buffer, spans.traceIds.byteOffset, spans.traceIds.byteLength);
  const spanIds = Buffer.from(spans.spanIds.buffer, spans.spanIds.byteOffset, spans.spanIds.byteLength);
  const traceView = dataViewOf(spans.traceIds);
  const byTrace = new Map<string, TraceEntry>();
  let entry: TraceEntry | undefined;
  for (let i = 0; i < spans.length; i++) {
    const start = spans.startTimeUnixNano[i]!;
    const end = start + BigInt.asIntN(64, spans.endTimeUnixNano[i]! - start);
    if (entry === undefined || !sameId(spans.traceIds, i)) {
      const key = traceIds.toString('latin1', 16 * i, 16 * i + 16);
      entry = byTrace.get(key);
      if (entry === undefined) {
        entry = { traceId: traceIdAt(traceView, i), lastSeq: spans.seqs[i]!, firstStart: start, lastEnd: end, spans: 0, errors: 0, seen: new Map() };
        byTrace.set(key, entry);
      }
    }
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
