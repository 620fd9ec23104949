/**
 * Deterministic traffic over the OpenTelemetry Demo (Astronomy Shop) topology, for the query
 * benchmark: the service graph is read from `/work/shared/testdata/otel-demo-topology` (its
 * `edges`: who calls whom, over which protocol, with which operations) and walked the way the
 * demo's load generator and browser drive it:
 *
 * - 70% of traces start at `load-generator` (a CLIENT root span), 30% at the browser application
 *   `frontend-web` (a user action: document load or a click, then a fetch);
 * - `frontend-proxy` (Envoy, spans marked with `upstream_cluster`) forwards to `frontend`, which
 *   serves one journey by route: browse (product-catalog, recommendation → product-catalog, ad,
 *   currency), cart (cart → valkey-cart) or checkout (checkout → cart, product-catalog, currency,
 *   shipping → quote, payment, email, kafka `orders` → accounting / fraud-detection);
 * - most services also ask `flagd` now and then; databases are CLIENT spans with `db.system.name`
 *   (synthetic callees `astronomy-db`, `valkey-cart`); the kafka producer has its consumers in
 *   the trace half of the time, else it is a synthetic messaging callee;
 * - failures: payment Charge (3%, with an exception stack), product-catalog GetProduct (1%),
 *   quote (1%, HTTP 500);
 * - every service runs 2–3 Kubernetes pods with full resource attributes.
 *
 * Each yielded request holds whole traces (each trace in one request), spans grouped by resource.
 */
import { readFileSync } from 'node:fs';
import { SeededRandom } from '../src/analysis/testing/seeded-random.js';
import { SpanKind, StatusCode, type KeyValue, type OtlpEvent, type OtlpResourceSpans, type OtlpSpan, type OtlpTraceRequest } from '../src/model/otlp.js';

const TOPOLOGY_FILE = new URL('../../shared/testdata/otel-demo-topology/otel-demo-topology.json', import.meta.url);
const NANOS_PER_MS = 1_000_000n;

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly protocol: string;
  readonly kind: string;
  readonly operations: readonly string[];
}

export interface TrafficOptions {
  readonly seed: number;
  readonly windowStartUnixNano: bigint;
  readonly windowMs: number;
  /** Traces per request. */
  readonly tracesPerRequest: number;
}

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: BigInt(value) } });

/** `browser(frontend-web)` → `frontend-web`, `kafka(orders topic)` → `kafka`, `astronomy-db(postgresql)` → `astronomy-db`. */
function nodeName(raw: string): string {
  const open = raw.indexOf('(');
  if (raw.startsWith('browser(')) return raw.slice(open + 1, -1);
  return open < 0 ? raw : raw.slice(0, open);
}

function loadEdges(): Edge[] {
  const document = JSON.parse(readFileSync(TOPOLOGY_FILE, 'utf8')) as { edges: Edge[] };
  return document.edges.map((e) => ({ ...e, from: nodeName(e.from), to: nodeName(e.to) }));
}

const JOURNEY_ROUTES = {
  browse: ['GET /', 'GET /api/products/{id}', 'GET /api/recommendations', 'GET /api/data'],
  cart: ['GET /api/cart', 'POST /api/cart'],
  checkout: ['POST /api/checkout'],
} as const;
type Journey = keyof typeof JOURNEY_ROUTES;
const JOURNEY_CALLEES: Record<Journey, readonly string[]> = {
  browse: ['product-catalog', 'recommendation', 'ad', 'currency'],
  cart: ['cart'],
  checkout: ['checkout', 'currency', 'cart'],
};

export class DemoTraffic {
  private readonly random: SeededRandom;
  private readonly edgesFrom = new Map<string, Edge[]>();
  private readonly instances = new Map<string, KeyValue[][]>();
  private spans: { resource: KeyValue[]; span: OtlpSpan }[] = [];
  private traceId: Uint8Array = new Uint8Array(16);

  constructor(private readonly options: TrafficOptions) {
    this.random = new SeededRandom(options.seed);
    for (const edge of loadEdges()) {
      const list = this.edgesFrom.get(edge.from) ?? [];
      list.push(edge);
      this.edgesFrom.set(edge.from, list);
    }
  }

  /** The next request: `tracesPerRequest` whole traces; with their span count. */
  next(): { request: OtlpTraceRequest; spans: number } {
    const all: { resource: KeyValue[]; span: OtlpSpan }[] = [];
    for (let i = 0; i < this.options.tracesPerRequest; i++) {
      this.trace();
      for (const s of this.spans) all.push(s);
    }
    const byResource = new Map<KeyValue[], OtlpSpan[]>();
    for (const { resource, span } of all) {
      const list = byResource.get(resource) ?? [];
      list.push(span);
      byResource.set(resource, list);
    }
    const resourceSpans: OtlpResourceSpans[] = [...byResource].map(([attributes, spans]) => ({
      resource: { attributes, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 'otel-demo', version: '2.0.0', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
      schemaUrl: '',
    }));
    return { request: { resourceSpans }, spans: all.length };
  }

  private trace(): void {
    const r = this.random;
    this.spans = [];
    this.traceId = r.bytes(16);
    const start = this.options.windowStartUnixNano + BigInt(r.int(0, this.options.windowMs - 1)) * NANOS_PER_MS + BigInt(r.int(0, 999_999));
    const journey = r.pick(['browse', 'browse', 'browse', 'cart', 'checkout'] as const);
    const route = r.pick(JOURNEY_ROUTES[journey]);
    if (r.chance(0.7)) {
      const resource = this.instance('load-generator');
      const root = this.span(resource, route, SpanKind.CLIENT, undefined, start, [str('http.request.method', route.split(' ')[0]!)]);
      const end = this.serve('frontend-proxy', route, root.spanId, start + ms(r.int(0, 2)), journey, 0);
      this.close(root, end + ms(r.int(0, 2)));
    } else {
      const app = this.instance('frontend-web');
      const action = r.chance(0.5) ? { name: 'documentLoad', attributes: [str('url.full', 'https://shop.example.com/')] } : { name: 'click', attributes: [str('event_type', 'click'), str('target_element', 'BUTTON'), str('target_xpath', `//*[@id="${journey}"]`), str('url.full', `https://shop.example.com/${journey}`)] };
      const root = this.span(app, action.name, SpanKind.INTERNAL, undefined, start, action.attributes);
      const fetch = this.span(app, 'HTTP GET', SpanKind.CLIENT, root.spanId, start + ms(1), [str('url.full', `https://shop.example.com${route.split(' ')[1]}`)]);
      const end = this.serve('frontend-proxy', route, fetch.spanId, start + ms(2), journey, 0, [str('http.request.header.referer', 'https://shop.example.com/')]);
      this.close(fetch, end + ms(1));
      this.close(root, end + ms(r.int(1, 20)));
    }
  }

  /** One call of `service` (a SERVER or CONSUMER span and what it calls); returns its end. */
  private serve(service: string, request: string, parent: Uint8Array, start: bigint, journey: Journey, depth: number, attributes: KeyValue[] = [], kind: number = SpanKind.SERVER): bigint {
    const r = this.random;
    const resource = this.instance(service);
    const proxy = service === 'frontend-proxy' ? [str('upstream_cluster', 'frontend')] : [];
    const entry = this.span(resource, request, kind, parent, start, [...attributes, ...proxy]);
    let cursor = start + ms(r.int(0, 3));
    for (const edge of this.calledBy(service, journey, depth)) {
      const operation = service === 'frontend-proxy' && edge.to === 'frontend' ? request : r.pick(edge.operations.length > 0 ? edge.operations : ['call']);
      cursor = this.downstream(resource, entry.spanId, edge, operation, cursor, journey, depth) + ms(r.int(0, 3));
    }
    return this.close(entry, cursor + ms(r.int(1, 15)), this.failure(service, request));
  }

  private downstream(resource: KeyValue[], parent: Uint8Array, edge: Edge, operation: string, start: bigint, journey: Journey, depth: number): bigint {
    const r = this.random;
    if (edge.kind === 'db') {
      const system = edge.protocol === 'PostgreSQL' ? 'postgresql' : 'redis';
      const client = this.span(resource, operation, SpanKind.CLIENT, parent, start, [str('db.system.name', system), str('db.namespace', edge.to), str('server.address', edge.to)]);
      return this.close(client, start + ms(r.int(1, 8)));
    }
    if (edge.kind === 'async-producer') {
      const producer = this.span(resource, 'orders publish', SpanKind.PRODUCER, parent, start, [str('messaging.system', 'kafka'), str('messaging.destination.name', 'orders')]);
      const end = this.close(producer, start + ms(r.int(1, 3)));
      if (r.chance(0.5)) {
        for (const consumer of this.edgesFrom.get(edge.to) ?? []) this.serve(consumer.to, 'orders process', producer.spanId, end + ms(r.int(1, 50)), journey, depth + 1, [], SpanKind.CONSUMER);
      }
      return end;
    }
    const client = this.span(resource, operation, SpanKind.CLIENT, parent, start, [str('rpc.system', edge.protocol === 'HTTP' ? 'http' : 'grpc')]);
    const end = this.serve(edge.to, operation, client.spanId, start + ms(r.int(0, 2)), journey, depth + 1);
    return this.close(client, end + ms(r.int(0, 2)));
  }

  /** Which of `service`'s edges this call takes. */
  private calledBy(service: string, journey: Journey, depth: number): Edge[] {
    const r = this.random;
    const edges = this.edgesFrom.get(service) ?? [];
    if (depth > 6) return [];
    return edges.filter((e) => {
      if (e.kind === 'async-consumer') return false;
      if (e.to === 'flagd') return r.chance(0.25);
      if (service === 'frontend-proxy') return e.to === 'frontend' || (e.to === 'image-provider' && r.chance(0.2));
      if (service === 'frontend') return JOURNEY_CALLEES[journey].includes(e.to) && r.chance(journey === 'browse' ? 0.7 : 1);
      if (service === 'checkout') return e.to !== 'email' || r.chance(0.9);
      return r.chance(0.85);
    });
  }

  private failure(service: string, request: string): { code: number; message: string; events: OtlpEvent[]; http?: number } | undefined {
    const r = this.random;
    if (service === 'payment' && r.chance(0.03)) {
      const stack = 'Error: Payment request failed. Invalid token.\n    at charge (/usr/src/app/charge.js:37:13)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)';
      return {
        code: StatusCode.ERROR,
        message: 'Payment request failed. Invalid token.',
        events: [{ timeUnixNano: 0n, name: 'exception', attributes: [str('exception.type', 'Error'), str('exception.message', 'Payment request failed. Invalid token.'), str('exception.stacktrace', stack)], droppedAttributesCount: 0 }],
      };
    }
    if (service === 'product-catalog' && request.includes('GetProduct') && r.chance(0.01)) return { code: StatusCode.ERROR, message: 'Product Not Found', events: [] };
    if (service === 'quote' && r.chance(0.01)) return { code: StatusCode.UNSET, message: '', events: [], http: 500 };
    return undefined;
  }

  private instance(service: string): KeyValue[] {
    let list = this.instances.get(service);
    if (list === undefined) {
      const r = this.random;
      list = Array.from({ length: service === 'load-generator' ? 1 : r.int(2, 3) }, (_, i) => {
        const hash = r.hex(5);
        const pod = `${service}-${r.hex(5)}-${hash}`;
        return service === 'frontend-web'
          ? [str('service.name', service), str('telemetry.sdk.language', 'webjs'), str('browser.platform', 'Linux x86_64')]
          : [
              str('service.name', service),
              str('service.namespace', 'opentelemetry-demo'),
              str('service.version', '2.0.2'),
              str('service.instance.id', `${pod}-${i}`),
              str('k8s.cluster.name', 'demo'),
              str('k8s.namespace.name', 'otel-demo'),
              str('k8s.deployment.name', service),
              str('k8s.pod.name', pod),
              str('k8s.node.name', `node-${r.int(0, 2)}`),
              str('telemetry.sdk.name', 'opentelemetry'),
            ];
      });
      this.instances.set(service, list);
    }
    return this.random.pick(list);
  }

  private span(resource: KeyValue[], name: string, kind: number, parent: Uint8Array | undefined, start: bigint, attributes: KeyValue[]): OtlpSpan {
    const span: OtlpSpan = {
      traceId: this.traceId,
      spanId: this.random.bytes(8),
      parentSpanId: parent ?? new Uint8Array(0),
      traceState: '',
      flags: 0x101,
      name,
      kind,
      startTimeUnixNano: start,
      endTimeUnixNano: start,
      attributes,
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: StatusCode.UNSET, message: '' },
    };
    this.spans.push({ resource, span });
    return span;
  }

  /** Sets the span's end (and failure) by replacing its entry (spans are readonly); returns the end. */
  private close(span: OtlpSpan, end: bigint, failure?: { code: number; message: string; events: OtlpEvent[]; http?: number }): bigint {
    const index = this.spans.findIndex((s) => s.span === span);
    const entry = this.spans[index]!;
    const attributes = failure?.http !== undefined ? [...span.attributes, int('http.response.status_code', failure.http)] : span.attributes;
    const events = (failure?.events ?? []).map((e) => ({ ...e, timeUnixNano: span.startTimeUnixNano }));
    const closed: OtlpSpan = { ...span, endTimeUnixNano: end, attributes, events, status: failure === undefined ? span.status : { code: failure.code, message: failure.message } };
    this.spans[index] = { resource: entry.resource, span: closed };
    return end;
  }
}

function ms(n: number): bigint {
  return BigInt(n) * NANOS_PER_MS;
}
