/** Synthetic calls into uninstrumented callees (databases, messaging, external hosts), DESIGN.md §2. */
import { describe, expect, it } from 'vitest';
import { TRACE, derive, edges, only } from './testing/derive-helpers.js';
import { T0_UNIX_NANO, client, idOf, internal, producer, server, service, span, trace, unkinded } from './testing/trace-builder.js';

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
