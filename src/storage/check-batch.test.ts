import { describe, expect, it } from 'vitest';
import { StorageError } from './api/storage.js';
import { spanBatch, spanIdHex, traceIdHex } from './conformance/fixtures.js';
import { checkBatch } from './check-batch.js';

function batchOf(count: number, traceOffset: number) {
  return spanBatch(Array.from({ length: count }, (_, i) => ({ traceId: traceIdHex(traceOffset + i), spanId: spanIdHex(i + 1), statusMessage: i % 2 ? 'x' : '' })));
}

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
