/**
 * Differential tests against an independent OTLP encoder: spans made by the real OpenTelemetry
 * JS SDK, serialized by `@opentelemetry/otlp-transformer` (its protobuf and JSON serializers,
 * the ones the SDK's exporters send with), must decode to exactly what the SDK recorded: ids,
 * parent, name, kind, times, status, attributes, events, links, resource and scope.
 */
import { ROOT_CONTEXT, trace, type Attributes, type AttributeValue, type HrTime } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../model/ids.js';
import type { AnyValue, KeyValue, OtlpSpan, OtlpTraceRequest } from '../model/otlp.js';
import { decodeSpan, decodeTraceRequestToModel } from './decode-message.js';
import { decodeTraceRequest } from './decode-request.js';
import { encodeTraceRequest } from './encode.js';
import { parseTraceRequestJson } from './json.js';
import { semanticsOfSpan } from './semantics.js';

// --- what the SDK recorded, in model terms -----------------------------------------------------

function expectedValue(v: AttributeValue): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  // The SDK sends integers within int64 range as intValue, every other number as doubleValue.
  if (typeof v === 'number') return Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63 ? { intValue: BigInt(v) } : { doubleValue: v };
  return { arrayValue: { values: (v as readonly (string | number | boolean | null | undefined)[]).map((x) => (x == null ? { empty: true as const } : expectedValue(x))) } };
}

function expectedAttributes(attributes: Attributes): KeyValue[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: expectedValue(value!) }));
}

const nanos = (t: HrTime): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

/** The fields of an SDK span the decoders must reproduce. */
function expectedSpan(s: ReadableSpan) {
  const ctx = s.spanContext();
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: s.parentSpanContext?.spanId ?? '',
    name: s.name,
    kind: s.kind + 1,
    startTimeUnixNano: nanos(s.startTime),
    endTimeUnixNano: nanos(s.endTime),
    status: { code: s.status.code, message: s.status.message ?? '' },
    attributes: expectedAttributes(s.attributes),
    events: s.events.map((e) => ({ name: e.name, timeUnixNano: nanos(e.time), attributes: expectedAttributes(e.attributes ?? {}) })),
    links: s.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: expectedAttributes(l.attributes ?? {}) })),
  };
}

function actualSpan(s: OtlpSpan) {
  return {
    traceId: bytesToHex(s.traceId),
    spanId: bytesToHex(s.spanId),
    parentSpanId: bytesToHex(s.parentSpanId),
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    status: s.status,
    attributes: s.attributes,
    events: s.events.map((e) => ({ name: e.name, timeUnixNano: e.timeUnixNano, attributes: e.attributes })),
    links: s.links.map((l) => ({ traceId: bytesToHex(l.traceId), spanId: bytesToHex(l.spanId), attributes: l.attributes })),
  };
}

// --- generating SDK spans ----------------------------------------------------------------------

const key = fc.oneof(
  fc.constantFrom('http.response.status_code', 'http.status_code', 'db.system.name', 'server.address', 'url.full', 'peer.service', 'http.request.header.referer'),
  fc.string({ minLength: 1, maxLength: 10 }),
  fc.string({ minLength: 1, maxLength: 10, unit: 'binary' }),
);
const scalar = fc.oneof(
  fc.string({ maxLength: 20, unit: 'binary' }),
  fc.boolean(),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
);
const attributeValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 3 }),
  fc.array(fc.boolean(), { maxLength: 3 }),
);
const attributeMap: fc.Arbitrary<Attributes> = fc.dictionary(key, attributeValue, { maxKeys: 6 });

interface SpanPlan {
  resource: number;
  scope: number;
  parent: number;
  name: string;
  kind: number;
  startNanos: number;
  durationNanos: number;
  attributes: Attributes;
  status: number;
  statusMessage: string;
  events: { name: string; attributes: Attributes }[];
  /** Links to earlier spans, by index. */
  links: { target: number; attributes: Attributes }[];
}

const spanPlan: fc.Arbitrary<SpanPlan> = fc.record({
  resource: fc.nat(2),
  scope: fc.nat(1),
  parent: fc.integer({ min: -1, max: 20 }),
  name: fc.string({ maxLength: 30, unit: 'binary' }),
  kind: fc.integer({ min: 0, max: 4 }),
  startNanos: fc.integer({ min: 0, max: 999_999_999 }),
  durationNanos: fc.integer({ min: 0, max: 5_000_000_000 }),
  attributes: attributeMap,
  status: fc.integer({ min: 0, max: 2 }),
  statusMessage: fc.string({ maxLength: 12 }),
  events: fc.array(
    fc.record({
      name: fc.oneof(fc.constant('exception'), fc.string({ maxLength: 8 })),
      attributes: fc.oneof(
        attributeMap,
        fc.record({ 'exception.type': fc.string(), 'exception.message': fc.string(), 'exception.stacktrace': fc.string() }, { requiredKeys: [] }),
      ),
    }),
    { maxLength: 2 },
  ),
  links: fc.array(fc.record({ target: fc.nat(20), attributes: attributeMap }), { maxLength: 2 }),
});

const resourceAttributes: fc.Arbitrary<Attributes> = fc.dictionary(
  fc.oneof(fc.constantFrom('service.name', 'k8s.pod.name', 'k8s.namespace.name', 'host.name'), fc.string({ minLength: 1, maxLength: 10 })),
  fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean()),
  { maxKeys: 5 },
);

/** Records the planned spans with the real SDK and returns them as its exporters would see them. */
function recordSpans(resources: Attributes[], plans: SpanPlan[]): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const tracers = resources.map((attrs) => {
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes(attrs), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    return [provider.getTracer('scope-a', '1.0.0'), provider.getTracer('scope-b')] as const;
  });
  const started: ReturnType<(typeof tracers)[number][number]['startSpan']>[] = [];
  const base = 1_767_225_600;
  for (const plan of plans) {
    const tracer = tracers[plan.resource % tracers.length]![plan.scope]!;
    const parent = plan.parent >= 0 && plan.parent < started.length ? started[plan.parent]! : undefined;
    const ctx = parent === undefined ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, parent);
    const start: HrTime = [base, plan.startNanos];
    const links = plan.links
      .filter((l) => l.target < started.length)
      .map((l) => ({ context: started[l.target]!.spanContext(), attributes: l.attributes }));
    const span = tracer.startSpan(plan.name, { kind: plan.kind, attributes: plan.attributes, startTime: start, links }, ctx);
    for (const event of plan.events) span.addEvent(event.name, event.attributes, [base + 1, plan.startNanos]);
    span.setStatus(plan.status === 2 ? { code: 2, message: plan.statusMessage } : { code: plan.status });
    started.push(span);
  }
  plans.forEach((plan, i) => {
    const endNanos = plan.startNanos + plan.durationNanos;
    started[i]!.end([base + Math.floor(endNanos / 1e9), endNanos % 1e9]);
  });
  return exporter.getFinishedSpans();
}

const generated = fc
  .tuple(fc.array(resourceAttributes, { minLength: 1, maxLength: 3 }), fc.array(spanPlan, { minLength: 1, maxLength: 12 }))
  .map(([resources, plans]) => recordSpans(resources, plans));

// --- checks ----------------------------------------------------------------------------------

/** Checks a decoded request (as the model and through the hot path) against the SDK's spans. */
function checkAgainstSdk(sdkSpans: ReadableSpan[], model: OtlpTraceRequest, bytes: Uint8Array): void {
  const bySpanId = new Map(sdkSpans.map((s) => [s.spanContext().spanId, s]));
  const flat = model.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, rs, ss }))));
  expect(flat).toHaveLength(sdkSpans.length);
  for (const { span, rs, ss } of flat) {
    const sdk = bySpanId.get(bytesToHex(span.spanId))!;
    expect(sdk).toBeDefined();
    const expected = expectedSpan(sdk);
    expect(actualSpan(span)).toEqual(expected);
    expect(rs.resource.attributes).toEqual(expectedAttributes(sdk.resource.attributes));
    expect([ss.scope.name, ss.scope.version]).toEqual([sdk.instrumentationScope.name, sdk.instrumentationScope.version ?? '']);
  }

  const outcome = decodeTraceRequest(bytes);
  if (!outcome.ok) throw new Error(outcome.error);
  const { batch } = outcome;
  expect(outcome.rejected).toEqual([]);
  expect(batch.length).toBe(sdkSpans.length);
  for (let i = 0; i < batch.length; i++) {
    const sdk = bySpanId.get(bytesToHex(batch.spanIds.subarray(8 * i, 8 * i + 8)))!;
    const expected = expectedSpan(sdk);
    expect({
      traceId: bytesToHex(batch.traceIds.subarray(16 * i, 16 * i + 16)),
      parentSpanId: bytesToHex(batch.parentSpanIds.subarray(8 * i, 8 * i + 8)),
      name: batch.names[i],
      kind: batch.kinds[i],
      startTimeUnixNano: batch.startTimeUnixNano[i],
      endTimeUnixNano: batch.endTimeUnixNano[i],
      status: { code: batch.statusCodes[i], message: batch.statusMessages[i] },
    }).toEqual({
      traceId: expected.traceId,
      parentSpanId: expected.parentSpanId === '' ? '0000000000000000' : expected.parentSpanId,
      name: expected.name,
      kind: expected.kind,
      startTimeUnixNano: expected.startTimeUnixNano,
      endTimeUnixNano: expected.endTimeUnixNano,
      status: expected.status,
    });
    expect(batch.resources[batch.resourceIndex[i]!]!.attributes).toEqual(expectedAttributes(sdk.resource.attributes));
    expect(batch.scopes[batch.scopeIndex[i]!]!.name).toBe(sdk.instrumentationScope.name);
    const payload = decodeSpan(batch.payloads[i]!);
    expect(actualSpan(payload)).toEqual(expected);
    expect(batch.semantics[i]).toEqual(semanticsOfSpan(payload));
  }
}

describe('differential: OpenTelemetry SDK + otlp-transformer → our decoders', () => {
  it('decodes the protobuf serializer output to what the SDK recorded', () => {
    fc.assert(
      fc.property(generated, (sdkSpans) => {
        const bytes = ProtobufTraceSerializer.serializeRequest(sdkSpans)!;
        checkAgainstSdk(sdkSpans, decodeTraceRequestToModel(bytes), bytes);
      }),
      { numRuns: 120 },
    );
  });

  it('parses the JSON serializer output to what the SDK recorded', () => {
    fc.assert(
      fc.property(generated, (sdkSpans) => {
        const text = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(sdkSpans)!);
        const parsed = parseTraceRequestJson(JSON.parse(text));
        if (!parsed.ok) throw new Error(parsed.error);
        checkAgainstSdk(sdkSpans, parsed.request, encodeTraceRequest(parsed.request));
      }),
      { numRuns: 120 },
    );
  });

  it('finds the semantic attributes the SDK recorded', () => {
    const spans = recordSpans(
      [{ 'service.name': 'checkout' }],
      [
        {
          resource: 0, scope: 0, parent: -1, name: 'GET', kind: 2, startNanos: 0, durationNanos: 10, status: 2, statusMessage: 'boom',
          attributes: { 'http.status_code': 500, 'http.response.status_code': 503, 'url.full': 'http://cart/x', 'http.request.header.referer': ['https://shop/'] },
          events: [{ name: 'exception', attributes: { 'exception.type': 'Error', 'exception.message': 'no', 'exception.stacktrace': 'at x' } }],
          links: [],
        },
      ],
    );
    const outcome = decodeTraceRequest(ProtobufTraceSerializer.serializeRequest(spans)!);
    expect(outcome.ok && outcome.batch.semantics[0]).toEqual({
      httpStatusCode: 503,
      url: 'http://cart/x',
      referer: 'https://shop/',
      exceptionType: 'Error',
      exceptionMessage: 'no',
      stackTraces: ['at x'],
    });
  });
});
