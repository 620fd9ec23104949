/**
 * Cuts a group commit's batches into span blocks (`span-blocks.ts`) of at most `maxSpans` spans:
 * small batches are joined (an SDK's export of 20 spans compresses to ~100 B/span alone, to ~55
 * in a block of a thousand), and a large batch is split, so reading one trace back never
 * decompresses more than one block's worth of spans per block it touches.
 */
import type { SpanBatch } from '../../model/span-batch.js';
import { allocateBlockSpans, blockSpansOf, type BlockSpans } from './span-blocks.js';

/** Spans per block at most: ~50 KB compressed, ~1 ms to decompress and read (docs/benchmarks.md). */
export const MAX_BLOCK_SPANS = 2048;

interface Run {
  readonly batch: SpanBatch;
  readonly seq: bigint;
  readonly from: number;
  readonly to: number;
}

/** `batches[i]` stored with seq `seqs[i]`, as blocks in append order; empty batches make none. */
export function cutIntoBlocks(batches: readonly SpanBatch[], seqs: readonly bigint[], maxSpans = MAX_BLOCK_SPANS): BlockSpans[] {
  const blocks: BlockSpans[] = [];
  let runs: Run[] = [];
  let size = 0;
  const flush = () => {
    if (runs.length > 0) blocks.push(join(runs, size));
    runs = [];
    size = 0;
  };
  batches.forEach((batch, b) => {
    for (let from = 0; from < batch.length; ) {
      const to = Math.min(batch.length, from + maxSpans - size);
      runs.push({ batch, seq: seqs[b]!, from, to });
      size += to - from;
      from = to;
      if (size === maxSpans) flush();
    }
  });
  flush();
  return blocks;
}

function join(runs: readonly Run[], n: number): BlockSpans {
  const only = runs[0]!;
  if (runs.length === 1 && only.from === 0 && only.to === only.batch.length) return blockSpansOf(only.batch, only.seq);
  const resourceIds: bigint[] = [];
  const scopeIds: bigint[] = [];
  const resourceSlots = new Map<bigint, number>();
  const scopeSlots = new Map<bigint, number>();
  const out = allocateBlockSpans(n, resourceIds, scopeIds);

  let at = 0;
  for (const { batch, seq, from, to } of runs) {
    const resources = batch.resources.map((r) => slotOf(resourceSlots, resourceIds, r.id));
    const scopes = batch.scopes.map((s) => slotOf(scopeSlots, scopeIds, s.id));
    out.seqs.fill(seq, at, at + to - from);
    for (let i = from, k = at; i < to; i++, k++) {
      out.resourceIndex[k] = resources[batch.resourceIndex[i]!]!;
      out.scopeIndex[k] = scopes[batch.scopeIndex[i]!]!;
    }
    out.traceIds.set(batch.traceIds.subarray(16 * from, 16 * to), 16 * at);
    out.spanIds.set(batch.spanIds.subarray(8 * from, 8 * to), 8 * at);
    out.parentSpanIds.set(batch.parentSpanIds.subarray(8 * from, 8 * to), 8 * at);
    out.kinds.set(batch.kinds.subarray(from, to), at);
    out.statusCodes.set(batch.statusCodes.subarray(from, to), at);
    out.startTimeUnixNano.set(batch.startTimeUnixNano.subarray(from, to), at);
    out.endTimeUnixNano.set(batch.endTimeUnixNano.subarray(from, to), at);
    for (let i = from; i < to; i++) {
      out.names.push(batch.names[i]!);
      out.statusMessages.push(batch.statusMessages[i]!);
      out.payloads.push(batch.payloads[i]!);
    }
    at += to - from;
  }
  return out;
}

/** The index of `id` in `ids`, appending it when new (`slots` maps id → index). */
export function slotOf(slots: Map<bigint, number>, ids: bigint[], id: bigint): number {
  let index = slots.get(id);
  if (index === undefined) {
    index = ids.length;
    ids.push(id);
    slots.set(id, index);
  }
  return index;
}
