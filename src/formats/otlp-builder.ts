import type {
  KeyValue,
  OtlpResource,
  OtlpScope,
  OtlpSpan,
  OtlpTraceRequest,
} from '../model/otlp.js';

export function stringAttribute(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

export function intAttribute(key: string, value: number | bigint): KeyValue {
  return { key, value: { intValue: BigInt(value) } };
}

export function makeResource(attributes: readonly KeyValue[]): OtlpResource {
  return { attributes, droppedAttributesCount: 0 };
}

export function makeScope(name: string, version = ''): OtlpScope {
  return { name, version, attributes: [], droppedAttributesCount: 0 };
}

/**
 * The latest time or longest duration in microseconds the importers accept (the year 2255):
 * OTLP times are uint64 nanoseconds, and a start plus a duration must still fit. Larger values
 * are invalid input, not times to wrap around.
 */
export const MAX_MICROS = 9e15;

/** Microseconds (as Zipkin and Jaeger write them) to OTLP nanoseconds. */
export function microsToNanos(micros: number): bigint {
  return BigInt(Math.trunc(micros)) * 1000n;
}

/**
 * Groups spans into `ResourceSpans` → `ScopeSpans`, one per distinct resource key and, inside it,
 * one per distinct scope key, both in order of first appearance; spans keep the order they were
 * added in. The keys are the caller's identity for a resource or scope (e.g. the service name);
 * the first resource/scope value given for a key is the one emitted.
 */
export class ResourceSpansBuilder {
  private readonly resources = new Map<
    string,
    { resource: OtlpResource; scopes: Map<string, { scope: OtlpScope; spans: OtlpSpan[] }> }
  >();

  add(resourceKey: string, resource: () => OtlpResource, scopeKey: string, scope: () => OtlpScope, span: OtlpSpan): void {
    let entry = this.resources.get(resourceKey);
    if (entry === undefined) {
      entry = { resource: resource(), scopes: new Map() };
      this.resources.set(resourceKey, entry);
    }
    let scoped = entry.scopes.get(scopeKey);
    if (scoped === undefined) {
      scoped = { scope: scope(), spans: [] };
      entry.scopes.set(scopeKey, scoped);
    }
    scoped.spans.push(span);
  }

  build(): OtlpTraceRequest {
    return {
      resourceSpans: [...this.resources.values()].map(({ resource, scopes }) => ({
        resource,
        schemaUrl: '',
        scopeSpans: [...scopes.values()].map(({ scope, spans }) => ({ scope, spans, schemaUrl: '' })),
      })),
    };
  }
}

/**
 * The instrumentation scope an OpenTelemetry exporter recorded as span tags when it wrote Zipkin
 * or Jaeger (`otel.scope.name`/`otel.scope.version`, formerly `otel.library.name`/`.version`).
 * Returns undefined when the span names no scope.
 */
export function scopeFromTags(tag: (key: string) => string | undefined): { name: string; version: string } | undefined {
  const name = tag('otel.scope.name') ?? tag('otel.library.name');
  if (name === undefined) return undefined;
  return { name, version: tag('otel.scope.version') ?? tag('otel.library.version') ?? '' };
}

/** Tags consumed by `scopeFromTags` (and so not repeated as span attributes). */
export const SCOPE_TAG_KEYS: ReadonlySet<string> = new Set([
  'otel.scope.name',
  'otel.scope.version',
  'otel.library.name',
  'otel.library.version',
]);
