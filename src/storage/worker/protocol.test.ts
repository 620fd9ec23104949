import { describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import type { Storage } from '../api/storage.js';
import { traceIdHex } from '../conformance/fixtures.js';
import { packTraceCalls, type CallBatch } from '../duckdb/call-batch.js';
import { openMemoryStorage } from '../memory/memory-storage.js';
import { decodeCall, encodeArguments } from './protocol.js';

describe('replaceTraceCalls across the worker protocol', () => {
  const entries = [{ traceId: traceIdHex(1), calls: [], derivedSeq: 1n, firstDerivation: true }];

  it('is packed on the calling side, its buffers transferred', () => {
    const { args, transfer } = encodeArguments('replaceTraceCalls', [entries]);
    const batch = args[0] as CallBatch;
    expect(batch.traces.ids).toEqual([BigInt(`0x${traceIdHex(1)}`)]);
    expect(transfer.length).toBeGreaterThan(0);
  });

  it('rejects a malformed entry on the calling side, before anything is posted', () => {
    expect(() => encodeArguments('replaceTraceCalls', [[{ ...entries[0]!, traceId: 'nope' }]])).toThrow(StorageError);
  });

  it('reaches a store that takes call batches as its replaceCallBatch, and is refused by one that does not', async () => {
    const batch = packTraceCalls(entries);
    const received: CallBatch[] = [];
    const batchStore = { replaceCallBatch: (b: CallBatch) => Promise.resolve(void received.push(b)) } as unknown as Storage;
    const { fn, args } = decodeCall(batchStore, 'replaceTraceCalls', [batch]);
    await fn(...args);
    expect(received).toEqual([batch]);
    expect(() => decodeCall(openMemoryStorage(), 'replaceTraceCalls', [batch])).toThrow(/cannot take packed call batches/);
  });
});
