import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChain } from '../../src/analysis/chain.js';
import type { CallJson, TraceJson } from '../../src/query/trace.js';
import { autoExpandDepth } from '../../web/src/depth.js';
import { formatDuration, formatPercent } from '../../web/src/format.js';
import { chainText, stepText } from '../../web/src/pages/backtrace/chain.js';
import { buildTraceModel } from '../../web/src/pages/trace/model.js';
import { buildHref, parseRoute } from '../../web/src/routes.js';
import { resolveTime, timeframeOf } from '../../web/src/time.js';

/**
 * The UI's pure logic (routes, chain syntax, the trace model), tested here because the vitest
 * configuration collects tests under src/ and test/ only.
 */
describe('deep links', () => {
  it('parses every route of DESIGN.md §4, with encoded names', () => {
    expect(parseRoute('/')).toEqual({ page: 'services' });
    expect(parseRoute('/services')).toEqual({ page: 'services' });
    expect(parseRoute('/services/')).toEqual({ page: 'services' });
    expect(parseRoute('/services/checkout')).toEqual({ page: 'service', service: 'checkout', view: 'overview' });
    expect(parseRoute('/services/a%2Fb/backtrace')).toEqual({ page: 'service', service: 'a/b', view: 'backtrace' });
    expect(parseRoute('/services/%22%3E%3Cimg%3E/flow')).toEqual({ page: 'service', service: '"><img>', view: 'flow' });
    expect(parseRoute('/traces')).toEqual({ page: 'traces' });
    expect(parseRoute('/traces/abc123')).toEqual({ page: 'trace', traceId: 'abc123' });
    for (const bad of ['/services/x/failures', '/services/x/flow/more', '/elsewhere', '/services/%E0%A4%A/flow']) {
      expect(parseRoute(bad), bad).toEqual({ page: 'not-found' });
    }
  });

  it('keeps the timeframe and zone across pages, and only the parameters asked for', () => {
    const current = new URLSearchParams('from=now-6h&zone=shop&kind=external&chain=a+%3E+b&sort=name');
    expect(buildHref('/traces', current)).toBe('/traces?from=now-6h&zone=shop');
    expect(buildHref('/services/x/flow', current, { keep: ['kind', 'chain'] })).toBe('/services/x/flow?from=now-6h&zone=shop&kind=external&chain=a+%3E+b');
    expect(buildHref('/services', current, { set: { zone: undefined, q: 'pay' } })).toBe('/services?from=now-6h&q=pay');
    expect(buildHref('/services', new URLSearchParams())).toBe('/services');
  });

  it('reads timeframes as the server does', () => {
    const now = Date.UTC(2024, 0, 1);
    expect(resolveTime('now-15m', now)).toBe(now - 15 * 60_000);
    expect(resolveTime('now+1h', now)).toBe(now + 3_600_000);
    expect(resolveTime('0', now)).toBe(0);
    expect(resolveTime('2024-05-14T10:00:00Z', now)).toBe(Date.UTC(2024, 4, 14, 10));
    expect(timeframeOf(new URLSearchParams(''))).toEqual({ mode: 'preset', from: 'now-1h', label: 'Last hour' });
    expect(timeframeOf(new URLSearchParams('from=now-7d'))).toEqual({ mode: 'preset', from: 'now-7d', label: 'Last 7 days' });
    expect(timeframeOf(new URLSearchParams('from=0&to=4102444800000'))).toEqual({ mode: 'custom', from: '0', to: '4102444800000' });
  });
});

describe('backtrace paths in chain syntax', () => {
  it('writes kinds where the name alone would not find the node, and refuses what the syntax cannot hold', () => {
    expect(stepText({ kind: 'service', name: 'frontend' })).toBe('frontend');
    expect(stepText({ kind: 'application', name: 'shop-web' })).toBe('application!shop-web');
    expect(stepText({ kind: 'external', name: 'api.stripe.com' })).toBe('external!api.stripe.com');
    expect(stepText({ kind: 'service', name: 'a!b' })).toBe('service!a!b');
    expect(stepText({ kind: 'unknown', name: 'unknown' })).toBe('unknown');
    for (const name of ['a>b', 'host:8080', ' padded', '', '"><img src=x onerror=alert(1)>']) {
      expect(stepText({ kind: 'service', name }), name).toBeNull();
    }
    expect(chainText([{ kind: 'application', name: 'shop-web' }, { kind: 'service', name: 'frontend' }])).toBe('application!shop-web > frontend');
    expect(chainText([{ kind: 'service', name: 'ok' }, { kind: 'service', name: 'x:y' }])).toBeNull();
  });

  it('round-trips through the server\'s chain parser', () => {
    const kind = fc.constantFrom('service', 'database', 'messaging', 'external', 'application') as fc.Arbitrary<'service' | 'database' | 'messaging' | 'external' | 'application'>;
    const name = fc.string({ minLength: 1, maxLength: 12 }).filter((n) => stepText({ kind: 'service', name: n }) !== null);
    fc.assert(
      fc.property(fc.array(fc.record({ kind, name }), { minLength: 1, maxLength: 5 }), (steps) => {
        const text = chainText(steps);
        fc.pre(text !== null);
        const parsed = parseChain(text!);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.steps.map((s) => s.name)).toEqual(steps.map((s) => s.name));
        parsed.steps.forEach((s, i) => expect(s.kind ?? 'service').toBe(steps[i]!.kind));
      }),
      { numRuns: 500 },
    );
  });
});

function span(spanId: string, parentSpanId: string, startMs: number, name = spanId): unknown {
  const nanos = (ms: number) => (BigInt(ms) * 1_000_000n).toString();
  return { spanId, parentSpanId, name, kind: 2, startTimeUnixNano: nanos(startMs), endTimeUnixNano: nanos(startMs + 10), attributes: [], status: { code: 0 } };
}

function trace(spans: unknown[], calls: CallJson[] = []): TraceJson {
  return {
    traceId: 'ab',
    resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ scope: {}, spans }] }],
    calls,
  };
}

function call(callId: string, synthetic: boolean, service: string): CallJson {
  return {
    callId, synthetic, kind: synthetic ? 'database' : 'service', service, request: 'r', startTimeUnixNano: '0', durationMs: 1, failed: false,
    failureReason: null, stackTraces: [], caller: null, path: [], instance: null,
    k8s: { cluster: null, node: null, namespace: null, pod: null, workload: null }, referringPage: null, proxies: [],
  };
}

describe('trace waterfall model', () => {
  it('orders spans as a tree by start time and attaches the calls they start', () => {
    const model = buildTraceModel(trace(
      [span('c', 'a', 30), span('a', '', 0), span('b', 'a', 10), span('d', 'b', 12)],
      [call('a', false, 'svc'), call('b', true, 'orders')],
    ));
    expect(model.rows.map((r) => [r.spanId, r.depth])).toEqual([['a', 0], ['b', 1], ['d', 2], ['c', 1]]);
    expect(model.rows[0]!.call?.service).toBe('svc');
    expect(model.rows[1]!.call).toBeUndefined();
    expect(model.rows[1]!.synthetic.map((c) => c.service)).toEqual(['orders']);
    expect(model.services).toEqual(['svc']);
    expect(model.endMs - model.startMs).toBe(40);
  });

  it('shows every span of hostile traces once: cycles, self-parents, missing parents, duplicates', () => {
    const model = buildTraceModel(trace([span('x', 'y', 0), span('y', 'x', 1), span('s', 's', 2), span('o', 'gone', 3), span('d', '', 4), span('d', '', 5)]));
    expect(model.rows.map((r) => r.spanId).sort()).toEqual(['d', 'd', 'o', 's', 'x', 'y']);
    expect(model.rows.find((r) => r.spanId === 'o')!.orphan).toBe(true);
  });

  it('walks a 100 000-deep chain without recursion and caps the rows it renders', () => {
    const spans = Array.from({ length: 100_000 }, (_, i) => span(`s${i}`, i === 0 ? '' : `s${i - 1}`, i));
    const model = buildTraceModel(trace(spans), 5_000);
    expect(model.rows).toHaveLength(5_000);
    expect(model.hidden).toBe(95_000);
    expect(model.rows[4_999]!.depth).toBe(4_999);
  });
});

describe('figures and big trees', () => {
  it('formats rates and durations for reading at a glance', () => {
    expect([0, 0.0004, 0.083, 0.2, 1].map(formatPercent)).toEqual(['0%', '<0.1%', '8.3%', '20%', '100%']);
    expect([0, 0.944, 12, 650, 1_320, 306_017].map(formatDuration)).toEqual(['0 ms', '944 µs', '12 ms', '650 ms', '1.32 s', '5 min 6 s']);
  });

  it('opens as many levels of a big tree as fit the node budget, at least two', () => {
    type N = { children: N[] };
    const fan = (depth: number, width: number): N => ({ children: depth === 0 ? [] : Array.from({ length: width }, () => fan(depth - 1, width)) });
    expect(autoExpandDepth(fan(5, 1), (n) => n.children)).toBe(5); // 6 nodes: everything opens
    expect(autoExpandDepth(fan(4, 3), (n) => n.children, 40)).toBe(3); // 1 + 3 + 9 + 27 = 40 fit, 81 more do not
    expect(autoExpandDepth(fan(3, 50), (n) => n.children, 40)).toBe(2);
  });
});
