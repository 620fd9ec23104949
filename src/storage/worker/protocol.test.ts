import { describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import type { Storage } from '../api/storage.js';
import { serviceCall, traceIdHex } from '../conformance/fixtures.js';
import { CALLS_PER_STEP, packTraceCalls, type CallBatch } from '../duckdb/call-batch.js';
import { openMemoryStorage } from '../memory/memory-storage.js';
import { decodeCall, encodeTraceCalls } from './protocol.js';

describe('replaceTraceCalls across the worker protocol', () => {
  const entries = [{ traceId: traceIdHex(1), calls: [], derivedSeq: 1n, firstDerivation: true }];

  it('is packed on the calling side, its buffers transferred', async () => {
    const { args, transfer } = await encodeTraceCalls(entries);
    const batch = args[0] as CallBatch;
    expect(batch.traces.ids).toEqual([BigInt(`0x${traceIdHex(1)}`)]);
    expect(transfer.length).toBeGreaterThan(0);
  });

  it('rejects a malformed entry on the calling side, before anything is posted', async () => {
    await expect(encodeTraceCalls([{ ...entries[0]!, traceId: 'nope' }])).rejects.toThrow(StorageError);
  });

  it('is packed in steps: the event loop runs between them, and the batch is the one packed at once', async () => {
    const traceId = traceIdHex(2);
    const calls = Array.from({ length: 3 * CALLS_PER_STEP + 5 }, (_, i) => serviceCall({ traceId, callId: (i + 1).toString(16).padStart(16, '0') }));
    const many = [{ traceId, calls, derivedSeq: 7n, firstDerivation: true }];
    let done = false;
    const encoding = encodeTraceCalls(many).finally(() => (done = true));
    const doneAtNextTurn = await new Promise<boolean>((resolve) => setImmediate(() => resolve(done)));
    const { args } = await encoding;
    expect(doneAtNextTurn).toBe(false);
    expect(args[0]).toEqual(packTraceCalls(many));
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
