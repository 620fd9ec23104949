/** The call boundaries, request names, caller paths and order of `deriveCalls` (DESIGN.md §2). */
import { describe, expect, it } from 'vitest';
import { deriveCalls } from './derive-calls.js';
import { TRACE, DEFAULTS, derive, edges, only } from './testing/derive-helpers.js';
import { T0_UNIX_NANO, browserApp, client, consumer, idOf, internal, producer, server, service, span, trace, unkinded } from './testing/trace-builder.js';

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
