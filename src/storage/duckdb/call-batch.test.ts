import { describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import type { TraceCalls } from '../api/storage.js';
import type { ServiceCall } from '../../model/call.js';
import { UNKNOWN_CALLER, pathEntry, serviceCall, spanIdHex, traceIdHex } from '../conformance/fixtures.js';
import { richCalls } from '../conformance/call-cases.js';
import { FAILED, HAS_RESOURCE, SYNTHETIC, TEXT_COUNT, callBatchBuffers, packTraceCalls, type CallBatch } from './call-batch.js';

function entry(traceId: string, calls: readonly ServiceCall[], derivedSeq = 1n, firstDerivation = false): TraceCalls {
  return { traceId, calls, derivedSeq, firstDerivation };
}

const orNull = (batch: CallBatch, code: number): string | null => (code === 0 ? null : batch.dictionary[code - 1]!);

/** Row `r` of a batch read back into the call it was packed from (the oracle for `packTraceCalls`). */
function unpackRow(batch: CallBatch, r: number): ServiceCall {
  const { rows } = batch;
  const text = (column: number) => orNull(batch, rows.texts[r * TEXT_COUNT + column]!);
  const list = (ends: Uint32Array, codes: Uint32Array) => [...codes.subarray(r === 0 ? 0 : ends[r - 1], ends[r])].map((code) => orNull(batch, code)!);
  let pathStart = 0;
  for (let i = 0; i < r; i++) pathStart += rows.depth[i]!;
  const lists = batch.paths[rows.path[r]!]!.lists;
  const flags = rows.flags[r]!;
  return {
    traceId: batch.traces.ids[rows.trace[r]!]!.toString(16).padStart(32, '0'),
    callId: rows.callIds[r]!.toString(16).padStart(16, '0'),
    synthetic: (flags & SYNTHETIC) !== 0,
    kind: text(0) as ServiceCall['kind'],
    service: text(1)!,
    request: text(2)!,
    resourceId: (flags & HAS_RESOURCE) !== 0 ? rows.resourceIds[r]!.toString(16).padStart(16, '0') : null,
    instance: text(3),
    k8s: { cluster: text(4), node: text(5), namespace: text(6), pod: text(7), workload: text(8) },
    startTimeUnixNano: rows.starts[r]!,
    durationNanos: rows.durations[r]!,
    failed: (flags & FAILED) !== 0,
    failureReason: text(9),
    stackTraces: list(rows.stackEnds, rows.stackCodes),
    path: lists.kinds.map((kind, i) => ({
      kind: kind as ServiceCall['path'][number]['kind'],
      name: lists.names[i]!,
      request: lists.requests[i]!,
      callId: batch.pathCallIdNull[pathStart + i] ? '' : batch.pathCallIds[pathStart + i]!.toString(16).padStart(16, '0'),
    })),
    referringPage: text(10),
    proxies: list(rows.proxyEnds, rows.proxyCodes),
  };
}

function unpack(batch: CallBatch): ServiceCall[] {
  return Array.from({ length: batch.rows.count }, (_, r) => unpackRow(batch, r));
}

describe('packTraceCalls', () => {
  it('packs every field of every call exactly: ids, edge times, nulls, lists, unicode, unknown callers', () => {
    const a = traceIdHex(1);
    const b = 'ffffffffffffffffffffffffffffffff';
    const calls = [...richCalls(a), ...richCalls(b)];
    const batch = packTraceCalls([entry(a, richCalls(a), 7n, true), entry(b, richCalls(b), (1n << 64n) - 1n)]);
    expect(unpack(batch)).toEqual(calls);
    expect(batch.traces.ids).toEqual([BigInt(`0x${a}`), BigInt(`0x${b}`)]);
    expect([...batch.traces.derivedSeqs]).toEqual([7n, (1n << 64n) - 1n]);
    expect([...batch.traces.mayHaveCalls]).toEqual([0, 1]);
    // Each text once in the dictionary; equal paths share one entry.
    expect(new Set(batch.dictionary).size).toBe(batch.dictionary.length);
    expect(new Set(batch.paths.map((p) => p.text)).size).toBe(batch.paths.length);
    expect(batch.paths.length).toBe(new Set(calls.map((c) => JSON.stringify(c.path.map(({ callId: _, ...rest }) => rest)))).size);
  });

  it('keeps a trace named twice at its last entry, which may then have old rows', () => {
    const [a, b] = [traceIdHex(1), traceIdHex(2)];
    const calls = richCalls(a);
    const batch = packTraceCalls([entry(a, calls.slice(0, 2), 1n, true), entry(b, richCalls(b).slice(0, 1), 1n, true), entry(a, calls.slice(2, 4), 2n, true)]);
    expect(unpack(batch)).toEqual([...richCalls(b).slice(0, 1), ...calls.slice(2, 4)]);
    expect(batch.traces.ids).toEqual([BigInt(`0x${a}`), BigInt(`0x${b}`)]);
    expect([...batch.traces.derivedSeqs]).toEqual([2n, 1n]);
    expect([...batch.traces.mayHaveCalls]).toEqual([1, 0]);
  });

  it('tells paths apart whose entries would run together, and makes one path of texts DuckDB stores alike', () => {
    const t = traceIdHex(4);
    const call = (n: number, path: ServiceCall['path']) => serviceCall({ traceId: t, callId: spanIdHex(n), path });
    const parent = pathEntry('service', 'p', 'GET /', spanIdHex(9));
    const calls = [
      call(1, [parent, pathEntry('service', 'ab', 'c', spanIdHex(8))]),
      call(2, [parent, pathEntry('service', 'a', 'bc', spanIdHex(8))]),
      call(3, [parent, pathEntry('service', '1|a', 'x', spanIdHex(8))]),
      call(4, [pathEntry('service', 'p|service|1|a', 'x', spanIdHex(8))]),
      call(5, [parent]),
      call(6, [pathEntry('service', 'lone \ud800', 'r', spanIdHex(7))]),
      call(7, [pathEntry('service', 'lone \ufffd', 'r', spanIdHex(7))]),
      call(8, [pathEntry('service', 'a|b', 'c', spanIdHex(6))]),
      call(9, [pathEntry('service', 'a', 'b|c', spanIdHex(6))]),
    ];
    const batch = packTraceCalls([entry(t, calls)]);
    expect([...batch.rows.path]).toEqual([0, 1, 2, 3, 4, 5, 5, 6, 7]);
    expect(unpack(batch).filter((_, i) => i !== 6)).toEqual(calls.filter((_, i) => i !== 6));
  });

  it('tells paths apart that share entry objects under different callers (a truncated path, a reused entry)', () => {
    const t = traceIdHex(5);
    const call = (n: number, path: ServiceCall['path']) => serviceCall({ traceId: t, callId: spanIdHex(n), path });
    const a = pathEntry('service', 'a', 'GET /a', spanIdHex(1));
    const b = pathEntry('service', 'b', 'GET /b', spanIdHex(2));
    const x = pathEntry('service', 'x', 'GET /x', spanIdHex(3));
    const calls = [call(4, [a, x]), call(5, [b, x]), call(6, [x]), call(7, [x, x]), call(8, [a, x])];
    const batch = packTraceCalls([entry(t, calls)]);
    expect([...batch.rows.path]).toEqual([0, 1, 2, 3, 0]);
    expect(batch.paths.map((p) => p.lists.names)).toEqual([['a', 'x'], ['b', 'x'], ['x'], ['x', 'x']]);
    expect(unpack(batch)).toEqual(calls);
  });

  it('packs a trace with no calls as a derivation without rows', () => {
    const batch = packTraceCalls([entry(traceIdHex(3), [], 5n, true)]);
    expect(batch.rows.count).toBe(0);
    expect(batch.traces.ids).toEqual([BigInt(`0x${traceIdHex(3)}`)]);
  });

  const t = traceIdHex(1);
  const bad: ReadonlyArray<readonly [string, TraceCalls, RegExp]> = [
    ['an upper-case trace id', entry(t.toUpperCase().replace(/^0/, 'A'), []), /malformed trace id/],
    ['a short trace id', entry('abc', []), /malformed trace id/],
    ['a negative derivedSeq', entry(t, [], -1n), /not a sequence number/],
    ['a derivedSeq past 64 bits', entry(t, [], 1n << 64n), /not a sequence number/],
    ['a call of another trace', entry(t, [serviceCall({ traceId: traceIdHex(2), callId: spanIdHex(1) })]), /belongs to trace/],
    ['an unknown kind', entry(t, [serviceCall({ traceId: t, callId: spanIdHex(1), kind: 'mainframe' as ServiceCall['kind'] })]), /unknown kind/],
    ['a call id with a non-hex digit', entry(t, [serviceCall({ traceId: t, callId: '000000000000000g' })]), /malformed call id/],
    ['an upper-case call id', entry(t, [serviceCall({ traceId: t, callId: '00000000000000AB' })]), /malformed call id/],
    ['a call id of 15 digits', entry(t, [serviceCall({ traceId: t, callId: '000000000000001' })]), /malformed call id/],
    ['a call id past the ASCII range', entry(t, [serviceCall({ traceId: t, callId: '00000000000000０1' })]), /malformed call id/],
    ['a malformed resource id', entry(t, [serviceCall({ traceId: t, callId: spanIdHex(1), resourceId: 'xyz' })]), /malformed resource id/],
    ['a start time past int64', entry(t, [serviceCall({ traceId: t, callId: spanIdHex(1), startTimeUnixNano: 1n << 63n })]), /start time .* signed 64-bit/],
    ['a duration below int64', entry(t, [serviceCall({ traceId: t, callId: spanIdHex(1), durationNanos: -(1n << 63n) - 1n })]), /duration .* signed 64-bit/],
    ['a path entry of unknown kind', entry(t, [serviceCall({ traceId: t, callId: spanIdHex(1), path: [pathEntry('robot' as 'service', 'x', 'y', spanIdHex(2))] })]), /path entry of unknown kind/],
    ['a malformed path call id', entry(t, [serviceCall({ traceId: t, callId: spanIdHex(1), path: [UNKNOWN_CALLER, pathEntry('service', 'x', 'y', 'nope')] })]), /malformed path call id/],
  ];
  for (const [what, wrong, message] of bad) {
    it(`rejects ${what} with a StorageError, even in an entry a later one replaces`, () => {
      const good = entry(t, richCalls(t));
      for (const entries of [[wrong], [{ ...wrong, traceId: wrong.traceId }, good]]) {
        let thrown: unknown;
        try {
          packTraceCalls(entries);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(StorageError);
        expect((thrown as Error).message).toMatch(message);
      }
    });
  }

  it('crosses threads by transfer: the receiving side reads the same batch, the sender keeps none of its buffers', () => {
    const a = traceIdHex(9);
    const batch = packTraceCalls([entry(a, richCalls(a), 3n)]);
    const expected = unpack(batch);
    const buffers = callBatchBuffers(batch);
    expect(new Set(buffers).size).toBe(buffers.length);
    const received = structuredClone(batch, { transfer: buffers });
    expect(unpack(received)).toEqual(expected);
    expect(batch.rows.callIds.length).toBe(0); // detached
  });
});
