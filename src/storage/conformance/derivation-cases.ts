/** Conformance cases for `tracesNeedingDerivation` and the derived watermark. */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../api/storage.js';
import { serviceCall, spanBatch, spanIdHex, traceIdHex } from './fixtures.js';
import { NOT_PERSISTENT } from './harness.js';
import type { StoreHandle } from './harness.js';

async function appendOne(storage: Storage, traceId: string, spanNumber: number): Promise<bigint> {
  return (await storage.appendSpans(spanBatch([{ traceId, spanId: spanIdHex(spanNumber) }]))).seq;
}

async function derive(storage: Storage, traceId: string, derivedSeq: bigint, withCalls = true): Promise<void> {
  const calls = withCalls ? [serviceCall({ traceId, callId: spanIdHex(1) })] : [];
  await storage.replaceTraceCalls([{ traceId, calls, derivedSeq, firstDerivation: false }]);
}

export function derivationCases(store: StoreHandle): void {
  describe('tracesNeedingDerivation and the derived watermark', () => {
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((n) => traceIdHex(n)) as [string, string, string, string, string];

    /** A: never derived. B: derived after its append. C: appended again after its derivation.
     *  D: derived (with no calls) at its append. E: derived from an older append than its last. */
    async function scenario(storage: Storage): Promise<{ s1: bigint; s3: bigint }> {
      const s1 = await appendOne(storage, a, 1);
      const s2 = await appendOne(storage, b, 1);
      await derive(storage, b, s2);
      const s3 = await appendOne(storage, c, 1);
      await derive(storage, c, s3);
      await appendOne(storage, c, 2);
      const s5 = await appendOne(storage, d, 1);
      await derive(storage, d, s5, false);
      const s6 = await appendOne(storage, e, 1);
      await appendOne(storage, e, 2);
      await derive(storage, e, s6);
      return { s1, s3 };
    }

    it('finds traces never derived or appended to after their last derivation', async () => {
      await scenario(store.storage);
      expect((await store.storage.tracesNeedingDerivation(0n)).sort()).toEqual([a, c, e].sort());
    });

    it('only considers appends after `afterSeq`', async () => {
      const { s1, s3 } = await scenario(store.storage);
      expect((await store.storage.tracesNeedingDerivation(s1)).sort()).toEqual([c, e].sort());
      expect((await store.storage.tracesNeedingDerivation(s3)).sort()).toEqual([c, e].sort());
      const last = await appendOne(store.storage, b, 9);
      expect((await store.storage.tracesNeedingDerivation(last)).sort()).toEqual([]);
      expect((await store.storage.tracesNeedingDerivation(last - 1n)).sort()).toEqual([b]);
    });

    it('forgets a trace once it is derived up to its last append', async () => {
      await scenario(store.storage);
      const last = await appendOne(store.storage, a, 2);
      await store.storage.replaceTraceCalls([
        { traceId: a, calls: [], derivedSeq: last, firstDerivation: false },
        { traceId: c, calls: [], derivedSeq: last, firstDerivation: false },
        { traceId: e, calls: [], derivedSeq: last, firstDerivation: false },
      ]);
      expect(await store.storage.tracesNeedingDerivation(0n)).toEqual([]);
    });

    it('gives the same answer after a reopen', async ({ skip }) => {
      if (!store.canReopen) skip(NOT_PERSISTENT);
      await scenario(store.storage);
      const reopened = await store.reopen();
      expect((await reopened.tracesNeedingDerivation(0n)).sort()).toEqual([a, c, e].sort());
      expect(await reopened.derivedTraces([a, b, c, d, e])).toEqual(new Set([b, c, d, e]));
    });

    it('starts the watermark at 0n and returns what was set', async () => {
      expect(await store.storage.getDerivedWatermark()).toBe(0n);
      await store.storage.setDerivedWatermark(42n);
      expect(await store.storage.getDerivedWatermark()).toBe(42n);
      await store.storage.setDerivedWatermark(2n ** 63n + 5n);
      expect(await store.storage.getDerivedWatermark()).toBe(2n ** 63n + 5n);
      await store.storage.setDerivedWatermark(7n);
      expect(await store.storage.getDerivedWatermark()).toBe(7n);
    });

    it('keeps the watermark across a reopen', async ({ skip }) => {
      if (!store.canReopen) skip(NOT_PERSISTENT);
      await store.storage.setDerivedWatermark(1234n);
      const reopened = await store.reopen();
      expect(await reopened.getDerivedWatermark()).toBe(1234n);
    });
  });
}
