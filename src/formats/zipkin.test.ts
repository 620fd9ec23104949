import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SpanKind, StatusCode } from '../model/otlp.js';
import type { OtlpTraceRequest } from '../model/otlp.js';
import { flattenSpans } from '../../test/support/otlp-view.js';
import type { SpanView } from '../../test/support/otlp-view.js';
import { zipkinToOtlp } from './zipkin.js';

const ZIPKIN_DIR = fileURLToPath(new URL('../../../shared/testdata/zipkin-lens-testdata/', import.meta.url));
const rawFile = (name: string): unknown[] => JSON.parse(readFileSync(ZIPKIN_DIR + name, 'utf8')) as unknown[];

function convert(input: unknown): { request: OtlpTraceRequest; spans: SpanView[]; warnings: string[] } {
  const result = zipkinToOtlp(input);
  if (!result.ok) throw new Error(result.error);
  return { request: result.request, spans: flattenSpans(result.request), warnings: result.warnings };
}

const byId = (spans: readonly SpanView[], id: string): SpanView => {
  const found = spans.find((s) => s.spanId === id);
  if (found === undefined) throw new Error(`no span ${id}`);
  return found;
};
const parentOf = (spans: readonly SpanView[], span: SpanView): SpanView => byId(spans, span.parentSpanId);

describe('zipkinToOtlp on zipkin-lens test data', () => {
  const files = readdirSync(ZIPKIN_DIR).filter((f) => f.endsWith('.json'));

  it.each(files)('%s imports without warnings, with unique ids and sane times', (file) => {
    const { spans, warnings } = convert(rawFile(file));
    expect(warnings).toEqual([]);
    expect(spans.length).toBeGreaterThan(0);
    expect(new Set(spans.map((s) => `${s.traceId}/${s.spanId}`)).size).toBe(spans.length);
    for (const s of spans) {
      expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(s.end).toBeGreaterThanOrEqual(s.start);
      expect(s.start).toBeGreaterThan(1_400_000_000_000_000_000n); // 2014: real epoch times in ns
      expect(s.scope).toBe('zipkin');
    }
  });

  describe('smartthings-mobile-web-install.json (1041 entries, B3 shared spans, fragments)', () => {
    const raw = rawFile('smartthings-mobile-web-install.json') as {
      id: string;
      kind?: string;
      timestamp?: number;
      localEndpoint: { serviceName: string };
    }[];
    const { request, spans } = convert(raw);
    const inputIds = new Set(raw.map((s) => s.id));

    it('merges fragments into 953 spans of one trace in 16 services', () => {
      expect(raw).toHaveLength(1041);
      expect(spans).toHaveLength(953);
      expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set(['000000000000000014b60fd9ae504820']));
      expect(request.resourceSpans).toHaveLength(16);
      expect(new Set(spans.map((s) => s.service))).toEqual(
        new Set(['account', 'alice', 'auth', 'bookie', 'bouncer', 'coreSrv', 'dove', 'execution', 'gizmo', 'guardian',
          'oreck', 'paperboy', 'platformapi', 'pusher', 'stLogin', 'strongman']),
      );
    });

    it('has one root, and every parent is in the trace', () => {
      const roots = spans.filter((s) => s.parentSpanId === '');
      expect(roots.map((r) => [r.service, r.name, r.spanId, r.kind])).toEqual([
        ['coreSrv', 'get /login/tokenauth', '14b60fd9ae504820', SpanKind.SERVER],
      ]);
      const ids = new Set(spans.map((s) => s.spanId));
      expect(spans.filter((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId))).toEqual([]);
    });

    it('gives each server span that shared its client span id a new id, under that client', () => {
      const reidentified = spans.filter((s) => !inputIds.has(s.spanId));
      // 290 ids were reported by both a client and a server (205 + 84 with a kind-less fragment + 1 with five server fragments).
      expect(reidentified).toHaveLength(290);
      for (const server of reidentified) {
        expect(server.kind).toBe(SpanKind.SERVER);
        const client = parentOf(spans, server);
        expect(client.kind).toBe(SpanKind.CLIENT);
        expect(raw.some((r) => r.id === client.spanId && r.kind === 'SERVER' && r.localEndpoint.serviceName === server.service)).toBe(true);
      }
    });

    it('keeps the chain bouncer → pusher → pusher-local → pusher client, with the shared server in between', () => {
      // bouncer "send iot-events360" (client, id cbab…) → pusher "receive iot-events360" (5 server fragments from
      // two hosts, one id) → pusher "process.archiver" (017b…, parent id cbab…) → pusher "post /events" client.
      const bouncerClient = byId(spans, 'cbab506b53f336fc');
      expect([bouncerClient.service, bouncerClient.name, bouncerClient.kind]).toEqual(['bouncer', 'send iot-events360', SpanKind.CLIENT]);
      const pusherServers = spans.filter((s) => s.parentSpanId === bouncerClient.spanId && s.service === 'pusher' && s.kind === SpanKind.SERVER);
      expect(pusherServers).toHaveLength(1);
      const pusherServer = pusherServers[0]!;
      expect(pusherServer.name).toBe('receive iot-events360');
      const fragments = raw.filter((r) => r.id === 'cbab506b53f336fc' && r.localEndpoint.serviceName === 'pusher');
      expect(fragments).toHaveLength(5);
      const earliest = Math.min(...fragments.map((f) => f.timestamp ?? Infinity));
      expect(pusherServer.start).toBe(BigInt(earliest) * 1000n);
      const archiver = byId(spans, '017bfc73a014d42c');
      expect([archiver.service, archiver.name, archiver.parentSpanId]).toEqual(['pusher', 'process.archiver', pusherServer.spanId]);
      expect(byId(spans, '60e1ace16723844a').parentSpanId).toBe(archiver.spanId);
      // pusher's process.oreck span calls oreck; oreck's shared server span sits under pusher's client span.
      const oreckClient = byId(spans, '10e33f54b04eac0b');
      expect([oreckClient.service, oreckClient.kind, parentOf(spans, oreckClient).name]).toEqual(['pusher', SpanKind.CLIENT, 'process.oreck']);
      const oreckServer = spans.find((s) => s.parentSpanId === oreckClient.spanId && s.service === 'oreck');
      expect([oreckServer?.name, oreckServer?.kind]).toEqual(['post /events', SpanKind.SERVER]);
    });

    it('sees the 8 immediate callers of auth that the issue text names', () => {
      const callers = new Set(
        spans
          .filter((s) => s.service === 'auth' && s.kind === SpanKind.SERVER)
          .map((s) => parentOf(spans, s).service),
      );
      expect(callers).toEqual(new Set(['account', 'bookie', 'bouncer', 'coreSrv', 'execution', 'paperboy', 'stLogin', 'strongman']));
    });

    it('marks the two 404 spans as errors with the error tag as message', () => {
      const errors = spans.filter((s) => s.status.code === StatusCode.ERROR);
      expect(errors.map((s) => s.status.message)).toEqual(['404', '404']);
      for (const s of errors) expect(s.attributes['error']).toBeUndefined();
    });
  });

  it('smartthings-oauth-authorization.json: a service calling itself keeps client and server apart', () => {
    const { spans } = convert(rawFile('smartthings-oauth-authorization.json'));
    expect(spans).toHaveLength(171); // 163 (trace, id, service) keys + 8 self-calls split into client and server
    expect(new Set(spans.map((s) => s.service)).size).toBe(8);
    const client = byId(spans, 'c2fac1d86e52d441');
    expect([client.service, client.kind, client.name]).toEqual(['datamgmt', SpanKind.CLIENT, 'authorize']);
    const server = spans.filter((s) => s.parentSpanId === client.spanId && s.kind === SpanKind.SERVER);
    expect(server.map((s) => s.service)).toEqual(['datamgmt']);
    expect(server[0]!.start).toBe(1543334727098066n * 1000n);
  });

  it('skew.json: the shared server and its local child move under the client; recorded times are kept', () => {
    const { spans } = convert(rawFile('skew.json'));
    const client = byId(spans, '74280ae0c10d8062');
    expect([client.service, client.kind]).toEqual(['servicea', SpanKind.CLIENT]);
    expect(parentOf(spans, client).name).toBe('get');
    const server = spans.find((s) => s.service === 'serviceb' && s.kind === SpanKind.SERVER)!;
    expect(server.parentSpanId).toBe(client.spanId);
    expect(server.spanId).not.toBe('74280ae0c10d8062');
    const async = byId(spans, '43210ae0c10d1234');
    expect(async.parentSpanId).toBe(server.spanId);
    // Clock skew is the analyses' business (DESIGN.md §2); the importer keeps what was recorded.
    expect(server.start).toBeLessThan(client.start);
  });

  it('messaging.json: producer and consumer keep their own ids, the broker is peer.service, endpoints become network attributes', () => {
    const { spans } = convert(rawFile('messaging.json'));
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set(['5aab74dbb904746bb33447baae403ed6']));
    const producer = byId(spans, '05e3ac9a4f6e3b90');
    expect([producer.service, producer.kind, producer.attributes['peer.service']]).toEqual(['frontend', SpanKind.PRODUCER, 'rabbitmq']);
    const consumer = byId(spans, 'e457b5a2e4d86bd1');
    expect([consumer.service, consumer.kind, consumer.parentSpanId]).toEqual(['backend', SpanKind.CONSUMER, producer.spanId]);
    expect(consumer.attributes).toMatchObject({ 'peer.service': 'rabbitmq', 'rabbit.queue': 'backend', 'network.local.address': '192.168.0.10' });
    const server = byId(spans, 'b33447baae403ed6');
    // The remote endpoint of a server span is its client.
    expect(server.attributes).toMatchObject({ 'client.address': '::1', 'client.port': 54602n, 'network.peer.address': '::1' });
    expect(server.attributes['server.address']).toBeUndefined();
    expect(byId(spans, '4ad2db84ac76def7').kind).toBe(SpanKind.UNSPECIFIED);
  });

  it('simple-db-p6.json: four JDBC client spans to app_db under the HTTP server span', () => {
    const { request, spans } = convert(rawFile('simple-db-p6.json'));
    expect(request.resourceSpans).toHaveLength(1);
    const root = byId(spans, '19f84f102048e047');
    expect([root.parentSpanId, root.kind, root.attributes['http.url']]).toEqual(['', SpanKind.SERVER, 'http://localhost:9777/book']);
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients).toHaveLength(4);
    for (const c of clients) {
      expect(c.parentSpanId).toBe(root.spanId);
      expect(c.attributes['peer.service']).toBe('app_db');
      expect(c.attributes['sql.query']).toMatch(/^(insert|call)/);
    }
  });

  it('envoy.json: a proxy span without a service name has a resource without service.name and keeps its id', () => {
    const { request, spans } = convert(rawFile('envoy.json'));
    expect(request.resourceSpans[0]!.resource.attributes).toEqual([]);
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    expect([span.spanId, span.parentSpanId, span.kind]).toEqual(['978883983d506fa5', '', SpanKind.SERVER]);
    expect(span.attributes).toMatchObject({ component: 'proxy', upstream_cluster: 'service_google', 'http.status_code': '200' });
    expect(span.end - span.start).toBe(127115n * 1000n);
  });

  it('messaging-kafka.json: error tags become ERROR, an empty error tag an empty message', () => {
    const { spans } = convert(rawFile('messaging-kafka.json'));
    const errors = spans.filter((s) => s.status.code === StatusCode.ERROR);
    expect(errors.map((s) => [s.service, s.status.message])).toEqual([
      ['serviceb', 'some error'],
      ['serviceb', 'some error'],
      ['serviceb', ''],
    ]);
  });

  it('messaging2.json: spans whose parents were never reported keep those parent ids', () => {
    const { spans } = convert(rawFile('messaging2.json'));
    const ids = new Set(spans.map((s) => s.spanId));
    const orphans = spans.filter((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId));
    expect(new Set(orphans.map((s) => s.parentSpanId))).toEqual(new Set(['0153a596db406c83', '0153a596db406111']));
    expect(orphans).toHaveLength(6);
  });
});

describe('zipkinToOtlp rules on small inputs', () => {
  const base = { traceId: 'a1', localEndpoint: { serviceName: 'svc' } };

  it('rejects a top level that is not an array', () => {
    expect(zipkinToOtlp({ spans: [] })).toEqual({ ok: false, error: expect.stringContaining('not an array') });
  });

  it('skips entries with bad ids, with a warning naming them', () => {
    const result = zipkinToOtlp([
      { ...base, id: 'zz' },
      { ...base },
      { ...base, id: '0000000000000000' },
      'garbage',
      { ...base, id: 'b1', timestamp: 10, duration: 5 },
    ]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(flattenSpans(result.request).map((s) => s.spanId)).toEqual(['00000000000000b1']);
    expect(result.warnings).toHaveLength(4);
    expect(result.warnings[0]).toContain('"zz"');
  });

  it('reads an array of traces (what /api/v2/traces returns)', () => {
    const { spans } = convert([[{ ...base, id: '1', timestamp: 1 }], [{ ...base, traceId: 'b2', id: '2', timestamp: 2 }]]);
    expect(spans.map((s) => s.traceId)).toEqual(['000000000000000000000000000000a1', '000000000000000000000000000000b2']);
  });

  it('widens a 64-bit trace id to the 128-bit id of the same trace', () => {
    const { spans } = convert([
      { ...base, traceId: '463ac35c9f6413ad48485a3953bb6124', id: '1', timestamp: 1 },
      { ...base, traceId: '48485a3953bb6124', id: '2', parentId: '1', timestamp: 2 },
    ]);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set(['463ac35c9f6413ad48485a3953bb6124']));
  });

  it('merges fragments: earliest timestamp, longest duration, union of tags and annotations, the kind that is set', () => {
    const { spans } = convert([
      { ...base, id: '1', name: 'get', timestamp: 2000, duration: 10, tags: { a: '1' }, annotations: [{ timestamp: 2005, value: 'ws' }] },
      { ...base, id: '1', kind: 'SERVER', timestamp: 1000, duration: 50, tags: { b: '2' }, annotations: [{ timestamp: 2005, value: 'ws' }, { timestamp: 1001, value: 'wr' }] },
    ]);
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    expect([span.name, span.kind, span.start, span.end]).toEqual(['get', SpanKind.SERVER, 1_000_000n, 1_050_000n]);
    expect(span.attributes).toEqual({ a: '1', b: '2' });
    expect(span.span.events.map((e) => [e.name, e.timeUnixNano])).toEqual([['wr', 1_001_000n], ['ws', 2_005_000n]]);
  });

  it('derives the same new id on every import, distinct from all ids of the trace', () => {
    const input = [
      { ...base, id: '1', kind: 'CLIENT', timestamp: 1, localEndpoint: { serviceName: 'a' } },
      { ...base, id: '1', kind: 'SERVER', timestamp: 2, localEndpoint: { serviceName: 'b' } },
      { ...base, id: '2', parentId: '1', timestamp: 3, localEndpoint: { serviceName: 'b' } },
      { ...base, id: '3', parentId: '1', timestamp: 4, localEndpoint: { serviceName: 'c' } },
    ];
    const first = convert(input).spans;
    expect(convert(input).spans.map((s) => s.spanId)).toEqual(first.map((s) => s.spanId));
    const server = first.find((s) => s.service === 'b' && s.kind === SpanKind.SERVER)!;
    expect(server.spanId).not.toMatch(/^000000000000000[123]$/);
    expect(server.parentSpanId).toBe('0000000000000001');
    // b's local child follows b's server span; c (no server span of its own for id 1) stays under the client.
    expect(first.find((s) => s.service === 'b' && s.kind === SpanKind.UNSPECIFIED)!.parentSpanId).toBe(server.spanId);
    expect(first.find((s) => s.service === 'c')!.parentSpanId).toBe('0000000000000001');
  });

  it('shares ids for CONSUMER/PRODUCER too, and without the shared flag', () => {
    const { spans } = convert([
      { ...base, id: '1', kind: 'PRODUCER', timestamp: 1, localEndpoint: { serviceName: 'a' } },
      { ...base, id: '1', kind: 'CONSUMER', timestamp: 2, localEndpoint: { serviceName: 'b' } },
    ]);
    expect(spans.map((s) => [s.service, s.parentSpanId === '' ? 'root' : s.parentSpanId])).toEqual([
      ['a', 'root'],
      ['b', '0000000000000001'],
    ]);
  });

  it('fills a missing timestamp from the nearest timed ancestor, and a missing duration with 0', () => {
    const { spans } = convert([
      { ...base, id: '1', timestamp: 5000, duration: 100 },
      { ...base, id: '2', parentId: '1' },
      { ...base, id: '3', parentId: '2', duration: 7 },
      { ...base, id: '4', parentId: '4' },
    ]);
    const view = Object.fromEntries(spans.map((s) => [s.spanId.slice(-1), [s.start, s.end, s.parentSpanId.slice(-1)]]));
    expect(view).toEqual({
      '1': [5_000_000n, 5_100_000n, ''],
      '2': [5_000_000n, 5_000_000n, '1'],
      '3': [5_000_000n, 5_007_000n, '2'],
      '4': [5_000_000n, 5_000_000n, ''], // own parent: read as a root, timed by the trace's earliest timestamp
    });
  });

  it('maps status tags as OpenTelemetry’s Zipkin exporter writes them, and scope tags to the scope', () => {
    const { request, spans } = convert([
      { ...base, id: '1', timestamp: 1, tags: { 'otel.status_code': 'ERROR', error: 'boom', 'otel.scope.name': 'io.opentelemetry.http', 'otel.scope.version': '1.2' } },
      { ...base, id: '2', timestamp: 1, tags: { 'otel.status_code': 'OK' } },
      { ...base, id: '3', timestamp: 1, tags: { error: '' } },
      { ...base, id: '4', timestamp: 1, debug: true, remoteEndpoint: { serviceName: 'db', ipv4: '10.1.1.1', port: 5432 }, kind: 'CLIENT' },
    ]);
    expect(spans.map((s) => [s.status.code, s.status.message])).toEqual([
      [StatusCode.ERROR, 'boom'],
      [StatusCode.OK, ''],
      [StatusCode.ERROR, ''],
      [StatusCode.UNSET, ''],
    ]);
    expect(request.resourceSpans[0]!.scopeSpans.map((ss) => [ss.scope.name, ss.scope.version])).toEqual([
      ['io.opentelemetry.http', '1.2'],
      ['zipkin', ''],
    ]);
    expect(spans[0]!.attributes).toEqual({});
    expect(spans[3]!.attributes).toEqual({
      'peer.service': 'db',
      'network.peer.address': '10.1.1.1',
      'server.address': '10.1.1.1',
      'network.peer.port': 5432n,
      'server.port': 5432n,
      'zipkin.debug': true,
    });
  });
});

describe('zipkinToOtlp on hostile input (regressions found by fuzzing)', () => {
  const deep = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`);

  it('reads a tag value nested 100,000 deep (JSON.parse builds it; JSON.stringify used to overflow the stack)', () => {
    const { spans, warnings } = convert([{ traceId: '1', id: '2', timestamp: 1, tags: { a: deep(100_000) } }]);
    expect(warnings).toEqual([]);
    expect(String(spans[0]!.attributes['a'])).toMatch(/^\[\[\[.*…\].*\]$/);
  });

  it('warns with a short preview about an id nested 100,000 deep', () => {
    const { warnings } = convert([{ traceId: deep(100_000), id: '2', timestamp: 1 }, { traceId: '1', id: '3', timestamp: 1 }]);
    expect(warnings[0]).toBe('span #0: traceId [[[[[[[[[…]]]]]]]]] is not 1–32 hex digits (non-zero); skipped');
  });

  it('ignores timestamps and durations past the year 2255 instead of wrapping them around uint64', () => {
    const { spans, warnings } = convert([
      { traceId: '1', id: '2', timestamp: 18_446_744_073_709_540, duration: 1 },
      { traceId: '1', id: '3', parentId: '2', timestamp: 1_700_000_000_000_000, duration: 1e300 },
    ]);
    expect(warnings).toEqual([
      'span #0 (0000000000000002): timestamp 18446744073709540 ignored',
      'span #1 (0000000000000003): duration 1e+300 ignored',
    ]);
    for (const span of spans) expect(span.start).toBe(1_700_000_000_000_000_000n);
  });
});
