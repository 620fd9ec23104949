/**
 * Span skeletons from an OTLP/JSON `ExportTraceServiceRequest` object (as JSON or YAML fixtures hold
 * it: hex ids, numeric or `SPAN_KIND_*` kinds, times as decimal strings), for tests that feed real
 * fixtures to call derivation without depending on the production decoders. Lenient on purpose:
 * fields it does not know are ignored, missing ones take the OTLP defaults.
 */
import { SEMANTIC_KEY_PRIORITY, type SpanSemantics } from '../../model/semantics.js';
import type { AnyValue, KeyValue } from '../../model/otlp.js';
import type { SpanSkeleton } from '../../model/skeleton.js';
import { flattenAnyValue, serviceInfoFromResource, type ServiceInfoOptions } from '../service-info.js';

type Json = Record<string, unknown>;

/** Skeletons grouped by trace id (lower-case hex), spans in document order. */
export function skeletonsFromOtlpJson(document: unknown, options: ServiceInfoOptions = { proxyServices: [] }): Map<string, SpanSkeleton[]> {
  const traces = new Map<string, SpanSkeleton[]>();
  const resourceSpans = list(obj(document).resourceSpans);
  resourceSpans.forEach((rs, resourceIndex) => {
    const resourceAttributes = keyValues(obj(obj(rs).resource).attributes);
    const service = serviceInfoFromResource(resourceAttributes, options);
    const resourceId = resourceIndex.toString(16).padStart(16, '0');
    for (const ss of list(obj(rs).scopeSpans)) {
      for (const raw of list(obj(ss).spans)) {
        const s = obj(raw);
        const traceId = String(s.traceId ?? '').toLowerCase();
        const status = obj(s.status);
        const skeleton: SpanSkeleton = {
          spanId: String(s.spanId ?? '').toLowerCase(),
          parentSpanId: String(s.parentSpanId ?? '').toLowerCase(),
          resourceId,
          service,
          name: String(s.name ?? ''),
          kind: kindNumber(s.kind),
          startTimeUnixNano: BigInt(String(s.startTimeUnixNano ?? '0')),
          endTimeUnixNano: BigInt(String(s.endTimeUnixNano ?? '0')),
          statusCode: statusNumber(status.code),
          statusMessage: String(status.message ?? ''),
          semantics: semanticsOf(keyValues(s.attributes), list(s.events)),
        };
        const spans = traces.get(traceId);
        if (spans === undefined) traces.set(traceId, [skeleton]);
        else spans.push(skeleton);
      }
    }
  });
  return traces;
}

function semanticsOf(attributes: readonly KeyValue[], events: readonly unknown[]): SpanSemantics | undefined {
  const semantics: Record<string, unknown> = {};
  const priorities = new Map<string, number>();
  let any = false;
  for (const { key, value } of attributes) {
    const target = SEMANTIC_KEY_PRIORITY.get(key);
    if (target === undefined) continue;
    const held = priorities.get(target.field);
    if (held !== undefined && held <= target.priority) continue;
    priorities.set(target.field, target.priority);
    const text = flattenAnyValue('arrayValue' in value ? (value.arrayValue.values[0] ?? { empty: true }) : value);
    semantics[target.field] = target.field === 'httpStatusCode' ? Number(text) : text;
    any = true;
  }
  for (const raw of events) {
    const event = obj(raw);
    if (event.name !== 'exception') continue;
    const attrs = new Map(keyValues(event.attributes).map((kv) => [kv.key, flattenAnyValue(kv.value)]));
    if (semantics.exceptionType === undefined && semantics.exceptionMessage === undefined) {
      if (attrs.has('exception.type')) semantics.exceptionType = attrs.get('exception.type');
      if (attrs.has('exception.message')) semantics.exceptionMessage = attrs.get('exception.message');
    }
    const stack = attrs.get('exception.stacktrace');
    if (stack !== undefined) ((semantics.stackTraces ??= []) as string[]).push(stack);
    any = true;
  }
  return any ? (semantics as SpanSemantics) : undefined;
}

function keyValues(raw: unknown): KeyValue[] {
  return list(raw).map((kv) => ({ key: String(obj(kv).key ?? ''), value: anyValue(obj(kv).value) }));
}

function anyValue(raw: unknown): AnyValue {
  const v = obj(raw);
  if (typeof v.stringValue === 'string') return { stringValue: v.stringValue };
  if (typeof v.boolValue === 'boolean') return { boolValue: v.boolValue };
  if (v.intValue !== undefined) return { intValue: BigInt(String(v.intValue)) };
  if (v.doubleValue !== undefined) return { doubleValue: Number(v.doubleValue) };
  if (v.arrayValue !== undefined) return { arrayValue: { values: list(obj(v.arrayValue).values).map(anyValue) } };
  if (v.kvlistValue !== undefined) return { kvlistValue: { values: keyValues(obj(v.kvlistValue).values) } };
  if (typeof v.bytesValue === 'string') return { bytesValue: Buffer.from(v.bytesValue, 'base64') };
  return { empty: true };
}

const KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];

function kindNumber(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  const index = KIND_NAMES.indexOf(String(raw));
  return index < 0 ? 0 : index;
}

const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

function statusNumber(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  const index = STATUS_NAMES.indexOf(String(raw));
  return index < 0 ? 0 : index;
}

function obj(raw: unknown): Json {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Json) : {};
}

function list(raw: unknown): unknown[] {
  return Array.isArray(raw) ? raw : [];
}
