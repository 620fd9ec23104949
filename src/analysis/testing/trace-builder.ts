/**
 * Terse traces for tests of call derivation and the analyses built on it.
 *
 *   const spans = trace(
 *     server('frontend', 'GET /checkout', { http: 200 },
 *       client('frontend', 'GET /cart',
 *         server('cart', 'GET /cart'))));
 *
 * Nodes become spans in pre-order: ids `0000000000000001`, `…2`, … unless given, each child's
 * parent is the enclosing node, starts 1 ms apart in pre-order, durations 10 ms unless given. For
 * hostile shapes (cycles, duplicates, orphans) write spans one by one with {@link span}, giving
 * `id` and `parent` explicitly. Services are plain names (an instrumented service with no other
 * attributes), or a `ServiceInfo` from {@link service} / {@link browserApp}.
 */
import type { SpanSemantics } from '../../model/semantics.js';
import { SpanKind, StatusCode, type KeyValue } from '../../model/otlp.js';
import type { ServiceInfo } from '../../model/service.js';
import type { SpanSkeleton } from '../../model/skeleton.js';
import { serviceInfoFromResource } from '../service-info.js';

/** Base of every generated start time: 2026-01-01T00:00:00Z. */
export const T0_UNIX_NANO = 1_767_225_600_000_000_000n;
const MS = 1_000_000n;

export type KindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal' | 'unspecified';

const KINDS: Record<KindName, number> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
  unspecified: SpanKind.UNSPECIFIED,
};

export interface SpanOptions {
  /** Span id; generated when absent. */
  readonly id?: string;
  /** Parent span id ('' or absent: root). Only for {@link span}; tree nodes take their enclosing node. */
  readonly parent?: string;
  /** Start in milliseconds after {@link T0_UNIX_NANO}. */
  readonly startMs?: number;
  readonly durationMs?: number;
  readonly status?: 'unset' | 'ok' | 'error';
  readonly message?: string;
  /** Shorthand for `semantics.httpStatusCode`. */
  readonly http?: number;
  readonly semantics?: SpanSemantics;
  /** Defaults to a hex id derived from the service name. */
  readonly resourceId?: string;
}

/** An instrumented service (or, with `telemetry.sdk.language: webjs`, an application) from resource attributes. */
export function service(name: string, attributes: Readonly<Record<string, string>> = {}, proxy = false): ServiceInfo {
  const keyValues: KeyValue[] = [{ key: 'service.name', value: { stringValue: name } }];
  for (const [key, value] of Object.entries(attributes)) keyValues.push({ key, value: { stringValue: value } });
  return serviceInfoFromResource(keyValues, { proxyServices: proxy ? [name] : [] });
}

/** A browser application, as the OpenTelemetry web SDK describes itself. */
export function browserApp(name: string): ServiceInfo {
  return service(name, { 'telemetry.sdk.language': 'webjs' });
}

/** One span, written out in full; ids are opaque strings to derivation, so short ones read best. */
export function span(svc: ServiceInfo | string, kind: KindName, name: string, options: SpanOptions & { readonly id: string }): SpanSkeleton {
  const info = typeof svc === 'string' ? service(svc) : svc;
  const start = T0_UNIX_NANO + BigInt(Math.round((options.startMs ?? 0) * 1000)) * 1000n;
  const semantics = options.http === undefined ? options.semantics : { ...options.semantics, httpStatusCode: options.http };
  return {
    spanId: options.id,
    parentSpanId: options.parent ?? '',
    resourceId: options.resourceId ?? resourceIdOf(info.name),
    service: info,
    name,
    kind: KINDS[kind],
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(Math.round((options.durationMs ?? 10) * 1000)) * 1000n,
    statusCode: options.status === 'error' ? StatusCode.ERROR : options.status === 'ok' ? StatusCode.OK : StatusCode.UNSET,
    statusMessage: options.message ?? '',
    semantics,
  };
}

/** A node of a trace written as a tree; see the module comment. */
export interface TraceNode {
  readonly service: ServiceInfo | string;
  readonly kind: KindName;
  readonly name: string;
  readonly options: SpanOptions;
  readonly children: readonly TraceNode[];
}

type NodeArgs = readonly (SpanOptions | TraceNode)[];

export function node(svc: ServiceInfo | string, kind: KindName, name: string, ...args: NodeArgs): TraceNode {
  let options: SpanOptions = {};
  const children: TraceNode[] = [];
  for (const arg of args) {
    if (isNode(arg)) children.push(arg);
    else options = { ...options, ...arg };
  }
  return { service: svc, kind, name, options, children };
}

export const server = (svc: ServiceInfo | string, name: string, ...args: NodeArgs): TraceNode => node(svc, 'server', name, ...args);
export const client = (svc: ServiceInfo | string, name: string, ...args: NodeArgs): TraceNode => node(svc, 'client', name, ...args);
export const producer = (svc: ServiceInfo | string, name: string, ...args: NodeArgs): TraceNode => node(svc, 'producer', name, ...args);
export const consumer = (svc: ServiceInfo | string, name: string, ...args: NodeArgs): TraceNode => node(svc, 'consumer', name, ...args);
export const internal = (svc: ServiceInfo | string, name: string, ...args: NodeArgs): TraceNode => node(svc, 'internal', name, ...args);
/** A span without kind, as many Jaeger and Zipkin clients send. */
export const unkinded = (svc: ServiceInfo | string, name: string, ...args: NodeArgs): TraceNode => node(svc, 'unspecified', name, ...args);

/** The spans of one or more trees, in pre-order. */
export function trace(...roots: TraceNode[]): SpanSkeleton[] {
  const spans: SpanSkeleton[] = [];
  const stack: { node: TraceNode; parent: string }[] = roots.map((root) => ({ node: root, parent: '' })).reverse();
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node: current, parent } = item;
    const id = current.options.id ?? (spans.length + 1).toString(16).padStart(16, '0');
    spans.push(span(current.service, current.kind, current.name, { startMs: spans.length, ...current.options, id, parent }));
    for (let c = current.children.length - 1; c >= 0; c--) stack.push({ node: current.children[c]!, parent: id });
  }
  return spans;
}

/** The id of the first span named `name` (throws when none: a broken test, not data). */
export function idOf(spans: readonly SpanSkeleton[], name: string): string {
  const found = spans.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no span named ${name}`);
  return found.spanId;
}

function isNode(arg: SpanOptions | TraceNode): arg is TraceNode {
  return 'children' in arg && 'kind' in arg;
}

function resourceIdOf(name: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(name)) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}
