import { once } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SpanSemantics } from '../../model/semantics.js';
import type { SpanBatch } from '../../model/span-batch.js';
import { traceRequest } from '../../otlp/arbitraries.test-support.js';
import { decodeTraceRequest } from '../../otlp/decode-request.js';
import { encodeTraceRequest } from '../../otlp/encode.js';
import type { OtlpTraceRequest } from '../../model/otlp.js';
import { spanBatch, spanIdHex, str, traceIdHex } from '../conformance/fixtures.js';
import { pseudoRandomBytes } from '../conformance/harness.js';
import { packSpanBatch, unpackSpanBatch } from './batch-transfer.js';
import type { PackedSpanBatch } from './batch-transfer.js';
import { SEMANTIC_FIELDS } from './semantics-transfer.js';

/** Decodes `req` as the OTLP receiver does: payloads are views into the request buffer. */
function decoded(req: OtlpTraceRequest): SpanBatch {
  const outcome = decodeTraceRequest(encodeTraceRequest(req));
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.batch;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** Everything a batch holds, with bytes as hex, so equality ignores byte containers and offsets. */
function plainBatch(b: SpanBatch): unknown {
  return {
    length: b.length,
    resources: b.resources.map((r) => ({ id: r.id, bytes: hex(r.bytes), attributes: r.attributes })),
    scopes: b.scopes.map((s) => ({ id: s.id, bytes: hex(s.bytes), name: s.name, version: s.version })),
    resourceIndex: [...b.resourceIndex],
    scopeIndex: [...b.scopeIndex],
    traceIds: hex(b.traceIds),
    spanIds: hex(b.spanIds),
    parentSpanIds: hex(b.parentSpanIds),
    names: b.names,
    kinds: [...b.kinds],
    startTimeUnixNano: [...b.startTimeUnixNano],
    endTimeUnixNano: [...b.endTimeUnixNano],
    statusCodes: [...b.statusCodes],
    statusMessages: b.statusMessages,
    semantics: b.semantics,
    payloads: b.payloads.map(hex),
  };
}

/** Posts `message` through a real MessagePort and resolves with what arrives. */
async function posted(message: unknown, transfer: ArrayBuffer[] = []): Promise<unknown[]> {
  const { port1, port2 } = new MessageChannel();
  try {
    const received = once(port2, 'message');
    port1.postMessage(message, transfer);
    return await received;
  } finally {
    port1.close();
  }
}

/** Transfers it through a MessagePort and unpacks what arrives. */
async function throughPort(packed: PackedSpanBatch): Promise<SpanBatch> {
  const [message] = (await posted(packed, [packed.buffer])) as [PackedSpanBatch];
  return unpackSpanBatch(message);
}

describe('span batch transfer', () => {
  it('round-trips decoded OTLP batches byte-exact through a MessagePort', async () => {
    await fc.assert(
      fc.asyncProperty(traceRequest(), async (req) => {
        const batch = decoded(req);
        const before = plainBatch(batch);
        const packed = packSpanBatch(batch);
        const unpacked = await throughPort(packed);
        expect(plainBatch(unpacked)).toEqual(before);
        // Transferred, not copied: the sender's packed buffer is detached; the batch is untouched.
        expect(packed.buffer.byteLength).toBe(0);
        expect(plainBatch(batch)).toEqual(before);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps every column as it is, hostile values and extreme times included', async () => {
    const INT64_MIN = -(2n ** 63n);
    const INT64_MAX = 2n ** 63n - 1n;
    const batch = spanBatch([
      { traceId: traceIdHex(1), spanId: spanIdHex(1), name: "'; DROP TABLE spans; --", statusCode: 2, statusMessage: '🚀 naïve\u0000', payload: new Uint8Array(0), startTimeUnixNano: INT64_MIN, endTimeUnixNano: INT64_MAX },
      { traceId: traceIdHex(1), spanId: 'ffffffffffffffff', parentSpanId: spanIdHex(1), name: '', kind: 5, payload: pseudoRandomBytes(1 << 16, 3), resource: { attributes: [str('service.name', 'b')] }, scope: { name: 's', version: '2' } },
      { traceId: traceIdHex(2), spanId: spanIdHex(3), name: "'; DROP TABLE spans; --", payload: pseudoRandomBytes(7, 1) },
    ]);
    const withSemantics: SpanBatch = { ...batch, semantics: [{ httpStatusCode: 503, url: 'http://x/', stackTraces: ['a', 'b'] }, undefined, { dbSystem: 'postgresql' }] };
    expect(plainBatch(await throughPort(packSpanBatch(withSemantics)))).toEqual(plainBatch(withSemantics));
  });

  it('keeps every semantics field, and tells an empty semantics object from none', async () => {
    const every = Object.fromEntries(SEMANTIC_FIELDS.map((field, i) =>
      [field, field === 'httpStatusCode' ? 503 : field === 'stackTraces' ? [`trace ${i}`, ''] : `${field} value`])) as SpanSemantics;
    const some: SpanSemantics = { url: 'http://x/', peerService: 'cart' };
    const specs = Array.from({ length: 6 }, (_, i) => ({ traceId: traceIdHex(1), spanId: spanIdHex(i + 1) }));
    const batch: SpanBatch = { ...spanBatch(specs), semantics: [every, undefined, {}, some, every, { httpStatusCode: 0 }] };
    const unpacked = await throughPort(packSpanBatch(batch));
    expect(unpacked.semantics).toStrictEqual(batch.semantics);
    expect(Object.keys(unpacked.semantics[0]!).sort()).toEqual([...SEMANTIC_FIELDS].sort());
  });

  it('keeps a malformed batch malformed, for the store to reject', async () => {
    const good = spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }, { traceId: traceIdHex(1), spanId: spanIdHex(2) }]);
    const malformed: SpanBatch[] = [
      { ...good, resourceIndex: new Uint32Array([0, 7]) },
      { ...good, names: ['only one'] },
      { ...good, payloads: [...good.payloads, new Uint8Array([1])] },
      { ...good, traceIds: good.traceIds.subarray(0, 20) },
      { ...good, length: 5 },
      { ...good, resources: [] },
    ];
    for (const batch of malformed) expect(plainBatch(await throughPort(packSpanBatch(batch)))).toEqual(plainBatch(batch));
  });

  it('copies only the batch\'s own bytes, not the request buffer its payloads are views into', async () => {
    const whole = decoded(manySpans(500));
    const first = 10;
    const part: SpanBatch = {
      ...whole,
      length: first,
      resourceIndex: whole.resourceIndex.subarray(0, first),
      scopeIndex: whole.scopeIndex.subarray(0, first),
      traceIds: whole.traceIds.subarray(0, 16 * first),
      spanIds: whole.spanIds.subarray(0, 8 * first),
      parentSpanIds: whole.parentSpanIds.subarray(0, 8 * first),
      names: whole.names.slice(0, first),
      kinds: whole.kinds.subarray(0, first),
      startTimeUnixNano: whole.startTimeUnixNano.subarray(0, first),
      endTimeUnixNano: whole.endTimeUnixNano.subarray(0, first),
      statusCodes: whole.statusCodes.subarray(0, first),
      statusMessages: whole.statusMessages.slice(0, first),
      semantics: whole.semantics.slice(0, first),
      payloads: whole.payloads.slice(0, first),
    };
    const requestBytes = whole.payloads[0]!.buffer.byteLength;
    const ownBytes = [...part.payloads, ...part.resources.map((r) => r.bytes), ...part.scopes.map((s) => s.bytes)].reduce((n, b) => n + b.byteLength, 0);
    // Posted as it is, the payload views would carry the whole request buffer along.
    const [cloned] = (await posted(part)) as [SpanBatch];
    expect(cloned.payloads[0]!.buffer.byteLength).toBeGreaterThanOrEqual(requestBytes);

    const packed = packSpanBatch(part);
    const packedBytes = packed.buffer.byteLength;
    // Own bytes, the fixed-size columns (16 + 8 + 8 + 8 + 8 + 4·4 + 1 + 1 bytes per span), padding.
    expect(packedBytes).toBeLessThanOrEqual(ownBytes + 66 * first + 8 * 17);
    const unpacked = unpackSpanBatch(((await posted(packed, [packed.buffer])) as [PackedSpanBatch])[0]);
    expect(new Set(unpacked.payloads.map((p) => p.buffer))).toEqual(new Set([unpacked.traceIds.buffer]));
    expect(unpacked.payloads[0]!.buffer.byteLength).toBe(packedBytes);
    expect(plainBatch(unpacked)).toEqual(plainBatch(part));
  });

  it('gives a resource attribute that is a view into a larger buffer its own bytes', async () => {
    const big = pseudoRandomBytes(1 << 20, 5);
    const view = big.subarray(100, 104);
    const batch = spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1), resource: { attributes: [{ key: 'raw', value: { kvlistValue: { values: [{ key: 'b', value: { bytesValue: view } }] } } }] } }]);
    const [cloned] = (await posted({ ...packSpanBatch(batch), buffer: undefined })) as [PackedSpanBatch];
    const map = cloned.resources[0]!.attributes[0]!.value;
    const leaf = 'kvlistValue' in map ? map.kvlistValue.values[0]!.value : map;
    expect('bytesValue' in leaf && leaf.bytesValue.buffer.byteLength).toBe(4);
    expect(plainBatch(await throughPort(packSpanBatch(batch)))).toEqual(plainBatch(batch));
    expect(view.byteLength).toBe(4);
  });
});

/** A request of `n` spans in one resource and scope, with a few attributes each. */
function manySpans(n: number): OtlpTraceRequest {
  const spans = Array.from({ length: n }, (_, i) => ({
    traceId: Uint8Array.from({ length: 16 }, (_, k) => (k === 0 ? 1 + (i % 200) : k)),
    spanId: Uint8Array.from({ length: 8 }, (_, k) => (k === 0 ? 1 : (i >> (8 * (k - 1))) & 0xff)),
    traceState: '',
    parentSpanId: new Uint8Array(0),
    flags: 1,
    name: `GET /api/${i % 7}`,
    kind: 2,
    startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(i),
    endTimeUnixNano: 1_700_000_000_000_500_000n + BigInt(i),
    attributes: [str('http.route', `/api/${i % 7}`), str('url.full', `http://shop/api/${i}`), { key: 'http.response.status_code', value: { intValue: 200n } }],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  }));
  return {
    resourceSpans: [{
      resource: { attributes: [str('service.name', 'shop')], droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 'http', version: '1', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
      schemaUrl: '',
    }],
  };
}
