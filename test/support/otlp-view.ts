import { bytesToHex } from '../../src/model/ids.js';
import type { AnyValue, KeyValue, OtlpSpan, OtlpTraceRequest } from '../../src/model/otlp.js';

/** Test support: an OTLP span flattened with its service and hex ids, for readable assertions. */
export interface SpanView {
  readonly service: string | undefined;
  readonly resource: Record<string, unknown>;
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly start: bigint;
  readonly end: bigint;
  readonly attributes: Record<string, unknown>;
  readonly status: { readonly code: number; readonly message: string };
  readonly span: OtlpSpan;
}

/** An attribute value as plain JS: strings, booleans, bigints, numbers, Uint8Arrays, arrays, objects. */
export function plainValue(value: AnyValue): unknown {
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return value.intValue;
  if ('doubleValue' in value) return value.doubleValue;
  if ('bytesValue' in value) return value.bytesValue;
  if ('arrayValue' in value) return value.arrayValue.values.map(plainValue);
  if ('kvlistValue' in value) return plainAttributes(value.kvlistValue.values);
  return undefined;
}

export function plainAttributes(attributes: readonly KeyValue[]): Record<string, unknown> {
  return Object.fromEntries(attributes.map((a) => [a.key, plainValue(a.value)]));
}

export function flattenSpans(request: OtlpTraceRequest): SpanView[] {
  return request.resourceSpans.flatMap((rs) => {
    const resource = plainAttributes(rs.resource.attributes);
    const service = resource['service.name'];
    return rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((span) => ({
        service: typeof service === 'string' ? service : undefined,
        resource,
        scope: ss.scope.name,
        traceId: bytesToHex(span.traceId),
        spanId: bytesToHex(span.spanId),
        parentSpanId: bytesToHex(span.parentSpanId),
        name: span.name,
        kind: span.kind,
        start: span.startTimeUnixNano,
        end: span.endTimeUnixNano,
        attributes: plainAttributes(span.attributes),
        status: span.status,
        span,
      })),
    );
  });
}
