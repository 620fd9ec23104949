/** Conformance cases for retention (`deleteBefore`), `close`, reopening and capabilities. */
import { describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import type { Storage } from '../api/storage.js';
import { idHex, resourceOf, serviceCall, spanBatch, spanIdHex, str, traceIdHex } from './fixtures.js';
import { NOT_PERSISTENT, expectedSpan, plain, pseudoRandomBytes } from './harness.js';
import type { StoreHandle } from './harness.js';
import { richCalls } from './call-cases.js';

const T = 1_700_000_000_000_000_000n;

/** One call of each storage method, for "rejects after close". */
const EVERY_METHOD: ReadonlyArray<[string, (s: Storage) => Promise<unknown>]> = [
  ['appendSpans', (s) => s.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]))],
  ['deleteBefore', (s) => s.deleteBefore(T)],
  ['replaceTraceCalls', (s) => s.replaceTraceCalls([{ traceId: traceIdHex(1), calls: [], derivedSeq: 1n, firstDerivation: true }])],
  ['derivedTraces', (s) => s.derivedTraces([traceIdHex(1)])],
  ['tracesNeedingDerivation', (s) => s.tracesNeedingDerivation(0n)],
  ['getDerivedWatermark', (s) => s.getDerivedWatermark()],
  ['setDerivedWatermark', (s) => s.setDerivedWatermark(1n)],
  ['getTrace', (s) => s.getTrace(traceIdHex(1))],
  ['getTraceCalls', (s) => s.getTraceCalls(traceIdHex(1))],
  ['memoryUsage', (s) => s.memoryUsage()],
];

export function lifecycleCases(store: StoreHandle): void {
  describe('deleteBefore (retention)', () => {
    it('deletes spans and calls that started before the cutoff, and only those', async () => {
      const [a, b] = [traceIdHex(1), traceIdHex(2)];
      await store.storage.appendSpans(spanBatch([
        { traceId: a, spanId: spanIdHex(1), startTimeUnixNano: T - 2n },
        { traceId: a, spanId: spanIdHex(2), startTimeUnixNano: T - 1n },
        { traceId: a, spanId: spanIdHex(3), startTimeUnixNano: T },
        { traceId: b, spanId: spanIdHex(4), startTimeUnixNano: T + 1n },
      ]));
      const callAt = (traceId: string, n: number, at: bigint): ReturnType<typeof serviceCall> =>
        serviceCall({ traceId, callId: spanIdHex(n), startTimeUnixNano: at });
      await store.storage.replaceTraceCalls([
        { traceId: a, calls: [callAt(a, 1, T - 2n), callAt(a, 3, T)], derivedSeq: 1n, firstDerivation: true },
        { traceId: b, calls: [callAt(b, 4, T + 1n)], derivedSeq: 1n, firstDerivation: true },
      ]);

      expect(await store.storage.deleteBefore(T)).toBe(2);
      expect((await store.storage.getTrace(a)).spans.map((s) => s.spanId)).toEqual([spanIdHex(3)]);
      expect((await store.storage.getTrace(b)).spans.map((s) => s.spanId)).toEqual([spanIdHex(4)]);
      expect(await store.storage.getTraceCalls(a)).toEqual([callAt(a, 3, T)]);
      expect(await store.storage.getTraceCalls(b)).toEqual([callAt(b, 4, T + 1n)]);
      expect(await store.storage.deleteBefore(T)).toBe(0);
    });

    it('keeps seq strictly increasing after deleting the newest appends', async () => {
      await store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1), startTimeUnixNano: T }]));
      const old = await store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(2), spanId: spanIdHex(1), startTimeUnixNano: 5n }]));
      expect(await store.storage.deleteBefore(T)).toBe(1);
      const next = await store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(3), spanId: spanIdHex(1) }]));
      expect(next.seq > old.seq).toBe(true);
    });
  });

  describe('read after write', () => {
    it('sees every write that resolved before the read, even when the same read ran on the empty store', async () => {
      const t = traceIdHex(1);
      // Each read once on the empty store first: a backend that caches plans or results must not go stale.
      expect((await store.storage.getTrace(t)).spans).toEqual([]);
      expect(await store.storage.getTraceCalls(t)).toEqual([]);
      expect(await store.storage.derivedTraces([t])).toEqual(new Set());
      expect(await store.storage.tracesNeedingDerivation(0n)).toEqual([]);
      expect(await store.storage.getDerivedWatermark()).toBe(0n);

      const { seq } = await store.storage.appendSpans(spanBatch([{ traceId: t, spanId: spanIdHex(1) }]));
      expect((await store.storage.getTrace(t)).spans).toHaveLength(1);
      expect(await store.storage.tracesNeedingDerivation(0n)).toEqual([t]);
      await store.storage.replaceTraceCalls([{ traceId: t, calls: richCalls(t), derivedSeq: seq, firstDerivation: true }]);
      expect(await store.storage.getTraceCalls(t)).toHaveLength(richCalls(t).length);
      expect(await store.storage.derivedTraces([t])).toEqual(new Set([t]));
      expect(await store.storage.tracesNeedingDerivation(0n)).toEqual([]);
      await store.storage.setDerivedWatermark(seq);
      expect(await store.storage.getDerivedWatermark()).toBe(seq);
      expect(await store.storage.deleteBefore(T + 1_000_000_000n)).toBe(1);
      expect((await store.storage.getTrace(t)).spans).toEqual([]);
    });
  });

  describe('close and reopen', () => {
    it('declares its capabilities', () => {
      expect(store.storage.capabilities.backend).toMatch(/\S/);
      expect(store.storage.capabilities.persistent).toBe(store.canReopen);
    });

    it('reports the memory it holds in this process within its limit, or null when it holds none here', async () => {
      await store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]));
      const memory = await store.storage.memoryUsage();
      if (memory === null) return;
      expect(memory.usedBytes).toBeGreaterThan(0);
      expect(Number.isFinite(memory.limitBytes)).toBe(true);
      expect(memory.usedBytes).toBeLessThanOrEqual(memory.limitBytes);
    });

    it('closes idempotently; every later call rejects with a StorageError', async () => {
      await store.storage.close();
      await store.storage.close();
      for (const [name, call] of EVERY_METHOD) {
        await expect(call(store.storage), name).rejects.toBeInstanceOf(StorageError);
      }
    });

    it('settles appends queued before close, and what resolved is stored', async ({ skip }) => {
      const appends = Array.from({ length: 12 }, (_, i) =>
        store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(i + 1), spanId: spanIdHex(1) }])),
      );
      const closing = store.storage.close();
      const settled = await Promise.allSettled(appends);
      await closing;
      expect(settled.every((r) => r.status === 'fulfilled')).toBe(true);
      if (!store.canReopen) skip(NOT_PERSISTENT);
      const reopened = await store.reopen();
      for (let i = 0; i < appends.length; i++) expect((await reopened.getTrace(traceIdHex(i + 1))).spans).toHaveLength(1);
    });

    it('keeps spans, resources, calls and derivations across a reopen, and seq keeps increasing', async ({ skip }) => {
      if (!store.canReopen) skip(NOT_PERSISTENT);
      const t = traceIdHex(1);
      const spec = { traceId: t, spanId: spanIdHex(1), name: 'GET /', payload: pseudoRandomBytes(500, 11), resource: { attributes: [str('service.name', 'api')] } };
      const before = await store.storage.appendSpans(spanBatch([spec]));
      await store.storage.replaceTraceCalls([{ traceId: t, calls: richCalls(t), derivedSeq: before.seq, firstDerivation: true }]);

      const reopened = await store.reopen();
      const trace = await reopened.getTrace(t);
      expect(plain(trace.spans)).toEqual(plain([expectedSpan(spec, before.seq)]));
      expect(trace.resources.get(idHex(resourceOf(spec.resource).id))?.attributes).toEqual(spec.resource.attributes);
      expect((await reopened.getTraceCalls(t)).length).toBe(richCalls(t).length);
      expect(await reopened.derivedTraces([t])).toEqual(new Set([t]));
      const after = await reopened.appendSpans(spanBatch([{ traceId: t, spanId: spanIdHex(2) }]));
      expect(after.seq > before.seq).toBe(true);
    });

    it('keeps seq increasing across a reopen even when retention deleted the newest appends', async ({ skip }) => {
      if (!store.canReopen) skip(NOT_PERSISTENT);
      const old = await store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1), startTimeUnixNano: 5n }]));
      expect(await store.storage.deleteBefore(T)).toBe(1);
      const reopened = await store.reopen();
      const next = await reopened.appendSpans(spanBatch([{ traceId: traceIdHex(2), spanId: spanIdHex(1) }]));
      expect(next.seq > old.seq).toBe(true);
    });
  });
}
