import { describe, expect, it } from 'vitest';
import type { ServiceCall } from '../../model/call.js';
import { UNKNOWN_CALLER, pathEntry, serviceCall, traceIdHex } from '../conformance/fixtures.js';
import { packTraceCalls } from './call-batch.js';
import { traceCallIds } from './trace-call-ids.js';

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
    expect(ids.ids.map((own) => [...own])).toEqual([
      [low, 0x99n, shared, mid, top],
      [low, shared],
    ]);
    expect([...ids.callOrdinals]).toEqual([5, 4, 1, 1, 3, 2, 1]);
    expect([...ids.pathOrdinals]).toEqual([5, 5, 4, 1, 2, 0, 0, 2]);
  });

  it('gives a trace without calls no ids', () => {
    const batch = packTraceCalls([{ traceId: traceIdHex(3), calls: [], derivedSeq: 2n, firstDerivation: false }]);
    const ids = traceCallIds(batch);
    expect(ids.ids.map((own) => own.length)).toEqual([0]);
    expect(ids.callOrdinals.length).toBe(0);
  });
});
