/**
 * Test traffic with a structure known in advance, encoded by OpenTelemetry's own protobuf
 * serializer (`@opentelemetry/otlp-transformer`, what the SDK's OTLP/HTTP protobuf exporter
 * sends), so the decoder under test never checks its own encoder's output. Spans are
 * `ReadableSpan`s, the SDK's export type, so the same spans can go through an SDK exporter too.
 */
import { SpanKind, SpanStatusCode, type HrTime, type SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { SeededRandom } from '../../src/analysis/testing/seeded-random.js';

const SCOPE: InstrumentationScope = { name: 'tributary-reliability-tests', version: '1.0.0' };

/** One resource object per service: the serializer groups spans by resource identity. */
const resources = new Map<string, Resource>();
function resourceOf(service: string): Resource {
  let resource = resources.get(service);
  if (resource === undefined) {
    resource = resourceFromAttributes({ 'service.name': service, 'service.instance.id': `${service}-1` });
    resources.set(service, resource);
  }
  return resource;
}

export function randomHex(rnd: SeededRandom, bytes: number): string {
  let hex = '';
  for (let i = 0; i < bytes; i++) hex += rnd.int(0, 255).toString(16).padStart(2, '0');
  // All-zero ids are invalid in OTLP.
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

function hrTime(ms: number): HrTime {
  return [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
}

interface SpanSpec {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startMs: number;
  readonly durationMs: number;
  readonly attributes?: Record<string, string | number>;
  readonly error?: string;
}

export function readableSpan(spec: SpanSpec): ReadableSpan {
  const context: SpanContext = { traceId: spec.traceId, spanId: spec.spanId, traceFlags: 1 };
  return {
    name: spec.name,
    kind: spec.kind,
    spanContext: () => context,
    ...(spec.parentSpanId !== undefined
      ? { parentSpanContext: { traceId: spec.traceId, spanId: spec.parentSpanId, traceFlags: 1, isRemote: false } }
      : {}),
    startTime: hrTime(spec.startMs),
    endTime: hrTime(spec.startMs + spec.durationMs),
    duration: hrTime(spec.durationMs),
    status: spec.error === undefined ? { code: SpanStatusCode.UNSET } : { code: SpanStatusCode.ERROR, message: spec.error },
    attributes: spec.attributes ?? {},
    links: [],
    events: [],
    ended: true,
    resource: resourceOf(spec.service),
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** An OTLP protobuf `ExportTraceServiceRequest` holding `spans`. */
export function encodeRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const body = ProtobufTraceSerializer.serializeRequest([...spans]);
  if (body === undefined) throw new Error('the OpenTelemetry serializer produced no request');
  return body;
}

/**
 * A checkout trace: frontend `GET /checkout` (SERVER) → its CLIENT span → checkout
 * `POST /checkout` (SERVER) → a PostgreSQL query (CLIENT, `db.name` orders). Its calls are
 * known exactly (DESIGN.md §2): frontend, checkout called by frontend, and the synthetic
 * database `orders` called by checkout.
 */
export interface CheckoutTrace {
  readonly traceId: string;
  /** The two frontend spans: root SERVER and the CLIENT span to checkout. */
  readonly frontend: readonly ReadableSpan[];
  /** The two checkout spans: SERVER and the database CLIENT span. */
  readonly checkout: readonly ReadableSpan[];
}

export const CHECKOUT_CALL_LINES = [
  'frontend > checkout > database:orders:SELECT orders',
  'frontend > service:checkout:POST /checkout',
  'service:frontend:GET /checkout',
] as const;

export function checkoutTrace(rnd: SeededRandom, startMs: number): CheckoutTrace {
  const traceId = randomHex(rnd, 16);
  const [root, client, server, query] = [0, 1, 2, 3].map(() => randomHex(rnd, 8)) as [string, string, string, string];
  const span = (spec: Omit<SpanSpec, 'traceId'>) => readableSpan({ ...spec, traceId });
  return {
    traceId,
    frontend: [
      span({ service: 'frontend', spanId: root, name: 'GET /checkout', kind: SpanKind.SERVER, startMs, durationMs: 40,
        attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 } }),
      span({ service: 'frontend', spanId: client, parentSpanId: root, name: 'POST', kind: SpanKind.CLIENT, startMs: startMs + 5, durationMs: 30,
        attributes: { 'http.request.method': 'POST', 'server.address': 'checkout' } }),
    ],
    checkout: [
      span({ service: 'checkout', spanId: server, parentSpanId: client, name: 'POST /checkout', kind: SpanKind.SERVER, startMs: startMs + 6, durationMs: 28,
        attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200 } }),
      span({ service: 'checkout', spanId: query, parentSpanId: server, name: 'SELECT orders', kind: SpanKind.CLIENT, startMs: startMs + 8, durationMs: 10,
        attributes: { 'db.system': 'postgresql', 'db.name': 'orders' } }),
    ],
  };
}

/**
 * A trace of one call: a SERVER root of `service` and `spans - 1` INTERNAL children in the same
 * service (so the trace has exactly one service call, and its span count is `spans`).
 */
export function singleCallTrace(rnd: SeededRandom, service: string, spans: number, startMs: number): { traceId: string; spans: ReadableSpan[] } {
  const traceId = randomHex(rnd, 16);
  const rootId = randomHex(rnd, 8);
  const out = [readableSpan({ service, traceId, spanId: rootId, name: 'POST /ingest', kind: SpanKind.SERVER, startMs, durationMs: spans + 10 })];
  for (let i = 1; i < spans; i++) {
    out.push(readableSpan({
      service, traceId, spanId: randomHex(rnd, 8), parentSpanId: rootId, name: `step ${i % 10}`, kind: SpanKind.INTERNAL,
      startMs: startMs + i, durationMs: 1, attributes: { 'step.index': i, 'step.note': 'x'.repeat(40) },
    }));
  }
  return { traceId, spans: out };
}

/** What a client saw for one OTLP/HTTP export attempt. */
export type PostResult =
  | { readonly kind: 'acked' }
  /** 429 or 503: retryable; `retryAfterSeconds` is the parsed `Retry-After` header (undefined when missing). */
  | { readonly kind: 'refused'; readonly status: number; readonly retryAfterSeconds: number | undefined }
  | { readonly kind: 'rejected'; readonly status: number; readonly message: string }
  /** No HTTP answer at all (connection refused or reset: the server is down). */
  | { readonly kind: 'unreachable'; readonly message: string };

/** One OTLP/HTTP protobuf export attempt. */
export async function postTraces(port: number, body: Uint8Array): Promise<PostResult> {
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-protobuf' },
    });
  } catch (error) {
    return { kind: 'unreachable', message: error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : String(error) };
  }
  const text = Buffer.from(await response.arrayBuffer()).toString('latin1');
  if (response.status === 200) return { kind: 'acked' };
  if (response.status === 429 || response.status === 503) {
    const header = response.headers.get('retry-after');
    const seconds = header === null ? undefined : Number(header);
    return { kind: 'refused', status: response.status, retryAfterSeconds: seconds !== undefined && Number.isFinite(seconds) ? seconds : undefined };
  }
  return { kind: 'rejected', status: response.status, message: text };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `worker` on every item with at most `concurrency` at a time; resolves with the results in order. */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, worker: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, run));
  return results;
}
