import { brotliDecompressSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeTraceRequest } from '../../../bench/payloads.js';
import type { OtlpTraceRequest } from '../../model/otlp.js';
import type { SpanBatch } from '../../model/span-batch.js';
import { traceRequest } from '../../otlp/arbitraries.test-support.js';
import { decodeTraceRequest } from '../../otlp/decode-request.js';
import { encodeSpan, encodeTraceRequest } from '../../otlp/encode.js';
import { StorageError } from '../api/storage.js';
import { BASE_TIME_UNIX_NANO, spanBatch, spanIdHex, str, traceIdHex, type SpanSpec } from '../conformance/fixtures.js';
import { HOSTILE_STRINGS, pseudoRandomBytes } from '../conformance/harness.js';
import { cutIntoBlocks } from './block-cutter.js';
import { encodeSpanBlock, encodeSpanBlockAsync, type EncodedBlock } from './span-block-encoder.js';
import { SpanBlock } from './span-block-reader.js';
import { blockSpansOf, type BlockSpans } from './span-blocks.js';

const SEED = 2107;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const id = (bytes: Uint8Array): bigint => BigInt(`0x${hex(bytes) || '0'}`);

function decoded(request: OtlpTraceRequest): SpanBatch {
  const outcome = decodeTraceRequest(encodeTraceRequest(request));
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.batch;
}

/** Where a block's span came from: span `i` of `batch`, appended with `seq`. */
interface Source {
  readonly batch: SpanBatch;
  readonly i: number;
  readonly seq: bigint;
}
const sourcesOf = (batch: SpanBatch, seq: bigint): Source[] => Array.from({ length: batch.length }, (_, i) => ({ batch, i, seq }));

/** A span as the batch's columns say it should read back. */
function expected({ batch, i, seq }: Source) {
  return {
    seq,
    traceId: id(batch.traceIds.subarray(16 * i, 16 * i + 16)),
    spanId: id(batch.spanIds.subarray(8 * i, 8 * i + 8)),
    parentSpanId: id(batch.parentSpanIds.subarray(8 * i, 8 * i + 8)),
    resourceId: batch.resources[batch.resourceIndex[i]!]!.id,
    scopeId: batch.scopes[batch.scopeIndex[i]!]!.id,
    kind: batch.kinds[i],
    statusCode: batch.statusCodes[i],
    startTimeUnixNano: batch.startTimeUnixNano[i],
    endTimeUnixNano: batch.endTimeUnixNano[i],
    name: batch.names[i],
    statusMessage: batch.statusMessages[i],
    payload: hex(batch.payloads[i]!),
  };
}

function read(block: SpanBlock, i: number) {
  const { durationNano, payload, ...rest } = block.span(i);
  return { ...rest, endTimeUnixNano: BigInt.asIntN(64, rest.startTimeUnixNano + durationNano), payload: hex(payload) };
}

function expectRoundTrip(spans: BlockSpans, sources: readonly Source[]): EncodedBlock {
  const encoded = encodeSpanBlock(spans);
  const block = SpanBlock.decompress(encoded.bytes);
  expect(block.length).toBe(sources.length);
  sources.forEach((source, i) => {
    const want = expected(source);
    expect(read(block, i), `span ${i}`).toEqual(want);
    expect(block.traceId(i)).toBe(want.traceId);
    expect(block.startTime(i)).toBe(want.startTimeUnixNano);
  });
  return encoded;
}

/** How many spans the block stores with explicit columns (the header's m). */
const explicitCount = (encoded: EncodedBlock): number => brotliDecompressSync(encoded.bytes).readUInt32LE(5);

/** Spans whose payloads are opaque bytes: nothing in them matches the columns. */
function opaqueBatch(): SpanBatch {
  const times: [bigint, bigint][] = [[INT64_MAX - 10n, INT64_MIN + 80n], [INT64_MIN, INT64_MAX], [BASE_TIME_UNIX_NANO, BASE_TIME_UNIX_NANO - 7n], [0n, 0n]];
  const specs: SpanSpec[] = HOSTILE_STRINGS.map((name, k) => ({
    traceId: traceIdHex(k % 3 + 1, 7),
    spanId: spanIdHex(k + 1),
    parentSpanId: k % 2 === 0 ? '' : spanIdHex(100 + k),
    name,
    statusMessage: HOSTILE_STRINGS[(k + 3) % HOSTILE_STRINGS.length]!,
    kind: k % 6,
    statusCode: k % 3,
    startTimeUnixNano: times[k % times.length]![0],
    endTimeUnixNano: times[k % times.length]![1],
    payload: k % 4 === 0 ? new Uint8Array(0) : pseudoRandomBytes(50 * k, k),
    resource: { attributes: [str('service.name', `svc-${k % 2}`)] },
    scope: { name: `scope-${k % 3}` },
  }));
  return spanBatch(specs);
}

describe('span blocks', () => {
  it('reads back every span of decoded OTLP requests from its payload, columns equal', () => {
    fc.assert(
      fc.property(traceRequest(), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (request, seq) => {
        const batch = decoded(request);
        if (batch.length === 0) return;
        const encoded = expectRoundTrip(blockSpansOf(batch, seq), sourcesOf(batch, seq));
        expect(explicitCount(encoded)).toBe(0);
      }),
      { seed: SEED, numRuns: 50 },
    );
  });

  it('restores payloads whose fields come in any order, lack times or name parents outside the block', () => {
    const varint = (value: number): number[] => {
      const out: number[] = [];
      for (; value >= 0x80; value = Math.floor(value / 128)) out.push((value % 128) | 0x80);
      return [...out, value];
    };
    const len = (field: number, bytes: readonly number[]): number[] => [...varint(field * 8 + 2), ...varint(bytes.length), ...bytes];
    const fixed64 = (field: number, value: bigint): number[] => [field * 8 + 1, ...new Uint8Array(new BigInt64Array([value]).buffer)];
    const bytesOf = (hexId: string): number[] => [...Buffer.from(hexId, 'hex')];
    const traceA = bytesOf(traceIdHex(1, 3));
    const traceB = bytesOf(traceIdHex(2, 3));
    const name = [...Buffer.from('GET /x')];
    const spans: number[][] = [
      // A child before its parent (span 2 in the block), end before start, fields reversed.
      [...fixed64(8, BASE_TIME_UNIX_NANO - 5n), ...fixed64(7, BASE_TIME_UNIX_NANO), ...len(5, name), ...len(4, bytesOf(spanIdHex(2))), ...len(2, bytesOf(spanIdHex(1))), ...len(1, traceA)],
      // No times at all, a parent no span of the block has, an empty trace state and an unknown field.
      [...len(1, traceA), ...len(2, bytesOf(spanIdHex(3))), ...len(3, []), ...len(4, bytesOf(spanIdHex(99))), ...len(5, name), ...len(99, [1, 2, 3])],
      // The parent of the first: only an end, far from the start of the block (wraps as a difference).
      [...len(1, traceA), ...len(2, bytesOf(spanIdHex(2))), ...len(5, name), ...fixed64(8, -(1n << 63n))],
      // Another trace, the same span id as the first, an empty parent, a start before 1970.
      [...len(1, traceB), ...len(2, bytesOf(spanIdHex(1))), ...len(4, []), ...len(5, name), ...fixed64(7, -7n), ...fixed64(8, (1n << 63n) - 1n)],
      // The child of the span above (same span id as span 0): found by id, across traces.
      [...len(1, traceB), ...len(2, bytesOf(spanIdHex(4))), ...len(4, bytesOf(spanIdHex(1))), ...len(5, name), ...fixed64(7, 1n), ...fixed64(8, 2n)],
      // A parent id that differs from span 0's only where the writer's lookup key does not look.
      [...len(1, traceB), ...len(2, bytesOf(spanIdHex(5))), ...len(4, bytesOf(spanIdHex(1).slice(0, 8) + 'ff' + spanIdHex(1).slice(10))), ...len(5, name)],
    ];
    const scopeSpans = len(2, spans.flatMap((span) => len(2, span)));
    const request = Uint8Array.from(len(1, scopeSpans));
    const outcome = decodeTraceRequest(request);
    if (!outcome.ok) throw new Error(outcome.error);
    const encoded = expectRoundTrip(blockSpansOf(outcome.batch, 3n), sourcesOf(outcome.batch, 3n));
    expect(explicitCount(encoded)).toBe(0);
  });

  it('reads back spans with opaque or empty payloads from their stored columns', () => {
    const batch = opaqueBatch();
    const encoded = expectRoundTrip(blockSpansOf(batch, 42n), sourcesOf(batch, 42n));
    expect(explicitCount(encoded)).toBe(batch.length);
  });

  it('reads back a block mixing decoded and opaque spans from several appends', () => {
    const a = decoded(makeTraceRequest({ traces: 3, seed: 4 }));
    const b = opaqueBatch();
    const c = decoded(makeTraceRequest({ traces: 2, seed: 5 }));
    const [spans, ...rest] = cutIntoBlocks([a, b, c], [5n, 6n, 9n]);
    expect(rest).toEqual([]);
    const encoded = expectRoundTrip(spans!, [...sourcesOf(a, 5n), ...sourcesOf(b, 6n), ...sourcesOf(c, 9n)]);
    expect(explicitCount(encoded)).toBe(b.length);
  });

  it('lets the column win when it differs from a valid OTLP payload', () => {
    const batch = decoded(makeTraceRequest({ traces: 2 }));
    const names = [...batch.names];
    names[0] = `${names[0]} renamed`;
    const statusMessages = [...batch.statusMessages];
    statusMessages[1] = 'a message the payload does not hold';
    const kinds = batch.kinds.slice();
    kinds[2] = (kinds[2]! + 1) % 6;
    const statusCodes = batch.statusCodes.slice();
    statusCodes[3] = (statusCodes[3]! + 1) % 3;
    const startTimeUnixNano = batch.startTimeUnixNano.slice();
    startTimeUnixNano[4] = startTimeUnixNano[4]! - 1n;
    const endTimeUnixNano = batch.endTimeUnixNano.slice();
    endTimeUnixNano[5] = INT64_MIN;
    const traceIds = batch.traceIds.slice();
    traceIds[16 * 6] = traceIds[16 * 6]! ^ 0xff;
    const spanIds = batch.spanIds.slice();
    spanIds[8 * 7 + 7] = spanIds[8 * 7 + 7]! ^ 0x01;
    const parentSpanIds = batch.parentSpanIds.slice();
    parentSpanIds.fill(0, 8 * 8, 8 * 9); // a root in the column, a child in the payload
    const changed: SpanBatch = { ...batch, names, statusMessages, kinds, statusCodes, startTimeUnixNano, endTimeUnixNano, traceIds, spanIds, parentSpanIds };
    expect(batch.parentSpanIds.subarray(8 * 8, 8 * 9).some((b) => b !== 0)).toBe(true);
    const encoded = expectRoundTrip(blockSpansOf(changed, 3n), sourcesOf(changed, 3n));
    expect(explicitCount(encoded)).toBe(9);
  });

  it('summarizes each trace: first start, last end, spans and errors with exact duplicates once, last seq', () => {
    const B = BASE_TIME_UNIX_NANO;
    const payload = (n: number): Uint8Array => pseudoRandomBytes(40, n);
    const t = (n: number): string => traceIdHex(n, 3);
    const specs: SpanSpec[] = [
      { traceId: t(1), spanId: spanIdHex(1), startTimeUnixNano: B + 100n, endTimeUnixNano: B + 300n, payload: payload(1) },
      { traceId: t(2), spanId: spanIdHex(1), startTimeUnixNano: INT64_MAX - 10n, endTimeUnixNano: INT64_MIN + 89n, statusCode: 2 },
      { traceId: t(1), spanId: spanIdHex(1), startTimeUnixNano: B + 100n, endTimeUnixNano: B + 300n, payload: payload(1) },
      { traceId: t(1), spanId: spanIdHex(1), startTimeUnixNano: B + 100n, endTimeUnixNano: B + 300n, payload: payload(2) },
      { traceId: t(1), spanId: spanIdHex(2), startTimeUnixNano: B + 50n, endTimeUnixNano: B + 120n, statusCode: 2, payload: payload(3) },
      { traceId: t(1), spanId: spanIdHex(2), startTimeUnixNano: B + 50n, endTimeUnixNano: B + 120n, statusCode: 2, payload: payload(3) },
      { traceId: t(2), spanId: spanIdHex(2), startTimeUnixNano: INT64_MIN, endTimeUnixNano: INT64_MIN + 5n },
      { traceId: t(1), spanId: spanIdHex(3), startTimeUnixNano: B + 200n, endTimeUnixNano: B + 250n, statusCode: 1, payload: encodeSpan(makeTraceRequest({ traces: 1 }).resourceSpans[0]!.scopeSpans[0]!.spans[0]!) },
    ];
    const seqs = BigUint64Array.from([10n, 11n, 10n, 17n, 10n, 10n, 13n, 14n]);
    const encoded = encodeSpanBlock({ ...blockSpansOf(spanBatch(specs), 0n), seqs });
    const byTrace = new Map(encoded.traces.map((s) => [s.traceId, s]));
    expect(encoded.traces).toHaveLength(2);
    expect(byTrace.get(BigInt(`0x${t(1)}`))).toEqual({ traceId: BigInt(`0x${t(1)}`), lastSeq: 17n, firstStart: B + 50n, lastEnd: B + 300n, spans: 4, errors: 1 });
    // start + (end − start wrapped to int64): past INT64_MAX, exactly.
    expect(byTrace.get(BigInt(`0x${t(2)}`))).toEqual({ traceId: BigInt(`0x${t(2)}`), lastSeq: 13n, firstStart: INT64_MIN, lastEnd: INT64_MAX + 90n, spans: 2, errors: 1 });
    expect(encoded).toMatchObject({ spans: 8, firstSeq: 10n, lastSeq: 17n, minStart: INT64_MIN, maxStart: INT64_MAX - 10n });
  });

  // lastEnd is the latest `start + (end − start)`, also when spans end before they start (clock skew).
  it('gives a trace whose spans end before they start the latest end, not a start', () => {
    const B = BASE_TIME_UNIX_NANO;
    const batch = spanBatch([
      { traceId: traceIdHex(1), spanId: spanIdHex(1), startTimeUnixNano: B + 100n, endTimeUnixNano: B + 50n },
      { traceId: traceIdHex(1), spanId: spanIdHex(2), startTimeUnixNano: B + 10n, endTimeUnixNano: B + 20n },
      { traceId: traceIdHex(2), spanId: spanIdHex(3), startTimeUnixNano: INT64_MIN + 5n, endTimeUnixNano: INT64_MIN },
    ]);
    const { traces } = encodeSpanBlock(blockSpansOf(batch, 1n));
    const bounds = new Map(traces.map((s) => [s.traceId, [s.firstStart, s.lastEnd]]));
    expect(bounds).toEqual(new Map([[BigInt(`0x${traceIdHex(1)}`), [B + 10n, B + 50n]], [BigInt(`0x${traceIdHex(2)}`), [INT64_MIN + 5n, INT64_MIN]]]));
  });

  it('select re-encodes to a block holding exactly the chosen spans', () => {
    const a = decoded(makeTraceRequest({ traces: 2, seed: 8 }));
    const b = opaqueBatch();
    const sources = [...sourcesOf(a, 1n), ...sourcesOf(b, 2n)];
    const [spans] = cutIntoBlocks([a, b], [1n, 2n]);
    const block = SpanBlock.decompress((encodeSpanBlock(spans!)).bytes);
    const chosen = [0, 3, a.length - 1, a.length, a.length + 4, sources.length - 1];
    expectRoundTrip(block.select(chosen), chosen.map((i) => sources[i]!));
  });

  it('rejects damaged blocks with a StorageError and nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(() => SpanBlock.decompress(bytes)).toThrow(StorageError);
      }),
      { seed: SEED, numRuns: 300 },
    );
    const a = decoded(makeTraceRequest({ traces: 2, seed: 9 }));
    const [spans] = cutIntoBlocks([a, opaqueBatch()], [1n, 2n]);
    const { bytes } = encodeSpanBlock(spans!);
    for (const length of [0, 1, bytes.length >> 1, bytes.length - 1]) {
      expect(() => SpanBlock.decompress(bytes.subarray(0, length)), `cut to ${length}`).toThrow(StorageError);
    }
    const raw = brotliDecompressSync(bytes);
    const damaged = (edit: (b: Buffer) => Buffer): Buffer => edit(Buffer.from(raw));
    const cases: Record<string, Buffer> = {
      'format 0': damaged((b) => ((b[0] = 0), b)),
      'format 3': damaged((b) => ((b[0] = 3), b)),
      'format 1, its columns read as payloads': damaged((b) => ((b[0] = 1), b)),
      'one byte more': Buffer.concat([raw, Buffer.of(0)]),
      'one byte less': raw.subarray(0, raw.length - 1),
      'header only': raw.subarray(0, 25),
      'a span more': damaged((b) => (b.writeUInt32LE(b.readUInt32LE(1) + 1, 1), b)),
      'an explicit span more': damaged((b) => (b.writeUInt32LE(b.readUInt32LE(5) + 1, 5), b)),
      'a resource more': damaged((b) => (b.writeUInt32LE(b.readUInt32LE(9) + 1, 9), b)),
      'a resource index out of range': damaged((b) => {
        const [n, r, s] = [b.readUInt32LE(1), b.readUInt32LE(9), b.readUInt32LE(13)];
        b.writeUInt32LE(r, 25 + 8 * (r + s) + 5 * n);
        return b;
      }),
    };
    for (const [what, block] of Object.entries(cases)) expect(() => new SpanBlock(block), what).toThrow(StorageError);
    // Any one byte changed: the block either reads or says it is damaged, span by span.
    fc.assert(
      // Mostly in the header and columns: the texts and payloads after them are opaque bytes.
      fc.property(fc.oneof(fc.nat({ max: 2000 }), fc.nat({ max: raw.length - 1 })), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const block = damaged((b) => ((b[at] = value), b));
        try {
          const opened = new SpanBlock(block);
          for (let i = 0; i < opened.length; i++) {
            opened.span(i);
            opened.traceId(i);
            opened.startTime(i);
          }
        } catch (e: unknown) {
          expect(e).toBeInstanceOf(StorageError);
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('stores a realistic decoded batch in far fewer bytes than its payloads', () => {
    const batch = decoded(makeTraceRequest({ traces: 100 }));
    expect(batch.length).toBe(1000);
    const payloadBytes = batch.payloads.reduce((sum, p) => sum + p.length, 0);
    const encoded = encodeSpanBlock(blockSpansOf(batch, 1n));
    expect(encoded.bytes.length).toBeLessThan(0.25 * payloadBytes);
    expect(explicitCount(encoded)).toBe(0);
  });

  it('encodes the same block when it compresses on the thread pool', async () => {
    const spans = blockSpansOf(decoded(makeTraceRequest({ traces: 20 })), 5n);
    const sync = encodeSpanBlock(spans);
    const pooled = await encodeSpanBlockAsync(spans);
    expect(Buffer.from(pooled.bytes).equals(Buffer.from(sync.bytes))).toBe(true);
    expect({ ...pooled, bytes: undefined }).toEqual({ ...sync, bytes: undefined });
  });
});
