import { describe, expect, it } from 'vitest';
import type { AnyValue, KeyValue, OtlpEvent, OtlpSpan } from '../model/otlp.js';
import { decodeTraceRequest } from './decode-request.js';
import { encodeTraceRequest } from './encode.js';
import { semanticsOfSpan } from './semantics.js';
import type { SpanSemantics } from '../model/semantics.js';

const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });
const s = (stringValue: string): AnyValue => ({ stringValue });

function span(attributes: KeyValue[], events: OtlpEvent[] = []): OtlpSpan {
  return {
    traceId: new Uint8Array(16).fill(1),
    spanId: new Uint8Array(8).fill(1),
    traceState: '',
    parentSpanId: new Uint8Array(0),
    flags: 0,
    name: 'x',
    kind: 3,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes,
    droppedAttributesCount: 0,
    events,
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}

const exception = (attributes: KeyValue[], name = 'exception'): OtlpEvent => ({ timeUnixNano: 5n, name, attributes, droppedAttributesCount: 0 });

/** Semantics from both decoders; they must agree. */
function semantics(attributes: KeyValue[], events: OtlpEvent[] = []): SpanSemantics | undefined {
  const model = span(attributes, events);
  const slow = semanticsOfSpan(model);
  const outcome = decodeTraceRequest(
    encodeTraceRequest({
      resourceSpans: [
        {
          resource: { attributes: [], droppedAttributesCount: 0 },
          scopeSpans: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, spans: [model], schemaUrl: '' }],
          schemaUrl: '',
        },
      ],
    }),
  );
  if (!outcome.ok) throw new Error(outcome.error);
  expect(outcome.batch.semantics[0]).toEqual(slow);
  return slow;
}

describe('span semantics', () => {
  it('is undefined for a span without semantic attributes or exceptions', () => {
    expect(semantics([kv('http.route', s('/x')), kv('thread.name', s('main'))])).toBeUndefined();
    expect(semantics([], [exception([kv('other', s('x'))], 'log')])).toBeUndefined();
  });

  it('prefers the stable key over the deprecated one in either order', () => {
    const stable = kv('http.response.status_code', { intValue: 503n });
    const old = kv('http.status_code', { intValue: 200n });
    expect(semantics([old, stable])).toEqual({ httpStatusCode: 503 });
    expect(semantics([stable, old])).toEqual({ httpStatusCode: 503 });
    expect(semantics([kv('db.system', s('mysql')), kv('db.system.name', s('postgresql'))])).toEqual({ dbSystem: 'postgresql' });
    expect(semantics([kv('http.url', s('http://old')), kv('url.full', s('http://new'))])).toEqual({ url: 'http://new' });
    expect(semantics([kv('db.name', s('a')), kv('db.namespace', s('b'))])).toEqual({ dbNamespace: 'b' });
  });

  it('falls back to the deprecated key when the stable one has an unusable value', () => {
    expect(semantics([kv('http.response.status_code', { boolValue: true }), kv('http.status_code', s('404'))])).toEqual({ httpStatusCode: 404 });
  });

  it('turns int, double and digit-string status codes into numbers and ignores other strings', () => {
    expect(semantics([kv('http.response.status_code', s('503'))])).toEqual({ httpStatusCode: 503 });
    expect(semantics([kv('http.response.status_code', { doubleValue: 502 })])).toEqual({ httpStatusCode: 502 });
    expect(semantics([kv('http.status_code', { intValue: 404n })])).toEqual({ httpStatusCode: 404 });
    expect(semantics([kv('http.response.status_code', s('5xx'))])).toBeUndefined();
  });

  it('takes the first string of an array for header keys, and only for those', () => {
    const header = { arrayValue: { values: [{ intValue: 1n }, s('https://shop/cart'), s('https://other')] } };
    expect(semantics([kv('http.request.header.referer', header)])).toEqual({ referer: 'https://shop/cart' });
    expect(semantics([kv('http.request.header.x-forwarded-for', { arrayValue: { values: [s('10.0.0.1, 10.0.0.2')] } })])).toEqual({
      forwardedFor: '10.0.0.1, 10.0.0.2',
    });
    expect(semantics([kv('http.request.header.via', s('1.1 envoy'))])).toEqual({ via: '1.1 envoy' });
    expect(semantics([kv('peer.service', { arrayValue: { values: [s('x')] } })])).toBeUndefined();
  });

  it('reads every string field', () => {
    const all: KeyValue[] = [
      kv('messaging.system', s('kafka')),
      kv('messaging.destination.name', s('orders')),
      kv('peer.service', s('payments')),
      kv('server.address', s('db.local')),
      kv('net.peer.name', s('legacy.local')),
      kv('upstream_cluster', s('outbound|8080||cart')),
      kv('component', s('proxy')),
      kv('event_type', s('click')),
      kv('target_element', s('BUTTON')),
      kv('target_xpath', s('//*[@id="checkout"]')),
    ];
    expect(semantics(all)).toEqual({
      messagingSystem: 'kafka',
      messagingDestination: 'orders',
      peerService: 'payments',
      serverAddress: 'db.local',
      netPeerName: 'legacy.local',
      upstreamCluster: 'outbound|8080||cart',
      component: 'proxy',
      eventType: 'click',
      targetElement: 'BUTTON',
      targetXpath: '//*[@id="checkout"]',
    });
  });

  it('takes type and message of the first exception event and the stack traces of all', () => {
    const events = [
      exception([kv('exception.type', s('TimeoutError')), kv('exception.message', s('took too long')), kv('exception.stacktrace', s('at a()'))]),
      exception([kv('message', s('not an exception'))], 'log'),
      exception([kv('exception.type', s('Other')), kv('exception.stacktrace', s('at b()'))]),
    ];
    expect(semantics([], events)).toEqual({
      exceptionType: 'TimeoutError',
      exceptionMessage: 'took too long',
      stackTraces: ['at a()', 'at b()'],
    });
  });

  it('combines attributes and exceptions', () => {
    expect(semantics([kv('db.system.name', s('redis'))], [exception([kv('exception.stacktrace', { intValue: 3n }), kv('exception.stacktrace', s('trace'))])])).toEqual({
      dbSystem: 'redis',
      stackTraces: ['trace'],
    });
  });
});
