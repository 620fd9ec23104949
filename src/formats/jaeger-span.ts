import { hexToBytes, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../model/ids.js';
import { SpanKind, StatusCode } from '../model/otlp.js';
import type { KeyValue, OtlpEvent, OtlpLink } from '../model/otlp.js';
import { normalizeSpanIdHex, normalizeTraceId } from './hex-ids.js';
import { preview } from './import-result.js';
import { jaegerKeyValues, toKeyValues } from './jaeger-tags.js';
import type { JaegerKeyValue } from './jaeger-tags.js';
import { MAX_MICROS, microsToNanos, SCOPE_TAG_KEYS, scopeFromTags, stringAttribute } from './otlp-builder.js';

/** A Jaeger span read into OTLP terms, before span ids are made unique per trace. Ids are hex. */
export interface JaegerSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly processId: string | undefined;
  /** The span's own `process` (Jaeger's embedded form), when it has one. */
  readonly embeddedProcess: unknown;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startMicros: number;
  readonly durationMicros: number;
  readonly flags: number;
  readonly traceState: string;
  readonly scope: { readonly name: string; readonly version: string } | undefined;
  readonly attributes: readonly KeyValue[];
  readonly events: readonly OtlpEvent[];
  readonly links: readonly OtlpLink[];
  readonly status: { readonly code: number; readonly message: string };
}

export type ParsedJaegerSpan =
  | { readonly ok: true; readonly span: JaegerSpan; readonly warnings: string[] }
  | { readonly ok: false; readonly error: string };

const KIND_BY_TAG: Readonly<Record<string, SpanKind>> = {
  client: SpanKind.CLIENT,
  server: SpanKind.SERVER,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Microseconds: a number from 0 to `MAX_MICROS` (or a decimal string of one). */
function micros(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= MAX_MICROS ? Math.trunc(n) : undefined;
}

interface Reference {
  readonly refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  readonly traceId: string;
  readonly spanId: string;
}

/**
 * Reads one span of a Jaeger JSON trace (the Jaeger UI/`/api/traces` shape):
 * - parent: the first CHILD_OF reference into the same trace, else the first FOLLOWS_FROM one
 *   (as the Jaeger UI draws it: an async follower stays under the span that caused it), else the
 *   legacy `parentSpanID` field. Every other reference becomes a link with attribute
 *   `opentracing.ref_type` = `child_of` | `follows_from` (the OpenTelemetry Collector's mapping).
 * - `span.kind` tag → kind (removed from attributes); absent or unknown → UNSPECIFIED.
 * - status: `otel.status_code` tag (ERROR|OK) with `otel.status_description` as message; else an
 *   `error` tag that is true (bool or "true") means ERROR with message `otel.status_description`
 *   or ''. Tags used for the status are not repeated as attributes.
 * - `otel.scope.name`/`otel.library.name` (+ version) tags → the instrumentation scope;
 *   `w3c.tracestate` → trace state; both removed from attributes.
 * - other tags → attributes with their declared types (`jaegerValue`).
 * - logs → events: the `event` field is the name ('' when absent), the other fields attributes.
 * - flags: Jaeger's sampled bit (1) → the W3C sampled flag; its debug bit has no OTLP equivalent.
 * A span without a valid trace id, span id or start time is rejected.
 */
export function parseJaegerSpan(value: unknown, where: string): ParsedJaegerSpan {
  if (!isRecord(value)) return { ok: false, error: `${where}: not a JSON object` };
  const traceId = normalizeTraceId(value['traceID']);
  if (traceId === undefined) return { ok: false, error: `${where}: traceID ${preview(value['traceID'])} is not a trace id` };
  const spanId = normalizeSpanIdHex(value['spanID']);
  if (spanId === undefined) return { ok: false, error: `${where}: spanID ${preview(value['spanID'])} is not a span id` };
  const startMicros = micros(value['startTime']);
  if (startMicros === undefined) return { ok: false, error: `${where} (${spanId}): startTime ${preview(value['startTime'])} is not a time in µs` };
  const warnings: string[] = [];
  const at = `${where} (${spanId})`;

  const references: Reference[] = [];
  if (Array.isArray(value['references'])) {
    for (const ref of value['references']) {
      const refType = isRecord(ref) && typeof ref['refType'] === 'string' ? ref['refType'].toUpperCase() : undefined;
      const refSpan = isRecord(ref) ? normalizeSpanIdHex(ref['spanID']) : undefined;
      const refTrace = isRecord(ref) && ref['traceID'] !== undefined ? normalizeTraceId(ref['traceID']) : traceId;
      if ((refType === 'CHILD_OF' || refType === 'FOLLOWS_FROM') && refSpan !== undefined && refTrace !== undefined) {
        references.push({ refType, traceId: refTrace, spanId: refSpan });
      } else {
        warnings.push(`${at}: reference ${preview(ref)} ignored`);
      }
    }
  }
  const local = references.filter((r) => r.traceId === traceId && r.spanId !== spanId);
  const parentRef = local.find((r) => r.refType === 'CHILD_OF') ?? local.find((r) => r.refType === 'FOLLOWS_FROM');
  const legacyParent = normalizeSpanIdHex(value['parentSpanID']);
  const parentSpanId = parentRef?.spanId ?? (legacyParent !== undefined && legacyParent !== spanId ? legacyParent : '');
  const links: OtlpLink[] = references
    .filter((r) => r !== parentRef)
    .map((r) => ({
      traceId: hexToBytes(r.traceId, TRACE_ID_BYTES)!,
      spanId: hexToBytes(r.spanId, SPAN_ID_BYTES)!,
      traceState: '',
      attributes: [stringAttribute('opentracing.ref_type', r.refType === 'CHILD_OF' ? 'child_of' : 'follows_from')],
      droppedAttributesCount: 0,
      flags: 0,
    }));

  const tags = jaegerKeyValues(value['tags']);
  if (tags.invalid > 0) warnings.push(`${at}: ${tags.invalid} tags without a key ignored`);
  const tag = (key: string): JaegerKeyValue | undefined => tags.values.find((t) => t.key === key);
  const consumed = new Set<string>(SCOPE_TAG_KEYS);
  consumed.add('w3c.tracestate');

  let kind: SpanKind = SpanKind.UNSPECIFIED;
  const kindTag = tag('span.kind');
  const mappedKind = kindTag === undefined ? undefined : KIND_BY_TAG[kindTag.text.toLowerCase()];
  if (mappedKind !== undefined) {
    kind = mappedKind;
    consumed.add('span.kind');
  }

  let status: { code: number; message: string } = { code: StatusCode.UNSET, message: '' };
  const otelCode = tag('otel.status_code')?.text.toUpperCase();
  const description = tag('otel.status_description')?.text ?? '';
  if (otelCode === 'ERROR' || otelCode === 'OK') {
    status = otelCode === 'ERROR' ? { code: StatusCode.ERROR, message: description } : { code: StatusCode.OK, message: '' };
    consumed.add('otel.status_code').add('otel.status_description');
  } else if (tag('error')?.text.toLowerCase() === 'true') {
    status = { code: StatusCode.ERROR, message: description };
    consumed.add('error').add('otel.status_description');
  }

  const events: OtlpEvent[] = [];
  if (Array.isArray(value['logs'])) {
    for (const log of value['logs']) {
      const time = isRecord(log) ? micros(log['timestamp']) : undefined;
      if (!isRecord(log) || time === undefined) {
        warnings.push(`${at}: log without a timestamp ignored`);
        continue;
      }
      const fields = jaegerKeyValues(log['fields']).values;
      const name = fields.find((f) => f.key === 'event');
      events.push({
        timeUnixNano: microsToNanos(time),
        name: name?.text ?? '',
        attributes: toKeyValues(fields.filter((f) => f !== name)),
        droppedAttributesCount: 0,
      });
    }
  }

  const flags = typeof value['flags'] === 'number' ? value['flags'] & 0x01 : 0;
  const process = value['process'];
  return {
    ok: true,
    warnings,
    span: {
      traceId,
      spanId,
      parentSpanId,
      processId: typeof value['processID'] === 'string' ? value['processID'] : undefined,
      embeddedProcess: process,
      name: typeof value['operationName'] === 'string' ? value['operationName'] : '',
      kind,
      startMicros,
      durationMicros: micros(value['duration']) ?? 0,
      flags,
      traceState: tag('w3c.tracestate')?.text ?? '',
      scope: scopeFromTags((key) => tag(key)?.text),
      attributes: toKeyValues(tags.values.filter((t) => !consumed.has(t.key))),
      events,
      links,
      status,
    },
  };
}
