/** Conformance cases for `getTraces` (batched reads) and for `ReadOptions` on reads. */
import { describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import type { StoredTrace } from '../api/storage.js';
import { spanBatch, spanIdHex, traceIdHex } from './fixtures.js';
import type { SpanSpec } from './fixtures.js';
import { expectedSpan, expectedTrace, plain, plainBytes, pseudoRandomBytes } from './harness.js';
import type { StoreHandle } from './harness.js';

/** A trace as comparable data: spans with hex payloads, resources and scopes sorted by id. */
function comparable(trace: StoredTrace | undefined): unknown {
  if (trace === undefined) return undefined;
  const resources = [...trace.resources].sort(([a], [b]) => a.localeCompare(b)).map(([id, r]) => ({ id, rid: r.id, bytes: plainBytes(r.bytes), attributes: r.attributes }));
  const scopes = [...trace.scopes].sort(([a], [b]) => a.localeCompare(b)).map(([id, bytes]) => ({ id, bytes: plainBytes(bytes) }));
  return { spans: plain(trace.spans), resources, scopes };
}

export function batchReadCases(store: StoreHandle): void {
  describe('getTraces', () => {
    const a = traceIdHex(1);
    const b = traceIdHex(2);
    const c = traceIdHex(3);
    const unknown = traceIdHex(99);
    const specs: SpanSpec[] = [
      { traceId: a, spanId: spanIdHex(1), name: 'GET /cart', resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cart' } }] } },
      { traceId: a, spanId: spanIdHex(2), parentSpanId: spanIdHex(1), name: 'SELECT', kind: 3, payload: pseudoRandomBytes(200, 1) },
      { traceId: b, spanId: spanIdHex(3), startTimeUnixNano: 10n, endTimeUnixNano: 20n, scope: { name: 'other-scope' }, resource: { attributes: [{ key: 'service.name', value: { stringValue: 'pay' } }] } },
      { traceId: b, spanId: spanIdHex(3), startTimeUnixNano: 10n, endTimeUnixNano: 20n, scope: { name: 'other-scope' }, resource: { attributes: [{ key: 'service.name', value: { stringValue: 'pay' } }] } },
      { traceId: c, spanId: spanIdHex(4), startTimeUnixNano: 5n, endTimeUnixNano: 6n },
    ];

    it('returns per trace exactly what getTrace returns, one entry per distinct id, empty for an unknown trace', async () => {
      const first = await store.storage.appendSpans(spanBatch(specs.slice(0, 3)));
      // A later append of the same span (an exact duplicate) and of another trace.
      const second = await store.storage.appendSpans(spanBatch(specs.slice(3)));

      const ids = [a, b, unknown, c, a];
      const traces = await store.storage.getTraces(ids);
      expect([...traces.keys()].sort()).toEqual([a, b, c, unknown].sort());
      for (const id of [a, b, c, unknown]) expect(comparable(traces.get(id))).toEqual(comparable(await store.storage.getTrace(id)));

      // Independently of getTrace: the model of the stored spans.
      const stored = [...specs.slice(0, 3).map((s, i) => expectedSpan(s, first.seq, i)), ...specs.slice(3).map((s, i) => expectedSpan(s, second.seq, i))];
      expect(plain(traces.get(b)!.spans)).toEqual(plain(expectedTrace(stored, b)));
      expect(traces.get(b)!.spans).toHaveLength(1);
      expect(traces.get(unknown)!.spans).toEqual([]);
      expect(traces.get(unknown)!.resources.size).toBe(0);
      expect(traces.get(unknown)!.scopes.size).toBe(0);
      // Each entry holds only what its own spans reference.
      for (const trace of traces.values()) {
        expect(new Set(trace.spans.map((s) => s.resourceId))).toEqual(new Set(trace.resources.keys()));
        expect(new Set(trace.spans.map((s) => s.scopeId))).toEqual(new Set(trace.scopes.keys()));
      }
    });

    it('resolves an empty list with an empty map', async () => {
      await store.storage.appendSpans(spanBatch(specs));
      expect((await store.storage.getTraces([])).size).toBe(0);
    });

    it('reads many traces in one call', async () => {
      const many: SpanSpec[] = [];
      for (let t = 0; t < 600; t++) for (let s = 0; s < 3; s++) many.push({ traceId: traceIdHex(t + 1, 7), spanId: spanIdHex(t * 3 + s + 1), name: `op-${s}` });
      await store.storage.appendSpans(spanBatch(many));
      const ids = Array.from({ length: 600 }, (_, t) => traceIdHex(t + 1, 7));
      const traces = await store.storage.getTraces(ids);
      expect(traces.size).toBe(600);
      for (const id of ids) expect(traces.get(id)!.spans.map((s) => s.name)).toEqual(['op-0', 'op-1', 'op-2']);
    });

    it('reads a few traces among thousands of spans as getTrace does', async () => {
      // Backends may read a small batch differently from a large one (DuckDB: index lookups vs a scan).
      const many: SpanSpec[] = [];
      for (let t = 0; t < 1_200; t++) for (let s = 0; s < 5; s++) many.push({ traceId: traceIdHex(t + 1, 9), spanId: spanIdHex(t * 5 + s + 1), parentSpanId: s === 0 ? '' : spanIdHex(t * 5 + 1) });
      await store.storage.appendSpans(spanBatch(many));
      const wanted = traceIdHex(17, 9);
      const traces = await store.storage.getTraces([wanted, wanted]);
      expect([...traces.keys()]).toEqual([wanted]);
      expect(traces.get(wanted)!.spans).toHaveLength(5);
      expect(comparable(traces.get(wanted))).toEqual(comparable(await store.storage.getTrace(wanted)));
    });

    it('hands out entries that share no mutable data', async () => {
      await store.storage.appendSpans(spanBatch(specs));
      const traces = await store.storage.getTraces([a, c]);
      // Trace a's second span and trace c share the default resource and scope.
      const shared = traces.get(c)!.spans[0]!.resourceId;
      expect(traces.get(a)!.resources.has(shared)).toBe(true);
      const before = comparable(traces.get(c));
      traces.get(a)!.spans[0]!.payload.fill(0);
      traces.get(a)!.resources.get(shared)!.bytes.fill(0);
      for (const bytes of traces.get(a)!.scopes.values()) bytes.fill(0);
      expect(comparable(traces.get(c))).toEqual(before);
      expect(comparable(await store.storage.getTrace(a))).not.toEqual(comparable(traces.get(a)));
    });

    it('rejects a malformed id with a StorageError', async () => {
      await expect(store.storage.getTraces([a, 'not-a-trace-id'])).rejects.toBeInstanceOf(StorageError);
    });
  });

  describe('reads with ReadOptions', () => {
    it('answer as without options while the signal is not aborted', async () => {
      await store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]));
      const { signal } = new AbortController();
      expect(comparable(await store.storage.getTrace(traceIdHex(1), { signal }))).toEqual(comparable(await store.storage.getTrace(traceIdHex(1))));
      expect([...(await store.storage.getTraces([traceIdHex(1)], { signal })).keys()]).toEqual([traceIdHex(1)]);
      const range = { fromUnixNano: 0n, toUnixNano: 2n ** 62n };
      expect(await store.storage.serviceSummaries(range, undefined, { signal })).toEqual(await store.storage.serviceSummaries(range));
      expect(await store.storage.listResources({ signal })).toEqual(await store.storage.listResources());
    });

    it('either stop or complete a read whose signal is already aborted, never hang or answer wrongly', async () => {
      await store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]));
      const controller = new AbortController();
      controller.abort(new Error('gave up'));
      const outcome = await store.storage.getTrace(traceIdHex(1), { signal: controller.signal }).then(
        (trace) => ({ ok: true as const, spans: trace.spans.length }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (outcome.ok) expect(outcome.spans).toBe(1);
      else expect(outcome.error).toBeInstanceOf(StorageError);
      // The store still answers afterwards.
      expect((await store.storage.getTrace(traceIdHex(1))).spans).toHaveLength(1);
    });
  });
}
