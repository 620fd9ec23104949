import { hexToBytes, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../model/ids.js';
import type { KeyValue, OtlpResource } from '../model/otlp.js';
import { preview, Warnings } from './import-result.js';
import { jsonText } from './json-text.js';
import type { ImportResult } from './import-result.js';
import { jaegerKeyValues, toKeyValues } from './jaeger-tags.js';
import { parseJaegerSpan } from './jaeger-span.js';
import type { JaegerSpan } from './jaeger-span.js';
import { makeResource, makeScope, microsToNanos, ResourceSpansBuilder, stringAttribute } from './otlp-builder.js';
import { resolveSpanIds } from './span-ids.js';

/** Scope of spans whose tags name no OpenTelemetry instrumentation scope. */
export const JAEGER_SCOPE_NAME = 'jaeger';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Process {
  readonly key: string;
  readonly serviceName: string | undefined;
  readonly resource: OtlpResource;
}

/**
 * Converts Jaeger JSON — the `{"data":[{traceID, spans, processes}]}` document the Jaeger UI
 * downloads and `/api/traces` returns, its `data` array alone, or one bare
 * `{traceID, spans, processes}` trace — into OTLP.
 *
 * - A process is a resource: `serviceName` → `service.name`, its tags → attributes with their
 *   types; a `hostname` tag (what Jaeger clients set) also gives `host.name` when that is absent,
 *   so instances are recognized. Spans of equal processes (same name and tags) share one
 *   `ResourceSpans`, also across traces. A span names its process by `processID` into the trace's
 *   `processes`, or embeds it as `process`; with neither its resource has no `service.name`.
 * - Spans as `parseJaegerSpan` documents. Span ids repeated within a trace (unadjusted Zipkin-style
 *   shared spans) are made unique as for Zipkin (`resolveSpanIds`).
 * - `{ ok: false }` when the document is not of this shape, or when Jaeger answered with `errors`
 *   and no data. Invalid traces and spans inside are skipped with a warning.
 */
export function jaegerToOtlp(doc: unknown): ImportResult {
  const traces = documentTraces(doc);
  if (!traces.ok) return traces;
  const warnings = new Warnings();
  const spans: { span: JaegerSpan; process: Process }[] = [];
  const processCache = new Map<string, Process>();
  // Most spans name one of a few process objects: read each object once.
  const processByObject = new Map<unknown, Process>();

  traces.traces.forEach((trace, t) => {
    if (!isRecord(trace) || !Array.isArray(trace['spans'])) {
      warnings.add(`trace #${t}: has no "spans" array; skipped`);
      return;
    }
    const processes = isRecord(trace['processes']) ? trace['processes'] : {};
    trace['spans'].forEach((raw: unknown, s: number) => {
      const parsed = parseJaegerSpan(raw, `trace #${t} span #${s}`);
      if (!parsed.ok) {
        warnings.add(`${parsed.error}; skipped`);
        return;
      }
      for (const w of parsed.warnings) warnings.add(w);
      const { span } = parsed;
      const rawProcess = span.processId !== undefined && Object.hasOwn(processes, span.processId) ? processes[span.processId] : span.embeddedProcess;
      if (!isRecord(rawProcess)) warnings.add(`trace #${t} span #${s} (${span.spanId}): process ${preview(span.processId)} not found`);
      let process = processByObject.get(rawProcess);
      if (process === undefined) {
        process = readProcess(rawProcess, processCache, warnings);
        processByObject.set(rawProcess, process);
      }
      spans.push({ span, process });
    });
  });

  const ids = resolveSpanIds(
    spans.map(({ span, process }) => ({
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      kind: span.kind,
      service: process.serviceName ?? '',
    })),
    warnings,
  );
  const builder = new ResourceSpansBuilder();
  spans.forEach(({ span, process }, i) => {
    const { spanId, parentSpanId } = ids[i]!;
    const start = microsToNanos(span.startMicros);
    const scope = span.scope;
    builder.add(
      process.key,
      () => process.resource,
      scope === undefined ? '' : `${scope.name}\u0000${scope.version}`,
      () => (scope === undefined ? makeScope(JAEGER_SCOPE_NAME) : makeScope(scope.name, scope.version)),
      {
        traceId: hexToBytes(span.traceId, TRACE_ID_BYTES)!,
        spanId: hexToBytes(spanId, SPAN_ID_BYTES)!,
        parentSpanId: parentSpanId === '' ? new Uint8Array(0) : hexToBytes(parentSpanId, SPAN_ID_BYTES)!,
        traceState: span.traceState,
        flags: span.flags,
        name: span.name,
        kind: span.kind,
        startTimeUnixNano: start,
        endTimeUnixNano: start + microsToNanos(span.durationMicros),
        attributes: span.attributes,
        droppedAttributesCount: 0,
        events: span.events,
        droppedEventsCount: 0,
        links: span.links,
        droppedLinksCount: 0,
        status: span.status,
      },
    );
  });
  if (spans.length === 0) warnings.add('the document holds no valid spans');
  return { ok: true, request: builder.build(), warnings: warnings.toArray() };
}

const MAX_ERRORS_SHOWN = 5;

function cut(text: string, maxChars: number): string {
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

function documentTraces(doc: unknown): { ok: true; traces: unknown[] } | { ok: false; error: string } {
  if (Array.isArray(doc)) return { ok: true, traces: doc };
  if (!isRecord(doc)) return { ok: false, error: 'a Jaeger JSON document is an object {"data": [traces]}; this is not an object' };
  if (Array.isArray(doc['data'])) return { ok: true, traces: doc['data'] };
  if (Array.isArray(doc['spans'])) return { ok: true, traces: [doc] };
  const errors = doc['errors'];
  if (Array.isArray(errors) && errors.length > 0) {
    // Jaeger's own messages, as many and as long as a readable message allows.
    const messages = errors.slice(0, MAX_ERRORS_SHOWN).map((e) => (isRecord(e) && typeof e['msg'] === 'string' ? cut(e['msg'], 200) : jsonText(e, 200)));
    if (errors.length > MAX_ERRORS_SHOWN) messages.push(`… and ${errors.length - MAX_ERRORS_SHOWN} more`);
    return { ok: false, error: `the Jaeger document carries errors and no data: ${messages.join('; ')}` };
  }
  return { ok: false, error: 'a Jaeger JSON document has a "data" array of traces (or is one trace with a "spans" array); this has neither' };
}

function readProcess(raw: unknown, cache: Map<string, Process>, warnings: Warnings): Process {
  const serviceName = isRecord(raw) && typeof raw['serviceName'] === 'string' && raw['serviceName'] !== '' ? raw['serviceName'] : undefined;
  const tags = jaegerKeyValues(isRecord(raw) ? raw['tags'] : undefined);
  const attributes: KeyValue[] = [];
  if (serviceName !== undefined) attributes.push(stringAttribute('service.name', serviceName));
  const own = toKeyValues(tags.values.filter((t) => t.key !== 'service.name'));
  attributes.push(...own);
  const hostname = tags.values.find((t) => t.key === 'hostname');
  if (hostname !== undefined && !tags.values.some((t) => t.key === 'host.name')) {
    attributes.push(stringAttribute('host.name', hostname.text));
  }
  const key = JSON.stringify([serviceName ?? null, tags.values.map((t) => [t.key, Object.keys(t.value)[0], t.text]).sort()]);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  if (tags.invalid > 0) warnings.add(`process ${serviceName === undefined ? '(no name)' : preview(serviceName)}: ${tags.invalid} tags without a key ignored`);
  const process: Process = { key, serviceName, resource: makeResource(attributes) };
  cache.set(key, process);
  return process;
}
