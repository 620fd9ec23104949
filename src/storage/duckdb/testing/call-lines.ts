/**
 * Test data for the path-key tests: traces whose calls form one line each (caller → callee), so
 * each call's path is the calls above it, with the values that stress path keys: hostile names,
 * names whose concatenations coincide, the `unknown` caller, empty request names.
 */
import type { PathEntry, ServiceCall } from '../../../model/call.js';
import type { ServiceKind } from '../../../model/service.js';
import type { TimeRange } from '../../api/call-queries.js';
import type { TraceCalls } from '../../api/storage.js';
import { BASE_TIME_UNIX_NANO, UNKNOWN_CALLER, serviceCall, spanIdHex, traceIdHex } from '../../conformance/fixtures.js';
import { HOSTILE_STRINGS } from '../../conformance/harness.js';
import { callPathText } from '../path-keys.js';

export interface Hop {
  readonly kind?: ServiceKind;
  readonly service: string;
  readonly request: string;
  readonly failed?: boolean;
}

/** One trace: a line of calls, each calling the next; `orphan` puts the `unknown` caller on top. */
export function lineTrace(n: number, hops: readonly Hop[], orphan = false): TraceCalls {
  const traceId = traceIdHex(n, 77);
  const calls: ServiceCall[] = [];
  const path: PathEntry[] = orphan ? [UNKNOWN_CALLER] : [];
  hops.forEach((hop, i) => {
    const callId = spanIdHex(i + 1);
    const kind = hop.kind ?? 'service';
    calls.push(
      serviceCall({
        traceId, callId, kind, service: hop.service, request: hop.request, failed: hop.failed ?? false,
        failureReason: hop.failed === true ? 'boom' : null,
        synthetic: kind === 'database' || kind === 'messaging' || kind === 'external',
        startTimeUnixNano: BASE_TIME_UNIX_NANO + BigInt(n * 1000 + i), path: [...path],
      }),
    );
    path.push({ kind, name: hop.service, request: hop.request, callId });
  });
  return { traceId, calls, derivedSeq: 1n, firstDerivation: true };
}

/** Lines whose paths differ in small ways (one kind, one split of a name, a request), plus hostile text. */
export function trickyLines(firstTrace = 1): TraceCalls[] {
  const hostile = HOSTILE_STRINGS.filter((s) => s.length < 1000);
  return [
    lineTrace(firstTrace + 0, [{ service: 'web', request: 'GET /' }, { service: 'api', request: 'GET /a' }, { service: 'db', request: 'SELECT', kind: 'database' }]),
    lineTrace(firstTrace + 1, [{ service: 'web', request: 'GET /' }, { service: 'api', request: 'GET /a', failed: true }, { service: 'db', request: 'SELECT', kind: 'database' }]),
    // Same names as trace 1 but another kind on the path: another path.
    lineTrace(firstTrace + 2, [{ service: 'web', request: 'GET /', kind: 'application' }, { service: 'api', request: 'GET /a' }, { service: 'db', request: 'SELECT', kind: 'database' }]),
    // Concatenations that coincide: `["a,b"]` vs `["a","b"]`-like splits.
    lineTrace(firstTrace + 3, [{ service: 'a","b', request: '' }, { service: 'api', request: 'GET /a' }]),
    lineTrace(firstTrace + 4, [{ service: 'a', request: 'b' }, { service: 'api', request: 'GET /a' }]),
    lineTrace(firstTrace + 5, [{ service: 'api', request: 'GET /a' }], true),
    lineTrace(firstTrace + 6, hostile.map((s, i) => ({ service: s, request: hostile[(i + 3) % hostile.length]! })).concat({ service: 'api', request: 'GET /a' })),
    lineTrace(firstTrace + 7, [{ service: '\ud800 lone', request: 'x\udfff' }, { service: 'api', request: 'GET /a' }]),
  ];
}

/** How many distinct paths the calls written hold (the last entry of a trace wins, as in the writer). */
export function distinctPathCount(entries: readonly TraceCalls[]): number {
  const last = new Map(entries.map((e) => [e.traceId, e]));
  return new Set([...last.values()].flatMap((e) => e.calls.map((call) => callPathText(call.path)))).size;
}

const SECOND_NANOS = 1_000_000_000n;

/**
 * The tricky lines of the path-key tests (hostile names, the `unknown` caller), their calls spread
 * over minutes — a callee up to two minutes after its caller, or before it (clock skew) — each real
 * call with a resource, so a zone of every resource counts every call.
 */
export function spreadLines(shift: bigint): TraceCalls[] {
  return trickyLines().map((trace, t) => ({
    ...trace,
    calls: trace.calls.map((call, i) => ({
      ...call,
      resourceId: call.synthetic ? null : `00000000000000${(t * 16 + i).toString(16).padStart(2, '0')}`,
      startTimeUnixNano: BASE_TIME_UNIX_NANO + shift + BigInt(t * 37 + (i % 2 === 0 ? i * 53 : -i * 29)) * SECOND_NANOS + BigInt(i),
    })),
  }));
}

/**
 * A re-derivation of every trace: each gets `calls` back under derivation seq 6, and every third
 * trace is emptied first in the same write (two entries for one trace in one call).
 */
export function rederivedTwiceInOneWrite(traceIds: readonly string[], calls: ReadonlyMap<string, readonly ServiceCall[]>): TraceCalls[] {
  return traceIds.flatMap((traceId, i) => {
    const entry = { traceId, calls: [...calls.get(traceId)!], derivedSeq: 6n, firstDerivation: false };
    return i % 3 === 0 ? [{ ...entry, calls: [] }, entry] : [entry];
  });
}

/** Windows around a generated topology's window (whole minutes): aligned, cut inside minutes, inside one minute, empty, and with whole minutes next to cut ones. */
export function windowsAroundMinutes(window: TimeRange): TimeRange[] {
  const { fromUnixNano: from, toUnixNano: to } = window;
  return [
    { fromUnixNano: from, toUnixNano: to },
    { fromUnixNano: from - 60n * SECOND_NANOS, toUnixNano: to + 120n * SECOND_NANOS },
    { fromUnixNano: from + 17n * SECOND_NANOS + 3n, toUnixNano: to + 23n * SECOND_NANOS },
    { fromUnixNano: from - 45n * SECOND_NANOS, toUnixNano: to - 1n },
    { fromUnixNano: from - 61n * SECOND_NANOS - 7n, toUnixNano: to + 61n * SECOND_NANOS + 11n },
    { fromUnixNano: from + 5n * SECOND_NANOS, toUnixNano: from + 50n * SECOND_NANOS },
    { fromUnixNano: from + 5n * SECOND_NANOS, toUnixNano: from + 5n * SECOND_NANOS },
    { fromUnixNano: -(1n << 70n), toUnixNano: 1n << 70n },
    // Whole minutes from `to` on, calls before it: traces that straddle `to` put callers on one side, callees on the other.
    { fromUnixNano: from + 30n * SECOND_NANOS, toUnixNano: to + 90n * SECOND_NANOS },
    { fromUnixNano: to - 2n * SECOND_NANOS, toUnixNano: to + 61n * SECOND_NANOS },
    { fromUnixNano: from + 59n * SECOND_NANOS + 999n, toUnixNano: to + 60n * SECOND_NANOS },
  ];
}
