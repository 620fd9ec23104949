/**
 * Seeded random trace sets for differential tests of the analyses: realistic OTLP requests over a
 * random service graph (topology-graph.ts), deterministic per seed.
 *
 * What the traces contain, so every rule of DESIGN.md §2 gets exercised: fan-out and fan-in;
 * recursion (A → B → A) and ping-pong; self calls over the network (a SERVER span under a CLIENT
 * span of the same service); spans without kinds (a service's span directly under another
 * service's); synthetic callees (CLIENT spans with `db.system(.name)` + `db.name`/`db.namespace`,
 * PRODUCER spans with `messaging.system` and no consumer, `server.address` / `url.full` /
 * `peer.service` / `net.peer.name` / nothing); messaging consumers; browser applications whose
 * root spans are user actions (`event_type`, `target_element`, `target_xpath`, `url.full`);
 * failures (status ERROR with and without message, HTTP 5xx with status UNSET, 404s that a failure
 * rule turns into failures, exception events with stack traces, handled exceptions on calls that
 * did not fail); Kubernetes resources with several instances per service; referers and
 * `x-forwarded-for` / `via` headers; proxies (configured and `component: proxy`); missing parents
 * (a span dropped in the middle, or the root span dropped); a child starting before its parent;
 * and trace start times spread around the window so some traces and some calls fall outside it.
 * Spans are spread over several requests (a trace often spans requests), grouped by resource.
 */
import { SpanKind, StatusCode, type KeyValue, type OtlpEvent, type OtlpResourceSpans, type OtlpSpan, type OtlpTraceRequest } from '../../model/otlp.js';
import type { TimeRange } from '../../storage/api/call-queries.js';
import type { FailureRule } from '../derive-calls.js';
import { SeededRandom } from './seeded-random.js';
import { buildServiceGraph, int, str, type Downstream, type Endpoint, type ServiceDef, type ServiceGraph } from './topology-graph.js';

/** 2026-01-01T00:00:00Z, the default window start. */
const DEFAULT_WINDOW_START_UNIX_NANO = 1_767_225_600_000_000_000n;
const NANOS_PER_MS = 1_000_000n;

export interface TopologyOptions {
  readonly seed: number;
  /** Default 40. */
  readonly traceCount?: number;
  readonly windowStartUnixNano?: bigint;
  /** Default 60 000 (one minute). */
  readonly windowMs?: number;
}

export interface GeneratedTopology {
  readonly seed: number;
  /** Most traces start in it; about one in five starts just before, across or after it. */
  readonly window: TimeRange;
  readonly requests: readonly OtlpTraceRequest[];
  /** Service names to configure as proxies (`ServiceInfoOptions.proxyServices`). */
  readonly proxyServices: readonly string[];
  /** The failure rules the traces were written for (`DerivationOptions.failureRules`). */
  readonly failureRules: readonly FailureRule[];
}

export function generateTopology(options: TopologyOptions): GeneratedTopology {
  const random = new SeededRandom(options.seed);
  const graph = buildServiceGraph(random);
  const windowStart = options.windowStartUnixNano ?? DEFAULT_WINDOW_START_UNIX_NANO;
  const windowMs = options.windowMs ?? 60_000;
  const writer = new SpanWriter(random, graph);
  for (let i = 0, n = options.traceCount ?? 40; i < n; i++) writer.trace(windowStart + BigInt(traceOffsetMs(random, windowMs)) * NANOS_PER_MS + BigInt(random.int(0, 999_999)));
  return {
    seed: options.seed,
    window: { fromUnixNano: windowStart, toUnixNano: windowStart + BigInt(windowMs) * NANOS_PER_MS },
    requests: writer.requests(random.int(2, 5)),
    proxyServices: graph.proxyServices,
    failureRules: [{ service: graph.notFoundFails, httpStatusCodes: [404], failed: true }],
  };
}

/** Where a trace starts relative to the window start: mostly inside, some straddling either edge, some outside. */
function traceOffsetMs(random: SeededRandom, windowMs: number): number {
  const roll = random.next();
  if (roll < 0.75) return random.int(0, windowMs - 1);
  if (roll < 0.85) return random.int(-3_000, -1);
  if (roll < 0.93) return random.int(windowMs - 3_000, windowMs - 1);
  return random.chance(0.5) ? random.int(-windowMs, -3_001) : random.int(windowMs, windowMs * 2);
}

const REASONS = ['connection reset by peer', 'deadline exceeded', 'upstream unavailable', ''];
const EXCEPTIONS: readonly (readonly [type: string, message: string, stack: string])[] = [
  ['java.lang.IllegalStateException', 'order is locked', 'java.lang.IllegalStateException: order is locked\n\tat shop.Order.lock(Order.java:42)'],
  ['TypeError', "Cannot read properties of undefined (reading 'id')", "TypeError: Cannot read properties of undefined (reading 'id')\n    at handler (/app/cart.js:17:9)"],
  ['TimeoutError', 'query timed out', 'TimeoutError: query timed out\n    at Pool.query (/app/db.js:88:13)'],
];

interface PendingSpan {
  readonly resource: readonly KeyValue[];
  readonly span: OtlpSpan;
}

/** Writes the spans of one trace at a time; spans of all traces are split into requests at the end. */
class SpanWriter {
  private readonly spans: PendingSpan[] = [];
  private traceSpans: PendingSpan[] = [];
  private traceId: Uint8Array = new Uint8Array(16);
  private readonly budget = { spans: 0 };

  constructor(
    private readonly random: SeededRandom,
    private readonly graph: ServiceGraph,
  ) {}

  trace(start: bigint): void {
    const r = this.random;
    this.traceId = r.bytes(16);
    this.traceSpans = [];
    this.budget.spans = r.int(8, 60);
    const roll = r.next();
    if (roll < 0.4 && this.graph.applications.length > 0) {
      const app = r.pick(this.graph.applications);
      const action = r.pick(app.actions);
      const root = this.open(r.pick(app.instances), action.spanName, r.chance(0.8) ? SpanKind.INTERNAL : SpanKind.UNSPECIFIED, undefined, start, action.attributes);
      let cursor = start + ms(r.int(1, 20));
      for (const call of action.calls) {
        const fetchAttributes = [str('url.full', `https://api.example.com/${call.service.name}`), str('http.request.method', 'GET')];
        const fetch = this.open(app.instances[0]!, 'HTTP GET', SpanKind.CLIENT, root.spanId, cursor, fetchAttributes);
        const headers = r.chance(0.6) ? [r.chance(0.7) ? str('http.request.header.referer', action.page) : { key: 'http.request.header.referer', value: { arrayValue: { values: [{ stringValue: action.page }] } } }] : [];
        const end = this.call(call.service, call.endpoint, fetch.spanId, cursor + ms(r.int(0, 3)), 1, headers);
        this.close(fetch, maxOf(end, cursor) + ms(r.int(0, 5)), fetchAttributes, StatusCode.UNSET, '', []);
        cursor = maxOf(end, cursor) + ms(r.int(1, 30));
      }
      this.close(root, cursor + ms(r.int(0, 50)), action.attributes, StatusCode.UNSET, '', []);
    } else if (roll < 0.9) {
      const service = r.chance(0.7) ? r.pick(this.graph.entries) : r.pick(this.graph.services);
      const headers = [
        ...(r.chance(0.3) ? [str('http.request.header.referer', `https://partner.example.org/${r.pick(['a', 'b'])}`)] : []),
        ...(r.chance(0.2) ? [str('http.request.header.x-forwarded-for', '203.0.113.7, 10.0.0.2')] : []),
        ...(r.chance(0.15) ? [str('http.request.header.via', '1.1 vegur, 1.0 edge-cache (squid)')] : []),
      ];
      this.call(service, r.pick(service.endpoints.filter((e) => !e.consumer)), undefined, start, 0, headers);
    } else {
      const consumers = this.graph.services.flatMap((service) => service.endpoints.filter((e) => e.consumer).map((endpoint) => ({ service, endpoint })));
      const entry = consumers.length > 0 ? r.pick(consumers) : { service: this.graph.services[0]!, endpoint: this.graph.services[0]!.endpoints[0]! };
      this.call(entry.service, entry.endpoint, undefined, start, 0, []);
    }
    this.dropSomeSpans();
    for (const span of this.traceSpans) this.spans.push(span);
  }

  /** All spans, spread at random over `count` requests, each grouped by resource. */
  requests(count: number): OtlpTraceRequest[] {
    const buckets: PendingSpan[][] = Array.from({ length: count }, () => []);
    for (const span of this.spans) buckets[this.random.int(0, count - 1)]!.push(span);
    return buckets.filter((b) => b.length > 0).map((bucket) => {
      const byResource = new Map<string, { resource: readonly KeyValue[]; spans: OtlpSpan[] }>();
      for (const { resource, span } of this.random.shuffle(bucket)) {
        const key = JSON.stringify(resource, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
        const group = byResource.get(key) ?? { resource, spans: [] };
        group.spans.push(span);
        byResource.set(key, group);
      }
      const resourceSpans: OtlpResourceSpans[] = [...byResource.values()].map(({ resource, spans }) => ({
        resource: { attributes: resource, droppedAttributesCount: 0 },
        scopeSpans: [{ scope: { name: 'tributary-topology', version: '1.0.0', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
        schemaUrl: '',
      }));
      return { resourceSpans };
    });
  }

  /**
   * One call of `service`: an entry span (SERVER, CONSUMER for a message handler, sometimes without
   * kind), maybe an INTERNAL span, and its downstream calls. Returns the entry span's end.
   */
  private call(service: ServiceDef, endpoint: Endpoint, parentSpanId: Uint8Array | undefined, start: bigint, depth: number, headers: readonly KeyValue[]): bigint {
    const r = this.random;
    const resource = r.pick(service.instances);
    const kind = endpoint.consumer ? SpanKind.CONSUMER : r.chance(0.1) ? SpanKind.UNSPECIFIED : SpanKind.SERVER;
    const attributes: KeyValue[] = [...headers, ...(service.marksProxySpans && r.chance(0.5) ? [str('component', 'proxy')] : [])];
    const entry = this.open(resource, endpoint.name, kind, parentSpanId, start, attributes);

    let parent = entry;
    let cursor = start + ms(r.int(0, 5));
    const internal = r.chance(0.35);
    const events: OtlpEvent[] = [];
    if (internal) {
      parent = this.open(resource, `${endpoint.name} handler`, SpanKind.INTERNAL, entry.spanId, cursor, []);
      // A handled exception: recorded, but the call does not fail because of it.
      if (r.chance(0.15)) events.push(exceptionEvent(r, cursor));
    }
    for (const downstream of endpoint.downstream) {
      if (this.budget.spans <= 0 || !r.chance(depth < 2 ? 0.9 : 0.6)) continue;
      const skew = r.chance(0.03) ? -ms(r.int(1, 4)) : ms(r.int(0, 10));
      cursor = maxOf(cursor, this.downstream(service, resource, downstream, parent.spanId, cursor + skew, depth)) + ms(r.int(0, 5));
    }
    const end = cursor + ms(r.int(1, 40));
    if (internal) this.close(parent, end, [], StatusCode.UNSET, '', events);
    this.closeEntry(entry, end + ms(r.int(0, 3)), attributes, kind);
    return end;
  }

  private closeEntry(entry: OtlpSpan, end: bigint, attributes: KeyValue[], kind: number): void {
    const r = this.random;
    const roll = r.next();
    const http = kind !== SpanKind.CONSUMER;
    let status: number = StatusCode.UNSET;
    let message = '';
    const events: OtlpEvent[] = [];
    let code = 200;
    if (roll < 0.07) {
      status = StatusCode.ERROR;
      message = r.pick(REASONS);
      code = 500;
      if (r.chance(0.6)) events.push(exceptionEvent(r, end));
    } else if (roll < 0.12) {
      code = r.pick([500, 502, 503]);
    } else if (roll < 0.17) {
      code = 404;
    } else if (roll < 0.2) {
      status = StatusCode.OK;
    }
    if (http) attributes.push(r.chance(0.7) ? int('http.response.status_code', code) : str('http.status_code', String(code)));
    this.close(entry, end, attributes, status, message, events);
  }

  private downstream(service: ServiceDef, resource: readonly KeyValue[], downstream: Downstream, parentSpanId: Uint8Array, start: bigint, depth: number): bigint {
    const r = this.random;
    if (downstream.type === 'service') {
      if (depth >= 6) return start;
      // Sometimes written without kinds: the callee's span hangs straight under the caller's.
      if (downstream.service !== service && r.chance(0.1)) return this.call(downstream.service, downstream.endpoint, parentSpanId, start, depth + 1, []);
      const attributes = [str('server.address', downstream.service.name), str('url.full', `http://${downstream.service.name}:8080/`)];
      const client = this.open(resource, downstream.endpoint.name.split(' ')[0]!, SpanKind.CLIENT, parentSpanId, start, attributes);
      const end = this.call(downstream.service, downstream.endpoint, client.spanId, start + ms(r.int(0, 2)), depth + 1, []);
      this.close(client, end + ms(r.int(0, 2)), attributes, StatusCode.UNSET, '', []);
      return end;
    }
    const kind = downstream.type === 'messaging' ? SpanKind.PRODUCER : SpanKind.CLIENT;
    const attributes = [...downstream.attributes];
    const span = this.open(resource, downstream.spanName, kind, parentSpanId, start, attributes);
    let end = start + ms(r.int(1, 80));
    if (downstream.type === 'messaging' && downstream.consumer !== undefined && depth < 6) {
      end = maxOf(end, this.call(downstream.consumer.service, downstream.consumer.endpoint, span.spanId, start + ms(r.int(1, 30)), depth + 1, []));
    }
    let status: number = StatusCode.UNSET;
    let message = '';
    const events: OtlpEvent[] = [];
    const roll = r.next();
    if (roll < 0.08) {
      status = StatusCode.ERROR;
      message = r.pick(REASONS);
      if (r.chance(0.5)) events.push(exceptionEvent(r, end));
    } else if (roll < 0.16 && downstream.type === 'external') {
      attributes.push(int('http.response.status_code', r.pick([503, 504])));
    }
    this.close(span, end, attributes, status, message, events);
    return end;
  }

  /** Starts a span; `close` fills in what is known only at its end (the span is replaced). */
  private open(resource: readonly KeyValue[], name: string, kind: number, parentSpanId: Uint8Array | undefined, start: bigint, attributes: readonly KeyValue[]): OtlpSpan {
    this.budget.spans -= 1;
    const span: OtlpSpan = {
      traceId: this.traceId,
      spanId: this.random.bytes(8),
      traceState: '',
      parentSpanId: parentSpanId ?? new Uint8Array(0),
      flags: 0,
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
    this.traceSpans.push({ resource, span });
    return span;
  }

  private close(span: OtlpSpan, end: bigint, attributes: readonly KeyValue[], code: number, message: string, events: readonly OtlpEvent[]): void {
    const index = this.traceSpans.findIndex((p) => p.span === span);
    const pending = this.traceSpans[index]!;
    this.traceSpans[index] = { resource: pending.resource, span: { ...span, endTimeUnixNano: end, attributes: [...attributes], events: [...events], status: { code, message } } };
  }

  /** Missing parents: sometimes a span in the middle never arrives, sometimes the root span. */
  private dropSomeSpans(): void {
    const r = this.random;
    if (this.traceSpans.length > 2 && r.chance(0.12)) this.traceSpans.splice(r.int(1, this.traceSpans.length - 1), 1);
    if (this.traceSpans.length > 2 && r.chance(0.05)) this.traceSpans.splice(0, 1);
  }
}

function exceptionEvent(random: SeededRandom, at: bigint): OtlpEvent {
  const [type, message, stack] = random.pick(EXCEPTIONS);
  return {
    timeUnixNano: at,
    name: 'exception',
    attributes: [str('exception.type', type), str('exception.message', message), str('exception.stacktrace', stack)],
    droppedAttributesCount: 0,
  };
}

function ms(value: number): bigint {
  return BigInt(value) * NANOS_PER_MS + 1_000n * BigInt(value % 7);
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
