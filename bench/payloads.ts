/**
 * Realistic, deterministic OTLP trace requests for benchmarks: several Kubernetes services with
 * full resource attributes, traces whose spans hop between them (SERVER → CLIENT → SERVER …),
 * database client spans, ~10 attributes per span and the occasional exception event.
 */
import type { KeyValue, OtlpResourceSpans, OtlpSpan, OtlpTraceRequest } from '../src/model/otlp.js';
import { SpanKind, StatusCode } from '../src/model/otlp.js';

export interface PayloadOptions {
  /** Traces in the request. Default 100. */
  readonly traces?: number;
  /** Spans per trace. Default 10. */
  readonly spansPerTrace?: number;
  /** Services (one resource each). Default 6. */
  readonly services?: number;
  /** Seed of the deterministic generator. Default 1. */
  readonly seed?: number;
  /** Start of the first trace. Default 2026-01-01T00:00:00Z. */
  readonly startTimeUnixNano?: bigint;
  /** Fraction of traces whose deepest server span fails with an exception. Default 0.05. */
  readonly errorRate?: number;
  /**
   * Every hop picks its callee and its route at random (the payload before session 9), instead of
   * following the call graph of `callGraph`. Nearly every trace then has call paths of its own
   * (18 routes per hop: ~6,200 distinct paths in 13,600 calls), which no real topology has: a
   * worst case for the path dictionary. Default false.
   */
  readonly randomRoutes?: boolean;
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same payload everywhere. */
export function makeRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: BigInt(value) } });

const SERVICE_NAMES = ['frontend', 'checkout', 'cart', 'payment', 'shipping', 'catalog', 'recommendation', 'email', 'currency', 'ad'];
const DB_SYSTEMS = ['postgresql', 'redis', 'mysql', 'mongodb'];
const ROUTES = ['/api/orders/{id}', '/api/cart', '/api/checkout', '/api/products/{id}', '/api/recommendations', '/api/payment/charge'];
const METHODS = ['GET', 'POST', 'PUT'];

function resourceAttributes(service: string, index: number, rnd: () => number): KeyValue[] {
  const hash = Math.floor(rnd() * 0xffffffff).toString(16).padStart(8, '0');
  const pod = `${service}-${hash.slice(0, 6)}-${hash.slice(6)}x${index}`;
  return [
    str('service.name', service),
    str('service.namespace', 'shop'),
    str('service.version', `1.${index}.${Math.floor(rnd() * 20)}`),
    str('service.instance.id', `${pod}-${hash}`),
    str('deployment.environment.name', 'production'),
    str('k8s.cluster.name', 'prod-eu-west-1'),
    str('k8s.namespace.name', 'shop'),
    str('k8s.deployment.name', service),
    str('k8s.replicaset.name', `${service}-${hash.slice(0, 6)}`),
    str('k8s.pod.name', pod),
    str('k8s.pod.uid', `${hash}-1b2c-4d5e-8f90-${hash}abcd`),
    str('k8s.node.name', `ip-10-0-${index}-${Math.floor(rnd() * 250)}.eu-west-1.compute.internal`),
    str('container.id', `${hash}${hash}${hash}${hash}${hash}${hash}${hash}${hash}`),
    str('host.name', pod),
    int('process.pid', 1 + Math.floor(rnd() * 60000)),
    str('process.runtime.name', 'nodejs'),
    str('process.runtime.version', '20.20.0'),
    str('telemetry.sdk.name', 'opentelemetry'),
    str('telemetry.sdk.language', 'nodejs'),
    str('telemetry.sdk.version', '2.12.1'),
  ];
}

function randomBytes(rnd: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
  if (out.every((b) => b === 0)) out[0] = 1;
  return out;
}

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)]!;
}

/** An endpoint a hop calls: a route of a service. */
interface Endpoint {
  readonly service: number;
  readonly method: string;
  readonly route: string;
}

const graphs = new Map<number, readonly (readonly Endpoint[])[]>();

/**
 * The call graph of `serviceCount` services: each endpoint (service, method, route) calls one
 * fixed endpoint of another service, as a real service's handler calls the same downstream
 * routes every time. Indexed by service, then `endpointIndex`. The same for every request and
 * client (its own seed), so traces entering at the same route follow the same chain.
 */
function callGraph(serviceCount: number): readonly (readonly Endpoint[])[] {
  let graph = graphs.get(serviceCount);
  if (graph === undefined) {
    const rnd = makeRandom(0x5eed);
    graph = Array.from({ length: serviceCount }, (_, service) =>
      Array.from({ length: METHODS.length * ROUTES.length }, () => ({
        service: (service + 1 + Math.floor(rnd() * (serviceCount - 1))) % serviceCount,
        method: pick(rnd, METHODS),
        route: pick(rnd, ROUTES),
      })),
    );
    graphs.set(serviceCount, graph);
  }
  return graph;
}

function endpointIndex(method: string, route: string): number {
  return METHODS.indexOf(method) * ROUTES.length + ROUTES.indexOf(route);
}

const EMPTY = new Uint8Array(0);

function baseSpan(fields: Partial<OtlpSpan> & Pick<OtlpSpan, 'traceId' | 'spanId' | 'name' | 'kind' | 'startTimeUnixNano' | 'endTimeUnixNano'>): OtlpSpan {
  return {
    traceState: '',
    parentSpanId: EMPTY,
    flags: 0x101,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: StatusCode.UNSET, message: '' },
    ...fields,
  };
}

/** Builds one `ExportTraceServiceRequest` with `traces × spansPerTrace` spans. */
export function makeTraceRequest(opts: PayloadOptions = {}): OtlpTraceRequest {
  const traces = opts.traces ?? 100;
  const spansPerTrace = opts.spansPerTrace ?? 10;
  const serviceCount = Math.max(2, Math.min(SERVICE_NAMES.length, opts.services ?? 6));
  const errorRate = opts.errorRate ?? 0.05;
  const rnd = makeRandom(opts.seed ?? 1);
  let clock = opts.startTimeUnixNano ?? 1_767_225_600_000_000_000n;

  const services = SERVICE_NAMES.slice(0, serviceCount);
  const graph = opts.randomRoutes === true ? undefined : callGraph(serviceCount);
  const spansByService: OtlpSpan[][] = services.map(() => []);

  for (let t = 0; t < traces; t++) {
    const traceId = randomBytes(rnd, 16);
    const failing = rnd() < errorRate;
    clock += BigInt(Math.floor(rnd() * 5_000_000));
    // A chain of service hops; each hop is a CLIENT span in the caller and a SERVER span in the callee,
    // with a database CLIENT span where the budget leaves an odd span over.
    let parent: Uint8Array = EMPTY;
    let service = 0;
    let start = clock;
    let remaining = spansPerTrace;
    let depth = 0;
    /** The endpoint the previous hop called; the entry's is random. */
    let called: Endpoint | undefined;
    while (remaining > 0) {
      // Drawn in either mode, so the rest of the payload is drawn alike.
      const drawn = { method: pick(rnd, METHODS), route: pick(rnd, ROUTES) };
      const { method, route } = called ?? drawn;
      const serverId = randomBytes(rnd, 8);
      const duration = BigInt(1_000_000 + Math.floor(rnd() * 50_000_000)) / BigInt(depth + 1);
      const fails = failing && remaining <= 2;
      const status = fails ? 500 : 200;
      const server = baseSpan({
        traceId,
        spanId: serverId,
        parentSpanId: parent,
        name: `${method} ${route}`,
        kind: SpanKind.SERVER,
        startTimeUnixNano: start,
        endTimeUnixNano: start + duration,
        attributes: [
          str('http.request.method', method),
          str('url.path', route.replace('{id}', String(Math.floor(rnd() * 100000)))),
          str('url.scheme', 'http'),
          str('http.route', route),
          int('http.response.status_code', status),
          str('server.address', `${services[service]}.shop.svc.cluster.local`),
          int('server.port', 8080),
          str('network.protocol.version', '1.1'),
          str('user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'),
          str('client.address', `10.0.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}`),
        ],
        status: fails ? { code: StatusCode.ERROR, message: 'upstream failed' } : { code: StatusCode.UNSET, message: '' },
        events: fails
          ? [
              {
                timeUnixNano: start + duration / 2n,
                name: 'exception',
                attributes: [
                  str('exception.type', 'Error'),
                  str('exception.message', 'connection reset by peer'),
                  str('exception.stacktrace', 'Error: connection reset by peer\n    at Socket.onEnd (node:net:1:1)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)'),
                ],
                droppedAttributesCount: 0,
              },
            ]
          : [],
      });
      spansByService[service]!.push(server);
      remaining--;
      if (remaining === 0) break;

      const clientId = randomBytes(rnd, 8);
      const clientStart = start + duration / 10n;
      if (remaining === 1 || rnd() < 0.2) {
        const system = pick(rnd, DB_SYSTEMS);
        spansByService[service]!.push(
          baseSpan({
            traceId,
            spanId: clientId,
            parentSpanId: serverId,
            name: `SELECT shop.orders`,
            kind: SpanKind.CLIENT,
            startTimeUnixNano: clientStart,
            endTimeUnixNano: clientStart + duration / 5n,
            attributes: [
              str('db.system.name', system),
              str('db.namespace', 'shop'),
              str('db.operation.name', 'SELECT'),
              str('db.collection.name', 'orders'),
              str('db.query.text', 'SELECT id, status, total FROM orders WHERE customer_id = $1 LIMIT 50'),
              str('server.address', `${system}.shop.svc.cluster.local`),
              int('server.port', 5432),
              str('network.peer.address', `10.0.9.${Math.floor(rnd() * 255)}`),
              int('db.response.returned_rows', Math.floor(rnd() * 50)),
              str('thread.name', 'main'),
            ],
          }),
        );
        remaining--;
        continue;
      }
      const drawnNext = (service + 1 + Math.floor(rnd() * (serviceCount - 1))) % serviceCount;
      called = graph?.[service]![endpointIndex(method, route)];
      const next = called?.service ?? drawnNext;
      spansByService[service]!.push(
        baseSpan({
          traceId,
          spanId: clientId,
          parentSpanId: serverId,
          name: `${method}`,
          kind: SpanKind.CLIENT,
          startTimeUnixNano: clientStart,
          endTimeUnixNano: clientStart + duration / 2n,
          attributes: [
            str('http.request.method', method),
            str('url.full', `http://${services[next]}.shop.svc.cluster.local:8080${route}`),
            str('server.address', `${services[next]}.shop.svc.cluster.local`),
            int('server.port', 8080),
            int('http.response.status_code', status),
            str('network.protocol.version', '1.1'),
            str('network.peer.address', `10.0.${next}.${Math.floor(rnd() * 255)}`),
            int('http.request.resend_count', 0),
            str('peer.service', services[next]!),
            str('thread.name', 'main'),
          ],
        }),
      );
      remaining--;
      parent = clientId;
      service = next;
      start = clientStart + 100_000n;
      depth++;
    }
  }

  const resourceSpans: OtlpResourceSpans[] = [];
  services.forEach((name, i) => {
    const spans = spansByService[i]!;
    if (spans.length === 0) return;
    resourceSpans.push({
      resource: { attributes: resourceAttributes(name, i, rnd), droppedAttributesCount: 0 },
      scopeSpans: [
        {
          scope: { name: '@opentelemetry/instrumentation-http', version: '0.223.1', attributes: [], droppedAttributesCount: 0 },
          spans,
          schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
        },
      ],
      schemaUrl: '',
    });
  });
  return { resourceSpans };
}

