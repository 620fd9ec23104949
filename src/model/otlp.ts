/**
 * The OTLP trace data model (opentelemetry-proto `trace/v1`, `common/v1`, `resource/v1`) as plain,
 * lossless TypeScript values: ids are bytes, 64-bit integers are `bigint`, enums are numbers.
 *
 * This is the interchange form for every non-hot path: the OTLP/JSON decoder and the Zipkin/Jaeger
 * importers produce it, the protobuf encoder turns it into bytes, and trace-by-id renders stored
 * spans from it. The hot path (OTLP protobuf → `SpanBatch`) never builds these objects per span.
 */

export type AnyValue =
  | { readonly stringValue: string }
  | { readonly boolValue: boolean }
  | { readonly intValue: bigint }
  | { readonly doubleValue: number }
  | { readonly arrayValue: { readonly values: readonly AnyValue[] } }
  | { readonly kvlistValue: { readonly values: readonly KeyValue[] } }
  | { readonly bytesValue: Uint8Array }
  /** An AnyValue with no field set (OTLP allows it; it means "empty"). */
  | { readonly empty: true };

export interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

export interface OtlpResource {
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
}

export interface OtlpScope {
  readonly name: string;
  readonly version: string;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
}

/** `Span.SpanKind`. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** `Status.StatusCode`. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export interface OtlpEvent {
  readonly timeUnixNano: bigint;
  readonly name: string;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
}

export interface OtlpLink {
  /** 16 bytes. */
  readonly traceId: Uint8Array;
  /** 8 bytes. */
  readonly spanId: Uint8Array;
  readonly traceState: string;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
  readonly flags: number;
}

export interface OtlpSpan {
  /** 16 bytes, not all zero. */
  readonly traceId: Uint8Array;
  /** 8 bytes, not all zero. */
  readonly spanId: Uint8Array;
  readonly traceState: string;
  /** 8 bytes, or empty for a root span. */
  readonly parentSpanId: Uint8Array;
  readonly flags: number;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
  readonly events: readonly OtlpEvent[];
  readonly droppedEventsCount: number;
  readonly links: readonly OtlpLink[];
  readonly droppedLinksCount: number;
  readonly status: { readonly code: number; readonly message: string };
}

export interface OtlpScopeSpans {
  readonly scope: OtlpScope;
  readonly spans: readonly OtlpSpan[];
  readonly schemaUrl: string;
}

export interface OtlpResourceSpans {
  readonly resource: OtlpResource;
  readonly scopeSpans: readonly OtlpScopeSpans[];
  readonly schemaUrl: string;
}

/** `ExportTraceServiceRequest`. */
export interface OtlpTraceRequest {
  readonly resourceSpans: readonly OtlpResourceSpans[];
}
