/**
 * The oracle on small hand-written traces: what DESIGN.md §3/§4 says a user sees.
 */
import { describe, expect, it } from 'vitest';
import { Oracle } from '../../src/analysis/oracle/oracle.js';
import { browserApp, client, internal, server, service, span, T0_UNIX_NANO, trace, type TraceNode } from '../../src/analysis/testing/trace-builder.js';
import type { SpanSkeleton } from '../../src/model/skeleton.js';
import type { FocalFilter, ServiceRef } from '../../src/storage/api/call-queries.js';

const HOUR_NANOS = 3_600_000_000_000n;
const MS = 1_000_000n;
const window = { fromUnixNano: T0_UNIX_NANO, toUnixNano: T0_UNIX_NANO + HOUR_NANOS };
const noRules = { failureRules: [] };

function focal(name: string, extra: Partial<FocalFilter> = {}, kind: ServiceRef['kind'] = 'service'): FocalFilter {
  return { ...window, service: { kind, name }, ...extra };
}

/** Traces numbered from 1, trace ids as 32 hex digits. */
function oracleOf(traces: readonly SpanSkeleton[][], options = noRules): Oracle {
  return new Oracle(
    traces.map((spans, i) => ({ traceId: (i + 1).toString(16).padStart(32, '0'), spans })),
    options,
  );
}

function times<T>(count: number, make: (i: number) => T): T[] {
  return Array.from({ length: count }, (_, i) => make(i));
}

const ordersWeb = browserApp('orders-web');
const click = { semantics: { eventType: 'click', targetElement: 'BUTTON', targetXpath: '//*[@id="my-orders"]' } };

/** frontend `GET /orders` → order `GET /order/{id}`, failing at order when asked. */
function frontendToOrder(failed: boolean): TraceNode {
  return server('frontend', 'GET /orders', client('frontend', 'GET', server('order', 'GET /order/{id}', failed ? { status: 'error', message: 'order locked' } : {})));
}

/** DESIGN.md §4's backtrace: 1100 requests from orders-web, 100 starting at frontend, 34 at order itself. */
function designExample(): Oracle {
  const fromBrowser = times(1100, (i) => trace(internal(ordersWeb, 'click', click, client(ordersWeb, 'HTTP GET', frontendToOrder(i < 10)))));
  const fromFrontend = times(100, (i) => trace(frontendToOrder(i < 2)));
  const atOrder = times(34, () => trace(server('order', 'GET /order/{id}')));
  return oracleOf([...fromBrowser, ...fromFrontend, ...atOrder]);
}

describe('backtrace (DESIGN.md §3, the §4 example)', () => {
  it('reads the caller chains of order upward, merging paths by service, counting focal calls', () => {
    expect(designExample().backtrace(focal('order'))).toEqual({
      kind: 'service',
      name: 'order',
      requests: 1234,
      failed: 12,
      calls: [{ name: 'GET /order/{id}', requests: 1234, failed: 12 }],
      callers: [
        {
          kind: 'service',
          name: 'frontend',
          requests: 1200,
          failed: 12,
          calls: [{ name: 'GET /orders', requests: 1200, failed: 12 }],
          sentToNext: [{ name: 'GET /order/{id}', requests: 1200, failed: 12 }],
          callers: [
            {
              kind: 'application',
              name: 'orders-web',
              requests: 1100,
              failed: 10,
              calls: [{ name: 'click on BUTTON#my-orders', requests: 1100, failed: 10 }],
              sentToNext: [{ name: 'GET /orders', requests: 1100, failed: 10 }],
              callers: [],
            },
          ],
        },
      ],
    });
  });

  it('shows where the rest of the requests started: frontend 1200 = 1100 from the browser + 100 of its own', () => {
    const tree = designExample().backtrace(focal('order'));
    const frontend = tree.callers[0]!;
    expect(frontend.requests - frontend.callers.reduce((n, c) => n + c.requests, 0)).toBe(100);
    expect(tree.requests - tree.callers.reduce((n, c) => n + c.requests, 0)).toBe(34);
  });

  it('narrows to one request name and to the window', () => {
    const traces = [
      trace(server('frontend', 'GET /a', client('frontend', 'GET', server('order', 'GET /order/{id}')))),
      trace(server('frontend', 'GET /b', client('frontend', 'GET', server('order', 'POST /order')))),
      trace(server('frontend', 'GET /c', { startMs: 2 * 3_600_000 }, client('frontend', 'GET', server('order', 'GET /order/{id}', { startMs: 2 * 3_600_000 + 1 })))),
    ];
    const tree = oracleOf(traces).backtrace(focal('order', { request: 'GET /order/{id}' }));
    expect(tree.requests).toBe(1);
    expect(tree.callers.map((c) => c.calls)).toEqual([[{ name: 'GET /a', requests: 1, failed: 0 }]]);
  });

  it('puts the unknown caller above a call whose parent never arrived, and follows recursion as separate positions', () => {
    const orphan = [span('order', 'server', 'GET /order/{id}', { id: 'b1', parent: 'gone' })];
    const recursive = trace(server('a', 'GET /a', client('a', 'GET', server('b', 'GET /b', client('b', 'GET', server('a', 'GET /a/inner'))))));
    const oracle = oracleOf([orphan, recursive]);
    expect(oracle.backtrace(focal('order')).callers).toEqual([
      { kind: 'unknown', name: 'unknown', requests: 1, failed: 0, calls: [{ name: '', requests: 1, failed: 0 }], sentToNext: [{ name: 'GET /order/{id}', requests: 1, failed: 0 }], callers: [] },
    ]);
    const a = oracle.backtrace(focal('a'));
    expect(a.requests).toBe(2);
    expect(a.calls).toEqual([
      { name: 'GET /a', requests: 1, failed: 0 },
      { name: 'GET /a/inner', requests: 1, failed: 0 },
    ]);
    expect(a.callers[0]).toMatchObject({ name: 'b', requests: 1, callers: [{ name: 'a', requests: 1, calls: [{ name: 'GET /a', requests: 1, failed: 0 }], callers: [] }] });
  });
});

describe('service flow (DESIGN.md §3)', () => {
  /** 10 frontend requests: 4 call cart once, 2 call cart twice, cart reads its database; 3 call Stripe, 1 failing. */
  function shop(): Oracle {
    const cartCall = (failed: boolean): TraceNode =>
      client('frontend', 'GET', server('cart', 'GET /cart', { durationMs: 20 }, failed ? { status: 'error' } : {}, client('cart', 'SELECT carts', { semantics: { dbSystem: 'postgresql', dbNamespace: 'carts' }, durationMs: 5 })));
    const stripe = (failed: boolean): TraceNode => client('frontend', 'POST', { semantics: { serverAddress: 'api.stripe.com', ...(failed ? { httpStatusCode: 503 } : {}) }, durationMs: 100 });
    const traces = times(10, (i) => {
      const children: TraceNode[] = [];
      if (i < 6) children.push(cartCall(i === 0));
      if (i >= 4 && i < 6) children.push(cartCall(false));
      if (i >= 7) children.push(stripe(i === 9));
      return trace(server('frontend', 'POST /checkout', { durationMs: 200 }, ...children));
    });
    return oracleOf(traces);
  }

  it('gives each callee calls, "% of requests calling" (distinct focal requests), failures and response times', () => {
    const flow = shop().flow(focal('frontend'));
    expect(flow).toMatchObject({ kind: 'service', name: 'frontend', calls: 10, requests: 10, failed: 0, durationMs: { p50: 200, p90: 200, total: 2000 } });
    expect(flow.children.map((c) => [c.kind, c.name, c.calls, c.requests, c.failed])).toEqual([
      ['service', 'cart', 8, 6, 1],
      ['external', 'api.stripe.com', 3, 3, 1],
    ]);
    const cart = flow.children[0]!;
    expect(cart.durationMs).toEqual({ p50: 20, p90: 20, total: 160 });
    expect(cart.children).toEqual([
      { kind: 'database', name: 'carts', calls: 8, requests: 6, failed: 0, durationMs: { p50: 5, p90: 5, total: 40 }, children: [] },
    ]);
    const percentCalling = Math.round((cart.requests / flow.requests) * 100);
    expect(percentCalling).toBe(60);
  });
});

describe('chain filter (DESIGN.md §3)', () => {
  /** Two kinds of order calls: behind the browser and frontend, and behind batch; half of each reach the payment service below. */
  function mixed(): Oracle {
    const below = (pay: boolean): TraceNode[] => (pay ? [client('order', 'POST', server('payment', 'POST /pay'))] : []);
    const browser = times(4, (i) =>
      trace(internal(ordersWeb, 'click', click, client(ordersWeb, 'HTTP GET', server('frontend', 'GET /orders', client('frontend', 'GET', server('order', 'GET /order/{id}', ...below(i % 2 === 0))))))),
    );
    const batch = times(6, (i) => trace(server('batch', 'run', client('batch', 'GET', server('order', 'GET /order/{id}', ...below(i % 2 === 0))))));
    return oracleOf([...browser, ...batch]);
  }

  it('keeps focal calls whose line runs through a chain above them', () => {
    const oracle = mixed();
    const tree = oracle.backtrace(focal('order', { chain: [{ name: 'orders-web' }, { name: 'frontend', request: 'GET /orders' }] }));
    expect(tree.requests).toBe(4);
    expect(tree.callers.map((c) => c.name)).toEqual(['frontend']);
    expect(oracle.backtrace(focal('order', { chain: [{ name: 'frontend', request: 'GET /nothing' }] })).requests).toBe(0);
  });

  it('keeps focal calls whose line runs through a chain below them, and chains that run through the focal call', () => {
    const oracle = mixed();
    expect(oracle.backtrace(focal('order', { chain: [{ name: 'order' }, { name: 'payment' }] })).requests).toBe(5);
    expect(oracle.flow(focal('order', { chain: [{ name: 'payment' }] })).children.map((c) => [c.name, c.requests])).toEqual([['payment', 5]]);
    // Contiguous: batch → payment skips order, so it matches nothing.
    expect(oracle.backtrace(focal('order', { chain: [{ name: 'batch' }, { name: 'payment' }] })).requests).toBe(0);
    const through = oracle.backtrace(focal('order', { chain: [{ name: 'batch', kind: 'service' }, { name: 'order' }, { name: 'payment' }] }));
    expect(through.requests).toBe(3);
    expect(through.callers.map((c) => [c.name, c.requests])).toEqual([['batch', 3]]);
  });

  it('filters the traces list by a chain without a service', () => {
    const rows = mixed().findTraces({ ...window, chain: [{ name: 'frontend' }, { name: 'order' }, { name: 'payment' }], limit: 100 });
    expect(rows.map((r) => r.rootService)).toEqual(['orders-web', 'orders-web']);
  });
});

describe('backtrace details, failures, services list, neighbourhood', () => {
  const orderPod = (pod: string): ReturnType<typeof service> =>
    service('order', { 'k8s.pod.name': pod, 'k8s.namespace.name': 'shop', 'k8s.node.name': 'node-1', 'k8s.deployment.name': 'order' });
  const stack = 'Error: locked\n    at lock (order.js:1:1)';
  function fixture(): Oracle {
    const viaFrontend = (i: number): SpanSkeleton[] =>
      trace(
        server('frontend', 'GET /orders', { semantics: { referer: 'https://shop.example.com/cart', forwardedFor: 'client, lb-1' }, startMs: i * 1_000 }, client('frontend', 'GET',
          server(orderPod(i % 3 === 0 ? 'order-7d4f8b9c6-x2x9z' : 'order-7d4f8b9c6-b5b5b'), 'GET /order/{id}', { startMs: i * 1_000 + 2 },
            i < 3 ? { status: 'error', message: i < 2 ? 'order locked' : '', semantics: { exceptionType: 'Error', exceptionMessage: 'locked', stackTraces: [stack] } } : {},
            client('order', 'SELECT orders', { semantics: { dbSystem: 'postgresql', dbNamespace: 'orders' } })))),
      );
    // The health check comes from a resource of its own (no pod).
    return oracleOf([...times(6, viaFrontend), trace(server('order', 'GET /health', { startMs: 30_000, resourceId: 'feedfacefeedface' }))]);
  }

  it('details a node: reasons, stack traces, referring pages, proxies, instances of the node, exemplars (failed first, newest first)', () => {
    const details = fixture().backtraceDetails(focal('order'), [{ kind: 'service', name: 'frontend' }], 4);
    expect(details).toMatchObject({
      requests: 6,
      failed: 3,
      failureReasons: [
        { reason: 'order locked', count: 2 },
        { reason: 'Error: locked', count: 1 },
      ],
      stackTraces: [{ stackTrace: stack, count: 3 }],
      referringPages: [{ page: 'https://shop.example.com/cart', count: 6 }],
      proxies: [{ proxy: 'lb-1', count: 6 }],
    });
    // The node is frontend: its (one, instance-less) service, not order's pods.
    expect(details.instances).toEqual([{ instance: null, k8s: { cluster: null, node: null, namespace: null, pod: null, workload: null }, requests: 6, failed: 3 }]);
    expect(details.exemplarTraceIds).toEqual(['3', '2', '1', '6'].map((n) => n.padStart(32, '0')));
    const root = fixture().backtraceDetails(focal('order'), [], 10);
    expect(root.requests).toBe(7);
    expect(root.instances.map((i) => [i.instance, i.k8s.workload, i.requests, i.failed])).toEqual([
      ['order-7d4f8b9c6-b5b5b', 'order', 4, 2],
      ['order-7d4f8b9c6-x2x9z', 'order', 2, 1],
      [null, null, 1, 0],
    ]);
  });

  it('summarizes failures with a timeline that covers the whole window', () => {
    const failures = fixture().failures({ ...focal('order'), toUnixNano: T0_UNIX_NANO + 60_000n * MS }, 20_000);
    expect(failures.reasons).toEqual([
      { reason: 'order locked', count: 2 },
      { reason: 'Error: locked', count: 1 },
    ]);
    expect(failures.timeline.map((b) => [Number((b.startUnixNano - T0_UNIX_NANO) / MS), b.requests, b.failed])).toEqual([
      [0, 6, 3],
      [20_000, 1, 0],
      [40_000, 0, 0],
    ]);
  });

  it('lists services with RED figures, callers, callees and Kubernetes context', () => {
    const rows = fixture().serviceSummaries(window);
    expect(rows.map((r) => [r.kind, r.name, r.requests, r.failed, r.callers, r.callees, r.instances])).toEqual([
      ['database', 'orders', 6, 0, 1, 0, 0],
      ['service', 'frontend', 6, 0, 0, 1, 0],
      ['service', 'order', 7, 3, 1, 1, 2],
    ]);
    expect(rows[2]).toMatchObject({ namespaces: ['shop'], workloads: ['order'], nodes: ['node-1'] });
  });

  it('restricts the services list to a zone of resources; synthetic calls follow their caller', () => {
    const oracle = fixture();
    const orderResources = [...new Set(oracle.traces.flatMap((t) => t.spans.filter((s) => s.service.k8s.pod !== null).map((s) => s.resourceId)))];
    expect(oracle.serviceSummaries(window, { resourceIds: orderResources }).map((r) => [r.name, r.requests])).toEqual([
      ['orders', 6],
      ['order', 6],
    ]);
  });

  it('shows one hop around the service: callers, requests started here, callees, request names, instances', () => {
    const n = fixture().serviceNeighbourhood(focal('order'));
    expect(n.callers).toEqual([{ kind: 'service', name: 'frontend', calls: 6, failed: 3 }]);
    expect(n.startedHere).toBe(1);
    expect(n.callees).toEqual([{ kind: 'database', name: 'orders', calls: 6, failed: 0 }]);
    expect(n.requests.map((r) => [r.name, r.requests, r.failed])).toEqual([
      ['GET /order/{id}', 6, 3],
      ['GET /health', 1, 0],
    ]);
    expect(n.instances.map((i) => [i.instance, i.requests])).toEqual([
      ['order-7d4f8b9c6-b5b5b', 4],
      ['order-7d4f8b9c6-x2x9z', 2],
      [null, 1],
    ]);
  });

  it('knows which kinds a name is used under', () => {
    const oracle = oracleOf([trace(server('orders', 'GET /x', client('orders', 'SELECT', { semantics: { dbSystem: 'postgresql', dbNamespace: 'orders' } })))]);
    expect(oracle.serviceKinds('orders')).toEqual(['service', 'database']);
    expect(oracle.serviceKinds('nobody')).toEqual([]);
  });
});

describe('traces list (DESIGN.md §3)', () => {
  it('lists traces newest first with root, start, duration, span and error counts, windowed on the first span', () => {
    const early = trace(server('frontend', 'GET /a', { startMs: -5, durationMs: 50 }, client('frontend', 'GET', { startMs: 10, durationMs: 100, status: 'error' })));
    const late = trace(server('frontend', 'GET /b', { startMs: 100, durationMs: 30 }));
    const outside = trace(server('frontend', 'GET /c', { startMs: 3_600_000 }));
    const rows = oracleOf([early, late, outside]).findTraces({ fromUnixNano: T0_UNIX_NANO - 10n * MS, toUnixNano: T0_UNIX_NANO + HOUR_NANOS, limit: 10 });
    expect(rows).toEqual([
      { traceId: '2'.padStart(32, '0'), rootKind: 'service', rootService: 'frontend', rootRequest: 'GET /b', startTimeUnixNano: T0_UNIX_NANO + 100n * MS, durationMs: 30, spanCount: 1, errorCount: 0 },
      // Duration runs to the latest end (the client span, 110 ms after the start at −5).
      { traceId: '1'.padStart(32, '0'), rootKind: 'service', rootService: 'frontend', rootRequest: 'GET /a', startTimeUnixNano: T0_UNIX_NANO - 5n * MS, durationMs: 115, spanCount: 2, errorCount: 1 },
    ]);
  });

  it('filters by service and request, failed only, duration and limit; reports a missing root as unknown', () => {
    const ok = trace(server('frontend', 'GET /a', { durationMs: 10 }, client('frontend', 'GET', server('order', 'GET /o'))));
    const failing = trace(server('frontend', 'GET /a', { startMs: 50, durationMs: 500 }, client('frontend', 'GET', server('order', 'GET /o', { status: 'error' }))));
    const headless = [span('order', 'server', 'GET /o', { id: 'c1', parent: 'lost', startMs: 80 })];
    const oracle = oracleOf([ok, failing, headless]);
    const q = { ...window, limit: 10 };
    const ids = (rows: { traceId: string }[]): string[] => rows.map((r) => r.traceId.replace(/^0+/, ''));
    expect(ids(oracle.findTraces({ ...q, service: { kind: 'service', name: 'order' } }))).toEqual(['3', '2', '1']);
    expect(ids(oracle.findTraces({ ...q, service: { kind: 'service', name: 'order' }, failedOnly: true }))).toEqual(['2']);
    expect(ids(oracle.findTraces({ ...q, minDurationMs: 100 }))).toEqual(['2']);
    expect(ids(oracle.findTraces({ ...q, maxDurationMs: 100 }))).toEqual(['3', '1']);
    expect(ids(oracle.findTraces({ ...q, limit: 1 }))).toEqual(['3']);
    expect(oracle.findTraces({ ...q, limit: 1 })[0]).toMatchObject({ rootKind: 'unknown', rootService: 'order', rootRequest: 'GET /o' });
  });
});
