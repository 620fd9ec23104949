/**
 * Hostile traces (DESIGN.md §2: "Hostile data must not hang or crash an analysis"). Each test has a
 * generous timeout as a no-hang guard; none asserts how long anything takes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServiceCall } from '../model/call.js';
import { SpanKind, StatusCode } from '../model/otlp.js';
import type { SpanSkeleton } from '../model/skeleton.js';
import { deriveCalls, type TraceAnomaly } from './derive-calls.js';
import { T0_UNIX_NANO, service, span } from './testing/trace-builder.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OPTIONS = { failureRules: [] };
const NO_HANG = 120_000;

function derive(spans: readonly SpanSkeleton[], maxPathLength?: number): { calls: ServiceCall[]; anomalies: TraceAnomaly[] } {
  return deriveCalls(TRACE, spans, maxPathLength === undefined ? OPTIONS : { ...OPTIONS, maxPathLength });
}

function callers(calls: readonly ServiceCall[]): string[] {
  return calls.map((call) => `${call.path.at(-1)?.name ?? '∅'} → ${call.service}`);
}

describe('hostile traces', () => {
  it('treats a span that is its own parent as a root and reports it', () => {
    const { calls, anomalies } = derive([
      span('a', 'server', 'r', { id: 'loop', parent: 'loop' }),
      span('b', 'server', 'q', { id: 'child', parent: 'loop', startMs: 1 }),
    ]);
    expect(callers(calls)).toEqual(['∅ → a', 'a → b']);
    expect(anomalies).toEqual([{ type: 'self-parent', spanId: 'loop' }]);
  });

  it('cuts a cycle of parent links at the span that starts first, which becomes a root', () => {
    const { calls, anomalies } = derive([
      span('c', 'server', 'rc', { id: 'c', parent: 'b', startMs: 2 }),
      span('a', 'server', 'ra', { id: 'a', parent: 'c', startMs: 0 }),
      span('b', 'server', 'rb', { id: 'b', parent: 'a', startMs: 1 }),
      span('d', 'server', 'rd', { id: 'd', parent: 'b', startMs: 3 }),
    ]);
    expect(callers(calls)).toEqual(['∅ → a', 'a → b', 'b → c', 'b → d']);
    expect(anomalies).toEqual([{ type: 'cycle', spanIds: ['a', 'c', 'b'], cutSpanId: 'a' }]);
  });

  it('cuts a cycle that hangs off a healthy tree too', () => {
    const { calls, anomalies } = derive([
      span('root', 'server', 'r', { id: 'r' }),
      span('x', 'server', 'x', { id: 'x', parent: 'y', startMs: 5 }),
      span('y', 'server', 'y', { id: 'y', parent: 'x', startMs: 6 }),
    ]);
    expect(callers(calls)).toEqual(['∅ → root', '∅ → x', 'x → y']);
    expect(anomalies.map((a) => a.type)).toEqual(['cycle']);
  });

  it('keeps the first of duplicate span ids by start time, reports the rest, and hangs children on the kept one', () => {
    const { calls, anomalies } = derive([
      span('late', 'server', 'late', { id: 'dup', startMs: 5 }),
      span('early', 'server', 'early', { id: 'dup', startMs: 1 }),
      span('other', 'server', 'other', { id: 'dup', startMs: 9 }),
      span('child', 'server', 'c', { id: 'kid', parent: 'dup', startMs: 6 }),
    ]);
    expect(callers(calls)).toEqual(['∅ → early', 'early → child']);
    expect(anomalies).toEqual([{ type: 'duplicate-span-id', spanId: 'dup', dropped: 2 }]);
  });

  it('gives orphans the caller unknown and reports each', () => {
    const { calls, anomalies } = derive([
      span('a', 'server', 'r', { id: 'a1', parent: 'gone-1' }),
      span('b', 'server', 'r', { id: 'b1', parent: 'gone-2', startMs: 1 }),
    ]);
    expect(callers(calls)).toEqual(['unknown → a', 'unknown → b']);
    expect(anomalies).toEqual([
      { type: 'missing-parent', spanId: 'a1', parentSpanId: 'gone-1' },
      { type: 'missing-parent', spanId: 'b1', parentSpanId: 'gone-2' },
    ]);
  });

  it('derives the same structure when children start before their parents, and reports the skew', () => {
    const { calls, anomalies } = derive([
      span('a', 'server', 'r', { id: 'p', startMs: 10 }),
      span('a', 'client', 'c', { id: 'q', parent: 'p', startMs: 4, semantics: { peerService: 'b' } }),
      span('b', 'server', 'r', { id: 's', parent: 'q', startMs: 2 }),
    ]);
    expect(callers(calls)).toEqual(['a → b', '∅ → a']);
    expect(anomalies).toEqual([
      { type: 'clock-skew', spanId: 's', parentSpanId: 'q', skewNanos: 2_000_000n },
      { type: 'clock-skew', spanId: 'q', parentSpanId: 'p', skewNanos: 6_000_000n },
    ]);
  });

  it(
    'walks a 100k-deep chain of one service without recursion: one call',
    () => {
      const a = service('a');
      const spans = chain(100_000, () => a);
      const { calls, anomalies } = derive(spans);
      expect(callers(calls)).toEqual(['∅ → a']);
      expect(anomalies).toEqual([]);
    },
    NO_HANG,
  );

  it(
    'derives a 100k-deep chain of alternating services, keeping the nearest calls of paths past maxPathLength',
    () => {
      const services = [service('a'), service('b')];
      const spans = chain(100_000, (i) => services[i % 2]!);
      const { calls, anomalies } = derive(spans, 50);
      expect(calls).toHaveLength(100_000);
      const deepest = calls.at(-1)!;
      expect(deepest.path).toHaveLength(50);
      expect(deepest.path.at(-1)).toMatchObject({ name: 'a', callId: spans.at(-2)!.spanId });
      expect(deepest.path[0]!.callId).toBe(spans.at(-51)!.spanId);
      expect(anomalies).toEqual([{ type: 'path-truncated', calls: 100_000 - 51, maxPathLength: 50 }]);
    },
    NO_HANG,
  );

  it(
    'cuts a 100k-long cycle',
    () => {
      const a = service('a');
      const spans = chain(100_000, () => a).map((s, i) => (i === 0 ? { ...s, parentSpanId: spanIdOf(99_999) } : s));
      const { calls, anomalies } = derive(spans);
      expect(callers(calls)).toEqual(['∅ → a']);
      expect(anomalies).toHaveLength(1);
      expect(anomalies[0]).toMatchObject({ type: 'cycle', cutSpanId: spanIdOf(0) });
    },
    NO_HANG,
  );

  it(
    'derives a 1M-span trace',
    () => {
      // 1000 requests of a frontend, each a 1000-span subtree: 499 client → server hops into a
      // backend plus one database query per backend call, and internal spans in between.
      const frontend = service('frontend');
      const backend = service('backend');
      const spans: SpanSkeleton[] = [];
      let n = 0;
      const add = (svc: typeof frontend, kind: number, name: string, parent: string, semantics?: SpanSkeleton['semantics']): string => {
        const id = spanIdOf(n++);
        spans.push(skeleton(id, parent, svc, kind, name, BigInt(n), semantics));
        return id;
      };
      for (let r = 0; r < 1000; r++) {
        const root = add(frontend, SpanKind.SERVER, 'GET /', '');
        for (let h = 0; h < 333; h++) {
          const clientId = add(frontend, SpanKind.CLIENT, 'GET /api', root);
          const serverId = add(backend, SpanKind.SERVER, 'GET /api', clientId);
          add(backend, SpanKind.CLIENT, 'SELECT', serverId, { dbSystem: 'postgresql', dbNamespace: 'shop' });
        }
      }
      expect(spans).toHaveLength(1000 + 999_000);
      const { calls, anomalies } = derive(spans);
      expect(anomalies).toEqual([]);
      expect(calls).toHaveLength(1000 + 333_000 * 2);
      expect(calls.filter((call) => call.service === 'shop' && call.kind === 'database')).toHaveLength(333_000);
      expect(callers(calls.slice(0, 4))).toEqual(['∅ → frontend', 'frontend → backend', 'backend → shop', 'frontend → backend']);
    },
    NO_HANG,
  );
});

describe('random parent links (property)', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const services = ['s1', 's2', 's3'].map((name) => service(name));
  const arbSpan = fc.record({
    id: fc.constantFrom(...ids),
    parent: fc.constantFrom('', 'missing', ...ids),
    service: fc.nat(services.length - 1),
    kind: fc.nat(5),
    start: fc.nat(20),
  });

  it('never throws, and yields calls whose paths point at calls of the trace and never at themselves', () => {
    fc.assert(
      fc.property(fc.array(arbSpan, { maxLength: 24 }), (raw) => {
        const spans = raw.map((s) => skeleton(s.id, s.parent, services[s.service]!, s.kind, `op-${s.id}`, BigInt(s.start)));
        const { calls, anomalies } = derive(spans);
        const instrumented = new Map(calls.filter((c) => !c.synthetic).map((c) => [c.callId, c]));
        expect(instrumented.size).toBe(calls.filter((c) => !c.synthetic).length);
        for (const call of calls) {
          const seen = new Set<string>();
          call.path.forEach((entry, index) => {
            if (entry.kind === 'unknown') {
              expect(index).toBe(0);
              return;
            }
            const target = instrumented.get(entry.callId);
            expect(target).toBeDefined();
            expect({ kind: target!.kind, name: target!.service, request: target!.request }).toEqual({
              kind: entry.kind,
              name: entry.name,
              request: entry.request,
            });
            expect(seen.has(entry.callId)).toBe(false);
            seen.add(entry.callId);
          });
          if (!call.synthetic) expect(seen.has(call.callId)).toBe(false);
          const caller = call.path.at(-1);
          if (caller !== undefined && caller.kind !== 'unknown') expect(instrumented.get(caller.callId)!.path).toEqual(call.path.slice(0, -1));
        }
        const distinctIds = new Set(raw.map((s) => s.id)).size;
        const dropped = anomalies.flatMap((a) => (a.type === 'duplicate-span-id' ? [a.dropped] : [])).reduce((x, y) => x + y, 0);
        expect(dropped).toBe(raw.length - distinctIds);
      }),
      { numRuns: 2000 },
    );
  });
});

function spanIdOf(i: number): string {
  return (i + 1).toString(16).padStart(16, '0');
}

/** A chain: span i's parent is span i-1; service per position. */
function chain(length: number, serviceAt: (i: number) => ReturnType<typeof service>): SpanSkeleton[] {
  const spans: SpanSkeleton[] = [];
  for (let i = 0; i < length; i++) {
    spans.push(skeleton(spanIdOf(i), i === 0 ? '' : spanIdOf(i - 1), serviceAt(i), SpanKind.INTERNAL, `op${i % 7}`, BigInt(i)));
  }
  return spans;
}

function skeleton(
  spanId: string,
  parentSpanId: string,
  svc: ReturnType<typeof service>,
  kind: number,
  name: string,
  startMicros: bigint,
  semantics?: SpanSkeleton['semantics'],
): SpanSkeleton {
  const start = T0_UNIX_NANO + startMicros * 1000n;
  return {
    spanId,
    parentSpanId,
    resourceId: svc.name,
    service: svc,
    name,
    kind,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 500n,
    statusCode: StatusCode.UNSET,
    statusMessage: '',
    semantics,
  };
}
