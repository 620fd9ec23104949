/** Conformance cases for `replaceTraceCalls`, `getTraceCalls` and `derivedTraces`. */
import { describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import type { TraceCalls } from '../api/storage.js';
import type { ServiceCall } from '../../model/call.js';
import { UNKNOWN_CALLER, pathEntry, serviceCall, spanBatch, spanIdHex, traceIdHex } from './fixtures.js';
import { HOSTILE_STRINGS } from './harness.js';
import type { StoreHandle } from './harness.js';

const INT64_MAX = 2n ** 63n - 1n;
const T0 = 1_700_000_000_000_000_000n;

function entry(traceId: string, calls: readonly ServiceCall[], derivedSeq = 1n, firstDerivation = false): TraceCalls {
  return { traceId, calls, derivedSeq, firstDerivation };
}

/** Calls that exercise every field: bigints at the edges, nulls, empty and non-empty lists, unicode, unknown callers. */
export function richCalls(traceId: string): ServiceCall[] {
  return [
    serviceCall({
      traceId, callId: spanIdHex(1), kind: 'application', service: 'shop-web', request: 'click on BUTTON#checkout',
      resourceId: '0123456789abcdef', instance: 'browser-1',
      k8s: { cluster: 'c1', node: 'n1', namespace: 'ns', pod: 'pod-1', workload: 'web' },
      startTimeUnixNano: T0, durationNanos: 0n,
    }),
    serviceCall({
      traceId, callId: spanIdHex(2), kind: 'service', service: 'checkout', request: 'POST /checkout — 結帳',
      resourceId: '7fffffffffffffff', instance: null,
      k8s: { cluster: null, node: 'n2', namespace: null, pod: null, workload: 'checkout' },
      startTimeUnixNano: T0 + 1n, durationNanos: INT64_MAX, failed: true,
      failureReason: 'TypeError: boom 💥', stackTraces: ['at a (x.js:1)\n  at b (y.js:2)', ''],
      path: [pathEntry('application', 'shop-web', 'click on BUTTON#checkout', spanIdHex(1))],
      referringPage: 'https://shop.example/?q=\'"<>&', proxies: ['envoy', '10.0.0.1, 10.0.0.2'],
    }),
    serviceCall({
      traceId, callId: spanIdHex(3), synthetic: true, kind: 'database', service: 'orders', request: 'SELECT orders',
      startTimeUnixNano: T0 + 2n, durationNanos: 12n, failed: true, failureReason: 'error',
      path: [
        pathEntry('application', 'shop-web', 'click on BUTTON#checkout', spanIdHex(1)),
        pathEntry('service', 'checkout', 'POST /checkout — 結帳', spanIdHex(2)),
      ],
    }),
    serviceCall({
      traceId, callId: 'ffffffffffffffff', kind: 'service', service: 'late', request: 'GET /late',
      startTimeUnixNano: T0 + 3n, path: [UNKNOWN_CALLER], proxies: [],
    }),
    serviceCall({ traceId, callId: spanIdHex(5), kind: 'messaging', service: 'kafka', request: 'publish', synthetic: true, startTimeUnixNano: T0 + 4n, path: [UNKNOWN_CALLER, pathEntry('service', 'late', 'GET /late', 'ffffffffffffffff')] }),
    serviceCall({ traceId, callId: spanIdHex(6), kind: 'external', service: 'api.stripe.com', request: 'POST', synthetic: true, startTimeUnixNano: -5n }),
  ];
}

/** The same calls in the order `getTraceCalls` must return them (start time, then call id). */
function ordered(calls: readonly ServiceCall[]): ServiceCall[] {
  return [...calls].sort((a, b) =>
    a.startTimeUnixNano !== b.startTimeUnixNano
      ? (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1)
      : a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0,
  );
}

export function callCases(store: StoreHandle): void {
  describe('replaceTraceCalls, getTraceCalls and derivedTraces', () => {
    it('round-trips every ServiceCall field exactly, ordered by start time then call id', async () => {
      const t = traceIdHex(1);
      const calls = richCalls(t);
      await store.storage.replaceTraceCalls([entry(t, calls)]);
      expect(await store.storage.getTraceCalls(t)).toEqual(ordered(calls));
    });

    it('keeps a synthetic call and a real call with the same call id apart', async () => {
      const t = traceIdHex(1);
      const real = serviceCall({ traceId: t, callId: spanIdHex(7), startTimeUnixNano: T0 });
      const synthetic = serviceCall({ traceId: t, callId: spanIdHex(7), synthetic: true, kind: 'external', service: 'x', startTimeUnixNano: T0 + 1n });
      await store.storage.replaceTraceCalls([entry(t, [synthetic, real])]);
      expect(await store.storage.getTraceCalls(t)).toEqual([real, synthetic]);
    });

    it('stores hostile strings verbatim in every text field', async () => {
      const t = traceIdHex(1);
      const calls = HOSTILE_STRINGS.map((s, i) =>
        serviceCall({
          traceId: t, callId: spanIdHex(i + 1), service: s, request: s, instance: s, failureReason: s, referringPage: s,
          stackTraces: [s, s], proxies: [s], startTimeUnixNano: T0 + BigInt(i),
          k8s: { cluster: s, node: s, namespace: s, pod: s, workload: s },
          path: [pathEntry('service', s, s, spanIdHex(100 + i))],
        }),
      );
      await store.storage.replaceTraceCalls([entry(t, calls)]);
      expect(await store.storage.getTraceCalls(t)).toEqual(calls);
    });

    it('writes more calls and distinct paths in one replace than one column chunk holds (2048 rows)', async () => {
      const traces = Array.from({ length: 3 }, (_, i) => traceIdHex(900 + i));
      const entries = traces.map((t, ti) => entry(t, Array.from({ length: 1500 }, (_, i) => serviceCall({
        traceId: t, callId: spanIdHex(i + 1), startTimeUnixNano: T0 + BigInt(i),
        path: [pathEntry('service', `caller-${ti}-${i}`, `GET /${i}`, spanIdHex(100_000 + i))],
      })), 1n, true));
      await store.storage.replaceTraceCalls(entries);
      for (const [ti, t] of traces.entries()) {
        const calls = await store.storage.getTraceCalls(t);
        expect(calls).toHaveLength(1500);
        expect(calls[1499]!.path[0]!.name).toBe(`caller-${ti}-1499`);
        // Every field, path call ids included, across the chunk boundaries.
        expect(calls).toEqual(entries[ti]!.calls);
      }
    });

    it('replaces a trace\'s calls instead of adding to them, and is idempotent', async () => {
      const t = traceIdHex(1);
      const [c1, c2, c3] = richCalls(t);
      await store.storage.replaceTraceCalls([entry(t, [c1!, c2!], 1n, true)]);
      await store.storage.replaceTraceCalls([entry(t, [c3!], 2n)]);
      expect(await store.storage.getTraceCalls(t)).toEqual([c3]);
      await store.storage.replaceTraceCalls([entry(t, [c1!, c3!], 3n)]);
      await store.storage.replaceTraceCalls([entry(t, [c1!, c3!], 3n)]);
      expect(await store.storage.getTraceCalls(t)).toEqual([c1, c3]);
      await store.storage.replaceTraceCalls([entry(t, [], 4n)]);
      expect(await store.storage.getTraceCalls(t)).toEqual([]);
    });

    it('replaces several traces in one call, each with only its own calls', async () => {
      const ids = [1, 2, 3].map((n) => traceIdHex(n));
      await store.storage.replaceTraceCalls(ids.map((id) => entry(id, richCalls(id).slice(0, 2), 1n, true)));
      await store.storage.replaceTraceCalls([entry(ids[1]!, richCalls(ids[1]!).slice(2, 3), 2n)]);
      expect(await store.storage.getTraceCalls(ids[0]!)).toEqual(richCalls(ids[0]!).slice(0, 2));
      expect(await store.storage.getTraceCalls(ids[1]!)).toEqual(richCalls(ids[1]!).slice(2, 3));
      expect(await store.storage.getTraceCalls(ids[2]!)).toEqual(richCalls(ids[2]!).slice(0, 2));
    });

    it('applies entries in order: a trace named twice ends with the last entry\'s calls', async () => {
      const t = traceIdHex(1);
      const calls = richCalls(t);
      await store.storage.replaceTraceCalls([entry(t, calls.slice(0, 1), 1n, true), entry(t, calls.slice(1, 3), 2n)]);
      expect(await store.storage.getTraceCalls(t)).toEqual(calls.slice(1, 3));
    });

    it('commits all entries or none: a bad entry leaves every trace as it was', async () => {
      const a = traceIdHex(1);
      const b = traceIdHex(2);
      const before = { a: richCalls(a).slice(0, 2), b: richCalls(b).slice(3, 4) };
      const spans = (n: number): Parameters<typeof spanBatch>[0] => [a, b].map((traceId) => ({ traceId, spanId: spanIdHex(n) }));
      const s1 = (await store.storage.appendSpans(spanBatch(spans(1)))).seq;
      await store.storage.replaceTraceCalls([entry(a, before.a, s1, true), entry(b, before.b, s1, true)]);
      const s2 = (await store.storage.appendSpans(spanBatch(spans(2)))).seq;

      const badCallId = serviceCall({ traceId: a, callId: 'not-a-span-id' });
      await expect(
        store.storage.replaceTraceCalls([entry(b, richCalls(b), s2), entry(a, [badCallId], s2)]),
      ).rejects.toBeInstanceOf(StorageError);
      const foreign = serviceCall({ traceId: b, callId: spanIdHex(9) });
      await expect(
        store.storage.replaceTraceCalls([entry(b, richCalls(b), s2), entry(a, [foreign], s2)]),
      ).rejects.toBeInstanceOf(StorageError);

      expect(await store.storage.getTraceCalls(a)).toEqual(before.a);
      expect(await store.storage.getTraceCalls(b)).toEqual(before.b);
      // Neither derivation at s2 was recorded, so both traces still need one.
      expect((await store.storage.tracesNeedingDerivation(0n)).sort()).toEqual([a, b].sort());
    });

    it('resolves an unknown trace with no calls, and rejects a malformed trace id', async () => {
      expect(await store.storage.getTraceCalls(traceIdHex(42))).toEqual([]);
      await expect(store.storage.getTraceCalls('zz')).rejects.toBeInstanceOf(StorageError);
    });

    it('names the traces with a recorded derivation, even one with no calls', async () => {
      const [a, b, c] = [1, 2, 3].map((n) => traceIdHex(n));
      expect(await store.storage.derivedTraces([])).toEqual(new Set());
      expect(await store.storage.derivedTraces([a!, b!])).toEqual(new Set());
      await store.storage.replaceTraceCalls([entry(a!, richCalls(a!), 1n, true), entry(b!, [], 1n, true)]);
      expect(await store.storage.derivedTraces([a!, b!, c!])).toEqual(new Set([a, b]));
      expect(await store.storage.derivedTraces([c!])).toEqual(new Set());
    });
  });
}
