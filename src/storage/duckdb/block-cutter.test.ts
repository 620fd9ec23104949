import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SpanBatch } from '../../model/span-batch.js';
import { resourceOf, spanBatch, spanIdHex, str, traceIdHex, type SpanSpec } from '../conformance/fixtures.js';
import { cutIntoBlocks, MAX_BLOCK_SPANS } from './block-cutter.js';
import type { BlockSpans } from './span-blocks.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** Columns shared by `SpanBatch` and `BlockSpans`. */
type Columns = Pick<SpanBatch, 'traceIds' | 'spanIds' | 'parentSpanIds' | 'kinds' | 'statusCodes' | 'startTimeUnixNano' | 'endTimeUnixNano' | 'names' | 'statusMessages' | 'payloads'>;

/** Span `i` of `c`, with the seq and resource and scope ids it is stored with. */
function row(c: Columns, i: number, seq: bigint, resourceId: bigint, scopeId: bigint) {
  return {
    seq,
    resourceId,
    scopeId,
    traceId: hex(c.traceIds.subarray(16 * i, 16 * i + 16)),
    spanId: hex(c.spanIds.subarray(8 * i, 8 * i + 8)),
    parentSpanId: hex(c.parentSpanIds.subarray(8 * i, 8 * i + 8)),
    kind: c.kinds[i],
    statusCode: c.statusCodes[i],
    start: c.startTimeUnixNano[i],
    end: c.endTimeUnixNano[i],
    name: c.names[i],
    statusMessage: c.statusMessages[i],
    payload: hex(c.payloads[i]!),
  };
}

const batchRows = (batch: SpanBatch, seq: bigint) =>
  Array.from({ length: batch.length }, (_, i) => row(batch, i, seq, batch.resources[batch.resourceIndex[i]!]!.id, batch.scopes[batch.scopeIndex[i]!]!.id));

/** A block's spans; also checks that its resource and scope indexes stay within its id lists, which hold no id twice. */
function blockRows(block: BlockSpans) {
  expect(new Set(block.resourceIds).size).toBe(block.resourceIds.length);
  expect(new Set(block.scopeIds).size).toBe(block.scopeIds.length);
  return Array.from({ length: block.length }, (_, i) => {
    expect(block.resourceIndex[i]!).toBeLessThan(block.resourceIds.length);
    expect(block.scopeIndex[i]!).toBeLessThan(block.scopeIds.length);
    return row(block, i, block.seqs[i]!, block.resourceIds[block.resourceIndex[i]!]!, block.scopeIds[block.scopeIndex[i]!]!);
  });
}

let nextSpan = 1;

/**
 * `size` spans, each with its own ids and payload. Batch `b` has resources and scopes of its own
 * and one resource shared by every batch, listed in a different position in each batch, so a
 * span keeps its resource only if the cutter re-indexes resources per batch.
 */
function batchOf(size: number, b: number): SpanBatch {
  const specs: SpanSpec[] = Array.from({ length: size }, (_, i) => {
    const n = nextSpan++;
    return {
      traceId: traceIdHex(1 + Math.floor(n / 7), b),
      spanId: spanIdHex(n),
      parentSpanId: n % 7 === 0 ? '' : spanIdHex(n - 1),
      name: `op-${n % 13}-é`,
      kind: n % 6,
      statusCode: n % 3,
      statusMessage: n % 3 === 2 ? `failed ${n}` : '',
      startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(n) * 1000n,
      endTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(n) * 1000n + BigInt(n % 17),
      payload: new TextEncoder().encode(`payload ${n}`),
      resource: { attributes: [str('service.name', (i + b) % 3 === 0 ? 'shared' : `svc-${b}-${i % 2}`)] },
      scope: { name: (i + b) % 2 === 0 ? 'shared-scope' : `scope-${b}` },
    };
  });
  return spanBatch(specs);
}

describe('cutIntoBlocks', () => {
  it('joins and splits batches into full blocks, in append order, each span with its own seq, resource and scope', () => {
    const sizes = [1500, 1500, 2100, 1, 0];
    const batches = sizes.map((size, b) => batchOf(size, b));
    const seqs = [11n, 12n, 13n, 14n, 15n];
    const blocks = cutIntoBlocks(batches, seqs, 2048);
    expect(blocks.map((block) => block.length)).toEqual([2048, 2048, 1005]);
    expect(blocks.flatMap(blockRows)).toEqual(batches.flatMap((batch, b) => batchRows(batch, seqs[b]!)));
    // The shared resource is one id in a block however many batches it came from.
    const shared = resourceOf({ attributes: [str('service.name', 'shared')] }).id;
    for (const block of blocks) expect(block.resourceIds.filter((id) => id === shared)).toHaveLength(1);
  });

  it('splits one large batch into blocks of maxSpans and a remainder', () => {
    const batch = batchOf(5000, 1);
    const blocks = cutIntoBlocks([batch], [3n], MAX_BLOCK_SPANS);
    expect(blocks.map((block) => block.length)).toEqual([2048, 2048, 904]);
    expect(blocks.flatMap(blockRows)).toEqual(batchRows(batch, 3n));
  });

  it('makes no block of empty batches', () => {
    expect(cutIntoBlocks([], [])).toEqual([]);
    const empty = batchOf(0, 1);
    expect(cutIntoBlocks([empty, empty], [1n, 2n])).toEqual([]);
    const one = batchOf(1, 2);
    const blocks = cutIntoBlocks([empty, one, empty], [1n, 2n, 3n]);
    expect(blocks.map(blockRows)).toEqual([batchRows(one, 2n)]);
  });

  it('passes a single whole batch through with its columns', () => {
    for (const size of [1, 700, MAX_BLOCK_SPANS]) {
      const batch = batchOf(size, 4);
      const blocks = cutIntoBlocks([batch], [99n]);
      expect(blocks).toHaveLength(1);
      const block = blocks[0]!;
      expect(block.length).toBe(batch.length);
      expect(block.seqs.every((seq) => seq === 99n)).toBe(true);
      expect(block.resourceIds).toEqual(batch.resources.map((r) => r.id));
      expect(block.scopeIds).toEqual(batch.scopes.map((s) => s.id));
      expect(blockRows(block)).toEqual(batchRows(batch, 99n));
    }
  });

  it('keeps every span, in order, for any batch sizes and block size', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 30 }), { maxLength: 8 }), fc.integer({ min: 1, max: 12 }), (sizes, maxSpans) => {
        const batches = sizes.map((size, b) => batchOf(size, b));
        const seqs = sizes.map((_, b) => BigInt(1000 + 3 * b));
        const blocks = cutIntoBlocks(batches, seqs, maxSpans);
        const total = sizes.reduce((sum, size) => sum + size, 0);
        // Full blocks except the last.
        expect(blocks.map((block) => block.length)).toEqual(
          Array.from({ length: Math.ceil(total / maxSpans) }, (_, k) => Math.min(maxSpans, total - k * maxSpans)),
        );
        expect(blocks.flatMap(blockRows)).toEqual(batches.flatMap((batch, b) => batchRows(batch, seqs[b]!)));
      }),
      { seed: 2108, numRuns: 200 },
    );
  });
});
