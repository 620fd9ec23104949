import { describe, expect, it } from 'vitest';
import type { ServiceCall } from '../../model/call.js';
import { UNKNOWN_CALLER, pathEntry, serviceCall, traceIdHex } from '../conformance/fixtures.js';
import { packTraceCalls } from './call-batch.js';
import { idsOfBlob, traceCallIds } from './trace-call-ids.js';

const hex = (id: bigint) => id.toString(16).padStart(16, '0');

describe('traceCallIds', () => {
  it('ranks each trace’s distinct ids as unsigned numbers, own and path ids alike, and keeps the unknown caller as 0', () => {
    const a = traceIdHex(1);
    const b = traceIdHex(2);
    const top = 0xffff_ffff_ffff_fff0n; // above 2^63: ranked as unsigned, not as a negative number
    const mid = 0x8000_0000_0000_0000n;
    const low = 0x0000_0000_0000_0007n;
    const shared = 0x1234n; // the same id in both traces gets each trace's own rank
    const callsOfA: ServiceCall[] = [
      serviceCall({ traceId: a, callId: hex(top), path: [] }),
      serviceCall({ traceId: a, callId: hex(mid), path: [pathEntry('service', 's', 'r', hex(top))] }),
      serviceCall({ traceId: a, callId: hex(low), path: [pathEntry('service', 's', 'r', hex(top)), pathEntry('service', 't', 'r', hex(mid))] }),
      // A synthetic callee carries its client call's id: one id, one rank.
      serviceCall({ traceId: a, callId: hex(low), synthetic: true, kind: 'database', path: [pathEntry('service', 'u', 'r', hex(low))] }),
      // A path may name a call the write does not hold.
      serviceCall({ traceId: a, callId: hex(shared), path: [pathEntry('service', 'v', 'r', hex(0x99n))] }),
    ];
    const callsOfB: ServiceCall[] = [
      serviceCall({ traceId: b, callId: hex(shared), path: [UNKNOWN_CALLER] }),
      serviceCall({ traceId: b, callId: hex(low), path: [UNKNOWN_CALLER, pathEntry('service', 'w', 'r', hex(shared))] }),
    ];
    const batch = packTraceCalls([
      { traceId: a, calls: callsOfA, derivedSeq: 1n, firstDerivation: true },
      { traceId: b, calls: callsOfB, derivedSeq: 1n, firstDerivation: true },
    ]);
    const ids = traceCallIds(batch);
    expect(ids.ids.map(idsOfBlob)).toEqual([
      [low, 0x99n, shared, mid, top],
      [low, shared],
    ]);
    expect([...ids.callOrdinals]).toEqual([5, 4, 1, 1, 3, 2, 1]);
    expect([...ids.pathOrdinals]).toEqual([5, 5, 4, 1, 2, 0, 0, 2]);
  });

  it('agrees with a sort of the distinct ids on a large random trace (the oracle)', () => {
    const t = traceIdHex(4);
    let seed = 42;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed);
    const id = () => (BigInt(random()) << 32n) | BigInt(random() % 64); // few low words: many shared high halves
    const calls: ServiceCall[] = [];
    for (let i = 0; i < 3000; i++) {
      const parent = calls.length > 0 && i % 3 !== 0 ? calls[random() % calls.length]! : undefined;
      calls.push(serviceCall({ traceId: t, callId: hex(i % 7 === 0 && parent ? BigInt(`0x${parent.callId}`) : id()), path: parent ? [...parent.path, pathEntry('service', 's', 'r', parent.callId)] : [] }));
    }
    const batch = packTraceCalls([{ traceId: t, calls, derivedSeq: 1n, firstDerivation: true }]);
    const ids = traceCallIds(batch);
    const sorted = [...new Set(calls.flatMap((c) => [c.callId, ...c.path.map((e) => e.callId)]).map((h) => BigInt(`0x${h}`)))].sort((a, b) => (a < b ? -1 : 1));
    expect(idsOfBlob(ids.ids[0]!)).toEqual(sorted);
    const rank = new Map(sorted.map((v, i) => [v, i + 1]));
    expect([...ids.callOrdinals]).toEqual(calls.map((c) => rank.get(BigInt(`0x${c.callId}`))));
    expect([...ids.pathOrdinals]).toEqual(calls.flatMap((c) => c.path.map((e) => rank.get(BigInt(`0x${e.callId}`)))));
  });

  it('gives a trace without calls no ids', () => {
    const batch = packTraceCalls([{ traceId: traceIdHex(3), calls: [], derivedSeq: 2n, firstDerivation: false }]);
    const ids = traceCallIds(batch);
    expect(ids.ids.map((own) => own.length)).toEqual([0]);
    expect(idsOfBlob(new Uint8Array(0))).toEqual([]);
    expect(ids.callOrdinals.length).toBe(0);
  });
});
