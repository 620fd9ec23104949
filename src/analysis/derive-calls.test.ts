import { describe, expect, it } from 'vitest';
import type { ServiceCall } from '../model/call.js';
import { deriveCalls, type DerivationOptions } from './derive-calls.js';
import {
  T0_UNIX_NANO,
  browserApp,
  client,
  consumer,
  idOf,
  internal,
  producer,
  server,
  service,
  span,
  trace,
  unkinded,
} from './testing/trace-builder.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const DEFAULTS: DerivationOptions = { failureRules: [] };

function derive(spans: Parameters<typeof deriveCalls>[1], options: DerivationOptions = DEFAULTS): ServiceCall[] {
  return deriveCalls(TRACE, spans, options).calls;
}

/** `caller → kind:service "request"`, where the caller is the last path entry (`∅`: requests start here). */
function edges(calls: readonly ServiceCall[]): string[] {
  return calls.map((call) => {
    const caller = call.path.at(-1);
    return `${caller === undefined ? '∅' : `${caller.kind}:${caller.name}`} → ${call.kind}:${call.service} "${call.request}"`;
  });
}

function only(calls: readonly ServiceCall[], service: string): ServiceCall {
  const found = calls.filter((call) => call.service === service);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('call boundaries (DESIGN.md §2 "Service calls")', () => {
  it('starts a call at a span without parent: the request starts there (empty path)', () => {
    const calls = derive(trace(server('frontend', 'GET /checkout')));
    expect(edges(calls)).toEqual(['∅ → service:frontend "GET /checkout"']);
    expect(calls[0]!.path).toEqual([]);
  });

  it('starts a call where the parent belongs to another service, with or without span kinds', () => {
    const calls = derive(trace(unkinded('frontend', 'checkout', unkinded('cart', 'getCart', unkinded('cart', 'loadItems')))));
    expect(edges(calls)).toEqual(['∅ → service:frontend "checkout"', 'service:frontend → service:cart "getCart"']);
  });

  it('starts a call at a SERVER span under a CLIENT span of the same service (a service calling itself)', () => {
    const calls = derive(trace(server('api', 'GET /a', client('api', 'GET /b', server('api', 'GET /b')))));
    expect(edges(calls)).toEqual(['∅ → service:api "GET /a"', 'service:api → service:api "GET /b"']);
  });

  it('starts a call at a CONSUMER span under a PRODUCER span of the same service', () => {
    const calls = derive(trace(server('orders', 'POST /orders', producer('orders', 'orders publish', consumer('orders', 'orders process')))));
    expect(edges(calls)).toEqual(['∅ → service:orders "POST /orders"', 'service:orders → service:orders "orders process"']);
  });

  it('keeps every other span in the call of its parent (internal, client, and a SERVER span under an INTERNAL one)', () => {
    const spans = trace(
      server('api', 'GET /a', internal('api', 'validate', server('api', 'nested handler')), client('api', 'GET /b', server('backend', 'GET /b'))),
    );
    expect(edges(derive(spans))).toEqual(['∅ → service:api "GET /a"', 'service:api → service:backend "GET /b"']);
  });

  it('tells services apart by name and kind: an application and a service of the same name are two services', () => {
    const calls = derive(trace(unkinded(browserApp('shop'), 'click', unkinded(service('shop'), 'GET /api'))));
    expect(edges(calls)).toEqual(['∅ → application:shop "click"', 'application:shop → service:shop "GET /api"']);
  });

  it('takes the service of a span from its resource (service.name), not from its instance', () => {
    const a1 = service('cart', { 'service.instance.id': 'cart-1' });
    const a2 = service('cart', { 'service.instance.id': 'cart-2' });
    const calls = derive(trace(unkinded(a1, 'handle', unkinded(a2, 'continue'))));
    expect(edges(calls)).toEqual(['∅ → service:cart "handle"']);
    expect(calls[0]!.instance).toBe('cart-1');
  });
});

describe('synthetic calls into uninstrumented callees', () => {
  it('derives a database callee named db.namespace ?? db.name ?? the system', () => {
    const calls = derive(
      trace(
        server(
          'orders',
          'GET /orders',
          client('orders', 'SELECT orders', { semantics: { dbSystem: 'postgresql', dbNamespace: 'shop' } }),
          client('orders', 'GET', { semantics: { dbSystem: 'redis' } }),
        ),
      ),
    );
    expect(edges(calls)).toEqual([
      '∅ → service:orders "GET /orders"',
      'service:orders → database:shop "SELECT orders"',
      'service:orders → database:redis "GET"',
    ]);
  });

  it('derives a messaging callee named messaging.destination.name ?? the system', () => {
    const calls = derive(
      trace(
        server(
          'orders',
          'POST /orders',
          producer('orders', 'orders publish', { semantics: { messagingSystem: 'kafka', messagingDestination: 'orders' } }),
          producer('orders', 'publish', { semantics: { messagingSystem: 'rabbitmq' } }),
        ),
      ),
    );
    expect(edges(calls)).toEqual([
      '∅ → service:orders "POST /orders"',
      'service:orders → messaging:orders "orders publish"',
      'service:orders → messaging:rabbitmq "publish"',
    ]);
  });

  it('names an external callee peer.service ?? server.address ?? net.peer.name ?? host of the URL ?? unknown', () => {
    const calls = derive(
      trace(
        server(
          'api',
          'GET /pay',
          client('api', 'a', { semantics: { peerService: 'stripe', serverAddress: 'api.stripe.com', url: 'https://x.example/' } }),
          client('api', 'b', { semantics: { serverAddress: 'api.stripe.com', netPeerName: 'old.example' } }),
          client('api', 'c', { semantics: { netPeerName: 'old.example', url: 'https://x.example/' } }),
          client('api', 'd', { semantics: { url: 'https://maps.example.com:8443/v1?q=1' } }),
          client('api', 'e'),
          client('api', 'f', { semantics: { url: 'not a url' } }),
        ),
      ),
    );
    expect(edges(calls).slice(1)).toEqual([
      'service:api → external:stripe "a"',
      'service:api → external:api.stripe.com "b"',
      'service:api → external:old.example "c"',
      'service:api → external:maps.example.com "d"',
      'service:api → external:unknown "e"',
      'service:api → external:unknown "f"',
    ]);
  });

  it('prefers database over messaging over external when a span carries several', () => {
    const calls = derive(trace(client('api', 'q', { semantics: { dbSystem: 'mysql', messagingSystem: 'kafka', peerService: 'p' } })));
    expect(edges(calls)).toContain('service:api → database:mysql "q"');
  });

  it('derives no synthetic call when the client span has a child in another call', () => {
    const calls = derive(
      trace(server('api', 'GET /a', client('api', 'GET /b', { semantics: { peerService: 'backend' } }, server('backend', 'GET /b')))),
    );
    expect(calls.filter((call) => call.synthetic)).toEqual([]);
  });

  it('derives a synthetic call when the client span has children only in its own call', () => {
    const calls = derive(
      trace(server('api', 'GET /a', client('api', 'SELECT', { semantics: { dbSystem: 'mysql', dbNamespace: 'users' } }, internal('api', 'retry')))),
    );
    expect(edges(calls)).toEqual(['∅ → service:api "GET /a"', 'service:api → database:users "SELECT"']);
  });

  it('gives a synthetic call the client span as identity, name, start and duration, and no resource, instance or k8s context', () => {
    const api = service('api', { 'k8s.pod.name': 'api-7d4f8b9c6-x2x9z', 'host.name': 'n1' });
    const spans = trace(
      server(api, 'GET /a', client(api, 'SELECT users', { startMs: 5, durationMs: 3, semantics: { dbSystem: 'mysql', dbNamespace: 'users' } })),
    );
    const calls = derive(spans);
    const db = only(calls, 'users');
    expect(db).toMatchObject({
      traceId: TRACE,
      callId: idOf(spans, 'SELECT users'),
      synthetic: true,
      kind: 'database',
      request: 'SELECT users',
      resourceId: null,
      instance: null,
      k8s: { cluster: null, node: null, namespace: null, pod: null, workload: null },
      startTimeUnixNano: T0_UNIX_NANO + 5_000_000n,
      durationNanos: 3_000_000n,
      path: [{ kind: 'service', name: 'api', request: 'GET /a', callId: idOf(spans, 'GET /a') }],
    });
  });

  it('makes a call of a root CLIENT span and a synthetic call behind it, sharing the span id', () => {
    const spans = trace(client('cron', 'GET /sync', { semantics: { serverAddress: 'partner.example' } }));
    const calls = derive(spans);
    expect(edges(calls)).toEqual(['∅ → service:cron "GET /sync"', 'service:cron → external:partner.example "GET /sync"']);
    expect(calls.map((call) => [call.callId, call.synthetic])).toEqual([
      [spans[0]!.spanId, false],
      [spans[0]!.spanId, true],
    ]);
  });

  it('does not derive synthetic calls from SERVER, INTERNAL or kind-less spans', () => {
    const calls = derive(trace(server('a', 'x', { semantics: { dbSystem: 'pg' } }, internal('a', 'y', { semantics: { dbSystem: 'pg' } }), unkinded('a', 'z', { semantics: { peerService: 'p' } }))));
    expect(calls.filter((call) => call.synthetic)).toEqual([]);
  });
});

describe('request names and user actions', () => {
  it('names a call by the name of its starting span', () => {
    const calls = derive(trace(server('api', 'GET /orders/{id}', internal('api', 'load'))));
    expect(calls.map((call) => call.request)).toEqual(['GET /orders/{id}']);
  });

  it('names a browser user action with event_type, target_element and an id target_xpath', () => {
    const app = browserApp('shop-web');
    const calls = derive(
      trace(
        unkinded(app, 'click', { semantics: { eventType: 'click', targetElement: 'BUTTON', targetXpath: '//*[@id="checkout"]' } }, client(app, 'HTTP POST')),
      ),
    );
    expect(calls[0]).toMatchObject({ kind: 'application', service: 'shop-web', request: 'click on BUTTON#checkout' });
  });

  it.each([
    [{}, 'documentLoad'],
    [{ eventType: 'submit' }, 'submit'],
    [{ targetElement: 'A' }, 'documentLoad on A'],
    [{ eventType: 'click', targetElement: 'BUTTON', targetXpath: '//html/body/div/button[2]' }, 'click on BUTTON at //html/body/div/button[2]'],
    [{ eventType: 'click', targetXpath: '//*[@id="buy"]' }, 'click on #buy'],
    [{ eventType: 'click', targetXpath: '//html/body/a' }, 'click on //html/body/a'],
    [{ eventType: '', targetElement: '', targetXpath: '' }, 'documentLoad'],
  ])('user action with %o is named %s', (semantics, name) => {
    const calls = derive(trace(internal(browserApp('web'), 'documentLoad', { semantics })));
    expect(calls[0]!.request).toBe(name);
  });

  it('refines only the root span of an application: a later call of the application keeps its span name', () => {
    const app = browserApp('web');
    const calls = derive(trace(server('api', 'GET /', unkinded(app, 'click', { semantics: { eventType: 'click', targetElement: 'BUTTON' } }))));
    expect(only(calls, 'web').request).toBe('click');
  });

  it('leaves a service root span with interaction attributes alone', () => {
    const calls = derive(trace(server('api', 'GET /', { semantics: { eventType: 'click', targetElement: 'BUTTON' } })));
    expect(calls[0]!.request).toBe('GET /');
  });
});

describe('failed calls and failure reasons', () => {
  it('fails a call whose starting span has status ERROR', () => {
    const calls = derive(trace(internal('job', 'run', { status: 'error', message: 'disk full' })));
    expect(calls[0]).toMatchObject({ failed: true, failureReason: 'disk full' });
  });

  it('fails an HTTP server span with status UNSET and HTTP status ≥ 500, and reports the status code', () => {
    const calls = derive(trace(server('api', 'GET /', { http: 503 })));
    expect(calls[0]).toMatchObject({ failed: true, failureReason: '503' });
  });

  it('does not fail on HTTP ≥ 500 when the status is OK, or when the starting span is not a SERVER span', () => {
    const calls = derive(trace(server('api', 'GET /a', { http: 500, status: 'ok' }), internal('worker', 'poll', { http: 500 })));
    expect(calls.map((call) => call.failed)).toEqual([false, false]);
  });

  it('does not fail on HTTP 4xx by default, nor on errors inside the call that the starting span did not report', () => {
    const calls = derive(trace(server('api', 'GET /a', { http: 404 }, internal('api', 'lookup', { status: 'error' }))));
    expect(calls[0]).toMatchObject({ failed: false, failureReason: null });
  });

  it('fails a synthetic call whose client span has status ERROR or HTTP ≥ 500', () => {
    const calls = derive(
      trace(
        server(
          'api',
          'GET /',
          client('api', 'q1', { status: 'error', semantics: { dbSystem: 'pg', dbNamespace: 'a' } }),
          client('api', 'q2', { http: 502, status: 'ok', semantics: { peerService: 'b' } }),
          client('api', 'q3', { http: 404, semantics: { peerService: 'c' } }),
        ),
      ),
    );
    expect(calls.filter((call) => call.synthetic).map((call) => [call.service, call.failed, call.failureReason])).toEqual([
      ['a', true, 'error'],
      ['b', true, '502'],
      ['c', false, null],
    ]);
    expect(only(calls, 'api').failed).toBe(false);
  });

  it('gives as reason the status message, else the first exception "type: message", else the HTTP status, else "error"', () => {
    const exception = { exceptionType: 'TimeoutError', exceptionMessage: 'upstream took 30s' };
    const calls = derive(
      trace(
        server('a', 'r', { status: 'error', message: 'boom', http: 500, semantics: exception }),
        server('b', 'r', { status: 'error', http: 500 }, internal('b', 'inner', { semantics: exception })),
        server('c', 'r', { status: 'error', http: 500 }),
        server('d', 'r', { status: 'error' }),
        server('e', 'r', { status: 'error', semantics: { exceptionMessage: 'only a message' } }),
      ),
    );
    expect(calls.map((call) => call.failureReason)).toEqual(['boom', 'TimeoutError: upstream took 30s', '500', 'error', 'only a message']);
  });

  it('takes the first exception of the call by span start, not one of a nested call', () => {
    const spans = [
      span('a', 'server', 'r', { id: 'root', status: 'error' }),
      span('b', 'server', 'nested', { id: 'n', parent: 'root', startMs: 1, semantics: { exceptionType: 'Nested' } }),
      span('a', 'internal', 'late', { id: 'late', parent: 'root', startMs: 9, semantics: { exceptionType: 'Late' } }),
      span('a', 'internal', 'early', { id: 'early', parent: 'root', startMs: 2, semantics: { exceptionType: 'Early' } }),
    ];
    expect(only(derive(spans), 'a').failureReason).toBe('Early');
  });
});

describe('failure rules', () => {
  const spans = trace(server('x', 'GET /item', { http: 404 }), server('y', 'GET /item', { http: 404 }), server('x', 'GET /gone', { http: 500 }));

  it('adds a failure: 404 fails for service x only', () => {
    const calls = derive(spans, { failureRules: [{ service: 'x', httpStatusCodes: [404], failed: true }] });
    expect(calls.map((call) => [call.service, call.request, call.failed, call.failureReason])).toEqual([
      ['x', 'GET /item', true, '404'],
      ['y', 'GET /item', false, null],
      ['x', 'GET /gone', true, '500'],
    ]);
  });

  it('removes a failure: 500 is not a failure for x', () => {
    const calls = derive(spans, { failureRules: [{ service: 'x', httpStatusCodes: [500], failed: false }] });
    expect(calls.map((call) => call.failed)).toEqual([false, false, false]);
  });

  it('matches on request name, and without service on every service', () => {
    const calls = derive(spans, { failureRules: [{ request: 'GET /item', httpStatusCodes: [404], failed: true }] });
    expect(calls.map((call) => call.failed)).toEqual([true, true, true]);
  });

  it('lets the first matching rule decide', () => {
    const calls = derive(spans, {
      failureRules: [
        { service: 'y', httpStatusCodes: [404], failed: false },
        { httpStatusCodes: [404], failed: true },
      ],
    });
    expect(calls.map((call) => call.failed)).toEqual([true, false, true]);
  });

  it('reads an empty httpStatusCodes as "any status"', () => {
    const calls = derive(spans, { failureRules: [{ service: 'x', httpStatusCodes: [], failed: false }] });
    expect(calls.map((call) => call.failed)).toEqual([false, false, false]);
  });

  it('applies to synthetic calls by callee name and client span name', () => {
    const calls = derive(trace(server('a', 'r', client('a', 'GET /v1/charge', { http: 429, semantics: { peerService: 'stripe' } }))), {
      failureRules: [{ service: 'stripe', request: 'GET /v1/charge', httpStatusCodes: [429], failed: true }],
    });
    expect(only(calls, 'stripe')).toMatchObject({ failed: true, failureReason: '429' });
  });
});

describe('stack traces', () => {
  it('lists the stack traces of every span of the call in start order, and none of nested calls', () => {
    const spans = [
      span('a', 'server', 'r', { id: 'root', semantics: { stackTraces: ['at root'] } }),
      span('a', 'internal', 'second', { id: 's2', parent: 'root', startMs: 5, semantics: { stackTraces: ['at s2 (1)', 'at s2 (2)'] } }),
      span('a', 'internal', 'first', { id: 's1', parent: 'root', startMs: 3, semantics: { stackTraces: ['at s1'] } }),
      span('b', 'server', 'nested', { id: 'n', parent: 's1', startMs: 4, semantics: { stackTraces: ['at nested'] } }),
    ];
    const calls = derive(spans);
    expect(only(calls, 'a').stackTraces).toEqual(['at root', 'at s1', 'at s2 (1)', 'at s2 (2)']);
    expect(only(calls, 'b').stackTraces).toEqual(['at nested']);
  });

  it('gives a synthetic call the stack traces and exception of its client span', () => {
    const calls = derive(
      trace(
        server(
          'a',
          'r',
          client('a', 'SELECT', {
            status: 'error',
            semantics: { dbSystem: 'pg', exceptionType: 'PgError', exceptionMessage: 'deadlock', stackTraces: ['at query'] },
          }),
        ),
      ),
    );
    expect(only(calls, 'pg')).toMatchObject({ failureReason: 'PgError: deadlock', stackTraces: ['at query'] });
    expect(only(calls, 'a').stackTraces).toEqual(['at query']);
  });
});

describe('callers and call paths', () => {
  it('lists the calls from the root down to the caller, each with kind, name, request and call id', () => {
    const app = browserApp('shop-web');
    const spans = trace(
      unkinded(app, 'click', { semantics: { eventType: 'click', targetElement: 'BUTTON', targetXpath: '//*[@id="buy"]' } },
        client(app, 'HTTP POST',
          server('frontend', 'POST /buy',
            client('frontend', 'POST /charge',
              server('payment', 'POST /charge', { id: 'pay' },
                client('payment', 'INSERT', { semantics: { dbSystem: 'postgresql', dbNamespace: 'payments' } })))))),
    );
    const calls = derive(spans);
    expect(only(calls, 'payments').path).toEqual([
      { kind: 'application', name: 'shop-web', request: 'click on BUTTON#buy', callId: idOf(spans, 'click') },
      { kind: 'service', name: 'frontend', request: 'POST /buy', callId: idOf(spans, 'POST /buy') },
      { kind: 'service', name: 'payment', request: 'POST /charge', callId: 'pay' },
    ]);
    expect(only(calls, 'frontend').path.map((entry) => entry.name)).toEqual(['shop-web']);
  });

  it('gives a call whose parent never arrived the caller unknown', () => {
    const calls = derive([span('b', 'server', 'GET /b', { id: 'b1', parent: 'never-arrived' }), span('b', 'internal', 'x', { id: 'b2', parent: 'b1' }), span('c', 'server', 'GET /c', { id: 'c1', parent: 'b2' })]);
    expect(only(calls, 'b').path).toEqual([{ kind: 'unknown', name: 'unknown', request: '', callId: '' }]);
    expect(only(calls, 'c').path.map((entry) => entry.kind + ':' + entry.name)).toEqual(['unknown:unknown', 'service:b']);
  });
});

describe('referring page', () => {
  it('takes http.request.header.referer of the first service call of the path', () => {
    const calls = derive(
      trace(
        server('frontend', 'GET /cart', { semantics: { referer: 'https://shop.example/home' } },
          client('frontend', 'GET /price', server('pricing', 'GET /price', { semantics: { referer: 'https://internal/' } }))),
      ),
    );
    expect(calls.map((call) => call.referringPage)).toEqual(['https://shop.example/home', 'https://shop.example/home']);
  });

  it('falls back to the page URL of the browser user action at the root of the path', () => {
    const app = browserApp('shop-web');
    const calls = derive(
      trace(unkinded(app, 'click', { semantics: { url: 'https://shop.example/cart' } }, client(app, 'HTTP GET', server('frontend', 'GET /api/cart')))),
    );
    expect(calls.map((call) => [call.service, call.referringPage])).toEqual([
      ['shop-web', 'https://shop.example/cart'],
      ['frontend', 'https://shop.example/cart'],
    ]);
  });

  it('keeps the first service call first when an application call comes later on the path', () => {
    const app = browserApp('embedded-widget');
    const calls = derive(
      trace(
        server('portal', 'GET /', { semantics: { referer: 'https://portal.example/' } },
          unkinded(app, 'render', client(app, 'HTTP GET', server('api', 'GET /data', { semantics: { referer: 'https://widget.example/' } })))),
      ),
    );
    expect(only(calls, 'api').referringPage).toBe('https://portal.example/');
  });

  it('is null without either, and ignores referers of later service calls', () => {
    const calls = derive(trace(server('a', 'r', client('a', 'c', server('b', 'r', { semantics: { referer: 'https://late/' } })))));
    expect(calls.map((call) => call.referringPage)).toEqual([null, null]);
  });
});

describe('proxies', () => {
  it('lists configured proxy services on the path, in the order the request passed them', () => {
    const edge = service('edge', {}, true);
    const mesh = service('mesh', {}, true);
    const calls = derive(trace(server(edge, 'GET /', client(edge, 'fwd', server(mesh, 'GET /', client(mesh, 'fwd', server('api', 'GET /')))))));
    expect(calls.map((call) => [call.service, call.proxies])).toEqual([
      ['edge', []],
      ['mesh', ['edge']],
      ['api', ['edge', 'mesh']],
    ]);
  });

  it("recognises proxies by Envoy's upstream_cluster and by component = proxy", () => {
    const calls = derive(
      trace(
        server('envoy', 'ingress', { semantics: { upstreamCluster: 'outbound|80||api' } },
          client('envoy', 'egress', server('gateway', 'GET /', { semantics: { component: 'proxy' } }, client('gateway', 'fwd', server('api', 'GET /'))))),
      ),
    );
    expect(only(calls, 'api').proxies).toEqual(['envoy', 'gateway']);
  });

  it('adds the proxies x-forwarded-for and via name on entry spans (not the client address)', () => {
    const calls = derive(
      trace(server('api', 'GET /', { semantics: { forwardedFor: '203.0.113.7, 10.0.0.2, 10.0.0.3', via: '1.1 vegur, HTTP/1.1 cache-1 (squid)' } })),
    );
    expect(calls[0]!.proxies).toEqual(['10.0.0.2', '10.0.0.3', 'vegur', 'cache-1']);
  });

  it('hands proxies down to synthetic calls', () => {
    const calls = derive(trace(server(service('lb', {}, true), 'GET /', client('lb', 'fwd', { semantics: { serverAddress: 'legacy.example' } }))));
    expect(only(calls, 'legacy.example').proxies).toEqual(['lb']);
  });
});

describe('times and order', () => {
  it('takes start and duration of a call from its starting span, never negative', () => {
    const calls = derive([span('a', 'server', 'r', { id: 'x', startMs: 2, durationMs: 7.5 }), span('b', 'server', 'q', { id: 'y', startMs: 1, durationMs: -3 })]);
    expect(calls.map((call) => [call.service, call.startTimeUnixNano - T0_UNIX_NANO, call.durationNanos])).toEqual([
      ['b', 1_000_000n, 0n],
      ['a', 2_000_000n, 7_500_000n],
    ]);
  });

  it('returns calls ordered by start time, then call id, whatever the span order', () => {
    const spans = trace(server('a', 'r', { startMs: 0 }, client('a', 'c', { startMs: 1 }, server('b', 'r', { startMs: 2 }))));
    const forward = derive(spans);
    const backward = derive([...spans].reverse());
    expect(backward).toEqual(forward);
    expect(forward.map((call) => call.service)).toEqual(['a', 'b']);
  });

  it('derives nothing from no spans', () => {
    expect(deriveCalls(TRACE, [], DEFAULTS)).toEqual({ calls: [], anomalies: [] });
  });
});
