/** Conformance cases for `appendSpans` and `getTrace`. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StorageError } from '../api/storage.js';
import type { StoredSpan } from '../api/storage.js';
import type { KeyValue } from '../../model/otlp.js';
import { attr, idHex, resourceOf, scopeOf, spanBatch, spanIdHex, str, traceIdHex } from './fixtures.js';
import type { SpanSpec } from './fixtures.js';
import { HOSTILE_STRINGS, expectedSpan, expectedTrace, plain, plainBytes, pseudoRandomBytes } from './harness.js';
import type { StoreHandle } from './harness.js';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** Every AnyValue variant, nested ones included. */
const ALL_VALUE_KINDS: readonly KeyValue[] = [
  str('service.name', 'checkout'),
  attr('flag', { boolValue: true }),
  attr('big', { intValue: INT64_MIN }),
  attr('max', { intValue: INT64_MAX }),
  attr('ratio', { doubleValue: 0.1 }),
  attr('neg-zero', { doubleValue: -0 }),
  attr('nan', { doubleValue: Number.NaN }),
  attr('inf', { doubleValue: Number.NEGATIVE_INFINITY }),
  attr('raw', { bytesValue: new Uint8Array([0, 255, 1, 128]) }),
  attr('nothing', { empty: true }),
  attr('list', { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1n }, { arrayValue: { values: [] } }] } }),
  attr('map', { kvlistValue: { values: [str('inner', 'v'), attr('n', { doubleValue: 2.5 })] } }),
];

export function spanCases(store: StoreHandle): void {
  describe('appendSpans and getTrace', () => {
    it('reads back every column and the payload byte-exact', async () => {
      const a = traceIdHex(1);
      const b = traceIdHex(2);
      const specs: SpanSpec[] = [
        { traceId: a, spanId: spanIdHex(1), name: 'GET /cart', kind: 2, statusCode: 2, statusMessage: 'boom', payload: pseudoRandomBytes(300, 7) },
        { traceId: a, spanId: 'ffffffffffffffff', parentSpanId: spanIdHex(1), name: 'SELECT', kind: 3, statusCode: 1, payload: new Uint8Array(0), startTimeUnixNano: 1_700_000_000_000_000_001n, endTimeUnixNano: 1_700_000_000_000_000_002n },
        { traceId: a, spanId: spanIdHex(3), parentSpanId: 'fedcba9876543210', kind: 5, payload: pseudoRandomBytes(1 << 20, 3), startTimeUnixNano: 1_700_000_000_000_000_001n },
        { traceId: b, spanId: spanIdHex(4), kind: 0, startTimeUnixNano: 0n, endTimeUnixNano: INT64_MAX },
        { traceId: b, spanId: spanIdHex(5), kind: 4, startTimeUnixNano: INT64_MIN, endTimeUnixNano: INT64_MAX },
        { traceId: b, spanId: spanIdHex(6), kind: 1, startTimeUnixNano: INT64_MAX, endTimeUnixNano: INT64_MIN },
      ];
      const { seq } = await store.storage.appendSpans(spanBatch(specs));
      const stored = specs.map((s, i) => expectedSpan(s, seq, i));

      const traceA = await store.storage.getTrace(a);
      expect(plain(traceA.spans)).toEqual(plain(expectedTrace(stored, a)));
      const traceB = await store.storage.getTrace(b);
      expect(plain(traceB.spans)).toEqual(plain(expectedTrace(stored, b)));
      expect(traceB.spans.map((s) => s.spanId)).toEqual([spanIdHex(5), spanIdHex(4), spanIdHex(6)]);
    });

    it('returns each resource and scope the trace references, by hex id, with bytes and attributes', async () => {
      const t = traceIdHex(1);
      const other = traceIdHex(2);
      const r1 = { attributes: ALL_VALUE_KINDS };
      const r2 = { attributes: [str('service.name', 'payments'), str('k8s.namespace.name', 'prod')] };
      const r3 = { attributes: [str('service.name', 'elsewhere')] };
      const s1 = { name: 'scope-one', version: '1.0' };
      const s2 = { name: 'scope-two', bytes: pseudoRandomBytes(40, 9) };
      await store.storage.appendSpans(spanBatch([
        { traceId: t, spanId: spanIdHex(1), resource: r1, scope: s1 },
        { traceId: t, spanId: spanIdHex(2), resource: r2, scope: s2 },
        { traceId: other, spanId: spanIdHex(3), resource: r3, scope: s1 },
      ]));
      // The same resource and scope again in a later batch are stored once and still returned.
      await store.storage.appendSpans(spanBatch([{ traceId: t, spanId: spanIdHex(4), resource: r1, scope: s1 }]));

      const trace = await store.storage.getTrace(t);
      const want1 = resourceOf(r1);
      const want2 = resourceOf(r2);
      expect([...trace.resources.keys()].sort()).toEqual([idHex(want1.id), idHex(want2.id)].sort());
      for (const want of [want1, want2]) {
        const got = trace.resources.get(idHex(want.id));
        expect(got?.id).toBe(want.id);
        expect(plainBytes(got!.bytes)).toEqual(want.bytes);
        expect(got?.attributes).toEqual(want.attributes);
      }
      const scope1 = scopeOf(s1);
      const scope2 = scopeOf(s2);
      expect([...trace.scopes.keys()].sort()).toEqual([idHex(scope1.id), idHex(scope2.id)].sort());
      expect(plainBytes(trace.scopes.get(idHex(scope1.id))!)).toEqual(scope1.bytes);
      expect(plainBytes(trace.scopes.get(idHex(scope2.id))!)).toEqual(scope2.bytes);
      for (const span of trace.spans) {
        expect(trace.resources.has(span.resourceId)).toBe(true);
        expect(trace.scopes.has(span.scopeId)).toBe(true);
      }
      expect(trace.spans).toHaveLength(3);
    });

    it('keeps attribute values exact: NaN, -0, infinities, int64 extremes, bytes, empty values', async () => {
      const t = traceIdHex(1);
      await store.storage.appendSpans(spanBatch([{ traceId: t, spanId: spanIdHex(1), resource: { attributes: ALL_VALUE_KINDS } }]));
      const [resource] = (await store.storage.getTrace(t)).resources.values();
      const byKey = new Map(resource!.attributes.map((kv) => [kv.key, kv.value]));
      expect(Object.is((byKey.get('neg-zero') as { doubleValue: number }).doubleValue, -0)).toBe(true);
      expect(Number.isNaN((byKey.get('nan') as { doubleValue: number }).doubleValue)).toBe(true);
      expect(byKey.get('big')).toEqual({ intValue: INT64_MIN });
      expect(byKey.get('nothing')).toEqual({ empty: true });
      const raw = (byKey.get('raw') as { bytesValue: Uint8Array }).bytesValue;
      expect(plainBytes(raw)).toEqual(new Uint8Array([0, 255, 1, 128]));
    });

    it('resolves an unknown trace with no spans, resources or scopes', async () => {
      await store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]));
      const trace = await store.storage.getTrace(traceIdHex(99));
      expect(trace.spans).toEqual([]);
      expect(trace.resources.size).toBe(0);
      expect(trace.scopes.size).toBe(0);
    });

    it('rejects a malformed trace id with a StorageError', async () => {
      await expect(store.storage.getTrace('not-a-trace-id')).rejects.toBeInstanceOf(StorageError);
      await expect(store.storage.getTrace('abc')).rejects.toBeInstanceOf(StorageError);
    });

    it('collapses exact duplicates (same span id and payload) but keeps spans that differ in payload', async () => {
      const t = traceIdHex(1);
      const at = 1_700_000_000_000_000_000n;
      const batch = spanBatch([
        { traceId: t, spanId: spanIdHex(1), startTimeUnixNano: at },
        { traceId: t, spanId: spanIdHex(2), startTimeUnixNano: at + 1n },
        { traceId: t, spanId: spanIdHex(2), startTimeUnixNano: at + 1n }, // duplicate inside one batch
      ]);
      const first = await store.storage.appendSpans(batch);
      const second = await store.storage.appendSpans(batch); // the same batch retried
      await store.storage.appendSpans(spanBatch([{ traceId: t, spanId: spanIdHex(1), startTimeUnixNano: at, payload: new Uint8Array([1, 2, 3]) }]));

      const spans = (await store.storage.getTrace(t)).spans;
      expect(spans.map((s) => s.spanId)).toEqual([spanIdHex(1), spanIdHex(1), spanIdHex(2)]);
      expect(spans.map((s) => s.payload.byteLength).sort()).toContain(3);
      for (const s of spans.filter((x) => x.payload.byteLength !== 3)) expect([first.seq, second.seq]).toContain(s.seq);
    });

    it('orders spans by start time, then span id (as unsigned hex)', async () => {
      const t = traceIdHex(1);
      const at = (n: bigint): bigint => 1_700_000_000_000_000_000n + n;
      const specs: SpanSpec[] = [
        { traceId: t, spanId: 'ff00000000000001', startTimeUnixNano: at(2n) },
        { traceId: t, spanId: '0f00000000000001', startTimeUnixNano: at(2n) },
        { traceId: t, spanId: '8000000000000000', startTimeUnixNano: at(1n) },
        { traceId: t, spanId: '7fffffffffffffff', startTimeUnixNano: at(1n) },
        { traceId: t, spanId: '0000000000000001', startTimeUnixNano: at(3n) },
      ];
      await store.storage.appendSpans(spanBatch(specs.slice(0, 2)));
      await store.storage.appendSpans(spanBatch(specs.slice(2)));
      const spans = (await store.storage.getTrace(t)).spans;
      expect(spans.map((s) => s.spanId)).toEqual([
        '7fffffffffffffff', '8000000000000000', '0f00000000000001', 'ff00000000000001', '0000000000000001',
      ]);
    });

    it('gives every append a strictly increasing seq, and each span the seq of its append', async () => {
      const seqs: bigint[] = [];
      for (let i = 1; i <= 10; i++) {
        const { seq } = await store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(i), spanId: spanIdHex(i) }]));
        seqs.push(seq);
      }
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]! > seqs[i - 1]!).toBe(true);
      for (let i = 1; i <= 10; i++) {
        const [span] = (await store.storage.getTrace(traceIdHex(i))).spans;
        expect(span?.seq).toBe(seqs[i - 1]);
      }
    });

    it('accepts an empty batch and still gives it a seq', async () => {
      const empty = await store.storage.appendSpans(spanBatch([]));
      const next = await store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]));
      expect(next.seq > empty.seq).toBe(true);
    });

    it('makes every one of many concurrent appends durable and visible, each with its own seq', async () => {
      const appends = Array.from({ length: 24 }, (_, i) =>
        spanBatch(Array.from({ length: 40 }, (_, j) => ({ traceId: traceIdHex(i + 1), spanId: spanIdHex(j + 1), name: `op-${i}` }))),
      );
      const results = await Promise.all(appends.map((batch) => store.storage.appendSpans(batch)));
      expect(new Set(results.map((r) => r.seq)).size).toBe(results.length);
      for (let i = 0; i < appends.length; i++) {
        const spans = (await store.storage.getTrace(traceIdHex(i + 1))).spans;
        expect(spans).toHaveLength(40);
        expect(spans.every((s) => s.seq === results[i]!.seq && s.name === `op-${i}`)).toBe(true);
      }
    });

    it('stores big batches and big concurrent groups whole (thousands of spans, traces across batch boundaries)', async () => {
      const big = Array.from({ length: 5000 }, (_, j) => ({ traceId: traceIdHex((j % 7) + 1), spanId: spanIdHex(j + 1) }));
      const small = Array.from({ length: 9 }, (_, i) =>
        spanBatch(Array.from({ length: 700 }, (_, j) => ({ traceId: traceIdHex(100 + ((i * 700 + j) % 13)), spanId: spanIdHex(i * 700 + j + 1) }))),
      );
      await Promise.all([store.storage.appendSpans(spanBatch(big)), ...small.map((b) => store.storage.appendSpans(b))]);
      let total = 0;
      for (let t = 1; t <= 7; t++) total += (await store.storage.getTrace(traceIdHex(t))).spans.length;
      expect(total).toBe(5000);
      total = 0;
      for (let t = 100; t < 113; t++) total += (await store.storage.getTrace(traceIdHex(t))).spans.length;
      expect(total).toBe(9 * 700);
    });

    it('rejects a malformed batch with a StorageError, stores none of it, and still stores concurrent good ones', async () => {
      const good1 = spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]);
      const bad = { ...spanBatch([{ traceId: traceIdHex(2), spanId: spanIdHex(2) }, { traceId: traceIdHex(2), spanId: spanIdHex(3) }]), resourceIndex: new Uint32Array([0, 7]) };
      const good2 = spanBatch([{ traceId: traceIdHex(3), spanId: spanIdHex(4) }]);
      const [r1, r2, r3] = await Promise.allSettled([good1, bad, good2].map((b) => store.storage.appendSpans(b)));
      expect(r1?.status).toBe('fulfilled');
      expect(r3?.status).toBe('fulfilled');
      expect(r2?.status).toBe('rejected');
      expect((r2 as PromiseRejectedResult).reason).toBeInstanceOf(StorageError);
      expect((await store.storage.getTrace(traceIdHex(2))).spans).toEqual([]);
      expect((await store.storage.getTrace(traceIdHex(1))).spans).toHaveLength(1);
      expect((await store.storage.getTrace(traceIdHex(3))).spans).toHaveLength(1);
    });

    it('copies what it keeps: the caller may reuse the batch buffers, and returned payloads are the caller\'s', async () => {
      const t = traceIdHex(1);
      const payload = pseudoRandomBytes(64, 5);
      const batch = spanBatch([{ traceId: t, spanId: spanIdHex(1), payload: payload.slice() }]);
      await store.storage.appendSpans(batch);
      batch.payloads[0]!.fill(0);
      batch.traceIds.fill(0xee);
      batch.resources[0]!.bytes.fill(0);

      const first = (await store.storage.getTrace(t)).spans[0]!;
      expect(plainBytes(first.payload)).toEqual(payload);
      first.payload.fill(1);
      const again = await store.storage.getTrace(t);
      expect(plainBytes(again.spans[0]!.payload)).toEqual(payload);
      expect([...again.resources.values()][0]!.bytes.some((b) => b !== 0)).toBe(true);
    });

    it('stores hostile strings verbatim in names, status messages and attributes', async () => {
      const t = traceIdHex(1);
      const specs: SpanSpec[] = HOSTILE_STRINGS.map((s, i) => ({
        traceId: t,
        spanId: spanIdHex(i + 1),
        name: s,
        statusMessage: s,
        resource: { attributes: [str('service.name', s), str(s || 'empty-key', s)] },
        scope: { name: s },
      }));
      const { seq } = await store.storage.appendSpans(spanBatch(specs));
      const trace = await store.storage.getTrace(t);
      expect(plain(trace.spans)).toEqual(plain(expectedTrace(specs.map((s, i) => expectedSpan(s, seq, i)), t)));
      for (const spec of specs) {
        const want = resourceOf(spec.resource!);
        expect(trace.resources.get(idHex(want.id))?.attributes).toEqual(want.attributes);
      }
      // Still a working store afterwards.
      await store.storage.appendSpans(spanBatch([{ traceId: traceIdHex(2), spanId: spanIdHex(1) }]));
      expect((await store.storage.getTrace(traceIdHex(2))).spans).toHaveLength(1);
    });

    it('matches the model on random appends (duplicates, shared ids, split batches)', async () => {
      let round = 0;
      const spanArb = fc.record({
        trace: fc.integer({ min: 1, max: 4 }),
        span: fc.integer({ min: 1, max: 6 }),
        start: fc.bigInt({ min: 0n, max: 5n }),
        name: fc.constantFrom('a', 'b', "c'd"),
        variant: fc.integer({ min: 0, max: 1 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(spanArb, { maxLength: 8 }), { minLength: 1, maxLength: 4 }), async (batches) => {
          round++;
          const stored: StoredSpan[] = [];
          for (const batch of batches) {
            const specs: SpanSpec[] = batch.map((x) => ({
              traceId: traceIdHex(x.trace, round),
              spanId: spanIdHex(x.span),
              name: x.name,
              startTimeUnixNano: x.start,
              // Equal payloads imply equal columns, as with real spans (the payload is the span).
              payload: new TextEncoder().encode(`${x.span}/${x.start}/${x.name}/${x.variant}`),
            }));
            const { seq } = await store.storage.appendSpans(spanBatch(specs));
            stored.push(...specs.map((s) => expectedSpan(s, seq)));
          }
          for (let trace = 1; trace <= 4; trace++) {
            const id = traceIdHex(trace, round);
            const got = (await store.storage.getTrace(id)).spans;
            const withoutSeq = (spans: readonly StoredSpan[]): unknown[] => plain(spans).map(({ seq: _seq, ...rest }) => rest);
            expect(withoutSeq(got)).toEqual(withoutSeq(expectedTrace(stored, id)));
          }
        }),
        { numRuns: 25 },
      );
    });
  });
}
