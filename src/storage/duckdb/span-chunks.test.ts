import { describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import { spanBatch, spanIdHex, traceIdHex } from '../conformance/fixtures.js';
import { CHUNK_ROWS, SpanChunkBuilder, checkBatch } from './span-chunks.js';

function batchOf(count: number, traceOffset: number) {
  return spanBatch(Array.from({ length: count }, (_, i) => ({ traceId: traceIdHex(traceOffset + i), spanId: spanIdHex(i + 1), statusMessage: i % 2 ? 'x' : '' })));
}

describe('SpanChunkBuilder', () => {
  it('fills full chunks across batch boundaries, each row with its own batch\'s seq and values', () => {
    const builder = new SpanChunkBuilder();
    const sizes = [1500, 1500, 2100, 1];
    sizes.forEach((n, k) => builder.add(batchOf(n, 10_000 * (k + 1)), BigInt(k + 1)));
    const chunks = builder.finish();
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(chunks.map((c) => c.rowCount)).toEqual([CHUNK_ROWS, CHUNK_ROWS, total - 2 * CHUNK_ROWS]);

    const traceIds = chunks.flatMap((c) => c.getColumnValues(0) as bigint[]);
    const seqs = chunks.flatMap((c) => c.getColumnValues(3) as bigint[]);
    const messages = chunks.flatMap((c) => c.getColumnValues(11) as string[]);
    let row = 0;
    sizes.forEach((n, k) => {
      for (let i = 0; i < n; i++, row++) {
        expect(traceIds[row]!.toString(16).padStart(32, '0')).toBe(traceIdHex(10_000 * (k + 1) + i));
        expect(seqs[row]).toBe(BigInt(k + 1));
        expect(messages[row]).toBe(i % 2 ? 'x' : '');
      }
    });
    expect(builder.finish()).toEqual([]);
  });
});

describe('checkBatch', () => {
  it('rejects a batch whose columns are shorter than its length', () => {
    const batch = batchOf(3, 1);
    expect(() => checkBatch({ ...batch, names: batch.names.slice(0, 2) })).toThrow(StorageError);
    expect(() => checkBatch({ ...batch, traceIds: batch.traceIds.subarray(0, 32) })).toThrow(StorageError);
  });

  it('rejects out-of-range resource or scope indexes and ids that do not fit UBIGINT', () => {
    const batch = batchOf(2, 1);
    expect(() => checkBatch({ ...batch, scopeIndex: new Uint32Array([0, 1]) })).toThrow(StorageError);
    expect(() => checkBatch({ ...batch, resources: [{ ...batch.resources[0]!, id: -1n }] })).toThrow(StorageError);
    expect(() => checkBatch(batch)).not.toThrow();
  });
});
