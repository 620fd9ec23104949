import { hexToBytes, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../model/ids.js';
import { SpanKind, StatusCode } from '../model/otlp.js';
import type { KeyValue, OtlpEvent, OtlpSpan } from '../model/otlp.js';
import { widenTraceIds } from './hex-ids.js';
import { Warnings } from './import-result.js';
import type { ImportResult } from './import-result.js';
import {
  intAttribute,
  makeResource,
  makeScope,
  microsToNanos,
  ResourceSpansBuilder,
  SCOPE_TAG_KEYS,
  scopeFromTags,
  stringAttribute,
} from './otlp-builder.js';
import { resolveSpanIds } from './span-ids.js';
import { mergeZipkinFragments } from './zipkin-merge.js';
import type { ZipkinSpan } from './zipkin-merge.js';
import { parseZipkinFragment } from './zipkin-parse.js';
import type { ZipkinFragment, ZipkinKind } from './zipkin-parse.js';

/** Scope of spans whose tags name no OpenTelemetry instrumentation scope. */
export const ZIPKIN_SCOPE_NAME = 'zipkin';

const KIND: Readonly<Record<ZipkinKind, SpanKind>> = {
  CLIENT: SpanKind.CLIENT,
  SERVER: SpanKind.SERVER,
  PRODUCER: SpanKind.PRODUCER,
  CONSUMER: SpanKind.CONSUMER,
};

/** Tags that become the span status rather than attributes (what OpenTelemetry's Zipkin exporter writes). */
const STATUS_TAG_KEYS: ReadonlySet<string> = new Set(['error', 'otel.status_code', 'otel.status_description']);

/**
 * Converts a Zipkin v2 JSON document into OTLP, reading it the way Zipkin's own UI does
 * (DESIGN.md §4):
 *
 * - The top level is an array of spans, or an array of such arrays (what `/api/v2/traces`
 *   returns); anything else is `{ ok: false }`. Entries without a valid trace id or span id are
 *   skipped with a warning.
 * - Fragments of one span are merged (`mergeZipkinFragments`); 64-bit trace ids are left-padded
 *   to 128 bits, or widened to the 128-bit id of the same trace when the document has one.
 * - B3 shared spans: a SERVER/CONSUMER span reusing the id of a CLIENT/PRODUCER span gets a new,
 *   deterministic id and that span as parent; its local children follow it (`resolveSpanIds`).
 * - A span without timestamp starts when its nearest ancestor with one starts, else at its first
 *   annotation, else at the trace's earliest timestamp; no duration means it ends where it starts.
 * - `localEndpoint.serviceName` is the resource's `service.name`, as written (Zipkin's server
 *   lower-cases names; files exported from it already are, others keep the instrumentation's
 *   spelling, as OpenTelemetry would). One `ResourceSpans` per service name; spans without one
 *   share a resource without `service.name` (which DESIGN.md §2 reads as `unknown_service`).
 *
 * The per-field mapping is documented in `zipkinSpanToOtlp`.
 */
export function zipkinToOtlp(spans: unknown): ImportResult {
  if (!Array.isArray(spans)) {
    return { ok: false, error: 'a Zipkin v2 JSON document is an array of spans; this is not an array' };
  }
  const entries: unknown[] = spans.every((s) => Array.isArray(s)) ? (spans as unknown[][]).flat() : spans;
  const warnings = new Warnings();

  const parsed: ZipkinFragment[] = [];
  entries.forEach((entry, index) => {
    const result = parseZipkinFragment(entry, index);
    if (!result.ok) {
      warnings.add(`${result.error}; skipped`);
      return;
    }
    for (const w of result.warnings) warnings.add(w);
    parsed.push(result.fragment);
  });
  const widened = widenTraceIds(new Set(parsed.map((f) => f.traceId)));
  const fragments = widened.size === 0 ? parsed : parsed.map((f) => ({ ...f, traceId: widened.get(f.traceId) ?? f.traceId }));

  const merged = mergeZipkinFragments(fragments);
  const kinds = merged.map(otlpKind);
  const ids = resolveSpanIds(
    merged.map((s, i) => ({
      traceId: s.traceId,
      spanId: s.id,
      parentSpanId: s.parentId,
      kind: kinds[i]!,
      service: s.localEndpoint?.serviceName ?? '',
    })),
    warnings,
  );
  const starts = resolveStartTimes(merged, ids, warnings);

  const builder = new ResourceSpansBuilder();
  merged.forEach((span, i) => {
    const startMicros = starts[i];
    if (startMicros === undefined) return;
    const service = span.localEndpoint?.serviceName;
    const scope = scopeFromTags((key) => span.tags.get(key));
    builder.add(
      service ?? '',
      () => makeResource(service === undefined ? [] : [stringAttribute('service.name', service)]),
      scope === undefined ? '' : `${scope.name}\u0000${scope.version}`,
      () => (scope === undefined ? makeScope(ZIPKIN_SCOPE_NAME) : makeScope(scope.name, scope.version)),
      zipkinSpanToOtlp(span, kinds[i]!, ids[i]!, startMicros),
    );
  });
  if (merged.length === 0) warnings.add('the document holds no valid spans');
  return { ok: true, request: builder.build(), warnings: warnings.toArray() };
}

/** Zipkin kinds map one to one; a kind-less span flagged `shared` is a server; otherwise UNSPECIFIED (Zipkin's local or unknown span). */
function otlpKind(span: ZipkinSpan): SpanKind {
  if (span.kind !== undefined) return KIND[span.kind];
  return span.shared ? SpanKind.SERVER : SpanKind.UNSPECIFIED;
}

/**
 * Start time (µs) per span, filling missing timestamps as `zipkinToOtlp` documents. Undefined
 * (the span is dropped with a warning) only when the span's whole trace has no time at all.
 */
function resolveStartTimes(
  spans: readonly ZipkinSpan[],
  ids: readonly { spanId: string; parentSpanId: string }[],
  warnings: Warnings,
): (number | undefined)[] {
  const byKey = new Map<string, number>();
  const earliestInTrace = new Map<string, number>();
  spans.forEach((s, i) => {
    byKey.set(`${s.traceId}/${ids[i]!.spanId}`, i);
    if (s.timestampMicros !== undefined) {
      const seen = earliestInTrace.get(s.traceId);
      if (seen === undefined || s.timestampMicros < seen) earliestInTrace.set(s.traceId, s.timestampMicros);
    }
  });
  // Memoized, so a long chain of untimed spans is walked once, not once per span.
  const resolved = new Map<number, number | undefined>();
  const startOf = (i: number): number | undefined => {
    const path: number[] = [];
    const onPath = new Set<number>();
    let found: number | undefined;
    let at: number | undefined = i;
    // Walk up to the nearest timed (or already resolved) ancestor; `onPath` cuts cycles in hostile parent links.
    while (at !== undefined && !onPath.has(at)) {
      const ts = spans[at]!.timestampMicros;
      if (ts !== undefined) {
        found = ts;
        break;
      }
      if (resolved.has(at)) {
        found = resolved.get(at);
        break;
      }
      path.push(at);
      onPath.add(at);
      at = byKey.get(`${spans[at]!.traceId}/${ids[at]!.parentSpanId}`);
    }
    for (const p of path) resolved.set(p, found);
    return found;
  };
  return spans.map((span, i) => {
    const inherited = startOf(i);
    if (inherited !== undefined) return inherited;
    const fallback = span.annotations[0]?.timestampMicros ?? earliestInTrace.get(span.traceId);
    if (fallback === undefined) {
      warnings.add(`span ${span.id} of trace ${span.traceId}: no timestamp in the span, its ancestors or its trace; skipped`);
    }
    return fallback;
  });
}

/**
 * One merged Zipkin span as an OTLP span:
 * - `name` as given ('' when absent); ids from `resolveSpanIds`; flags 0 (Zipkin has no trace flags).
 * - `tags` → string attributes, except the status and scope tags below.
 * - status: `otel.status_code` = ERROR|OK (as OpenTelemetry's Zipkin exporter writes it) wins;
 *   else an `error` tag means ERROR. The message is the `error` tag's value (may be ''), else
 *   `otel.status_description`.
 * - `annotations` → events named by the annotation value.
 * - `remoteEndpoint.serviceName` → `peer.service`; its address → `network.peer.address`/`.port`
 *   and, by side of the call, `server.address`/`server.port` (CLIENT, PRODUCER, kind-less) or
 *   `client.address`/`client.port` (SERVER, CONSUMER). A tag of the same key wins.
 * - `localEndpoint` address → `network.local.address`/`.port` (per span: one service's spans come
 *   from many hosts, and the resource is per service).
 * - `debug: true` → `zipkin.debug = true`.
 */
function zipkinSpanToOtlp(
  span: ZipkinSpan,
  kind: SpanKind,
  ids: { spanId: string; parentSpanId: string },
  startMicros: number,
): OtlpSpan {
  const attributes: KeyValue[] = [];
  for (const [key, value] of span.tags) {
    if (!STATUS_TAG_KEYS.has(key) && !SCOPE_TAG_KEYS.has(key)) attributes.push(stringAttribute(key, value));
  }
  const keys = new Set(span.tags.keys());
  const put = (attribute: KeyValue): void => {
    if (keys.has(attribute.key)) return;
    keys.add(attribute.key);
    attributes.push(attribute);
  };
  const remote = span.remoteEndpoint;
  if (remote !== undefined) {
    if (remote.serviceName !== undefined) put(stringAttribute('peer.service', remote.serviceName));
    const address = remote.ipv4 ?? remote.ipv6;
    const side = kind === SpanKind.SERVER || kind === SpanKind.CONSUMER ? 'client' : 'server';
    if (address !== undefined) {
      put(stringAttribute('network.peer.address', address));
      put(stringAttribute(`${side}.address`, address));
    }
    if (remote.port !== undefined) {
      put(intAttribute('network.peer.port', remote.port));
      put(intAttribute(`${side}.port`, remote.port));
    }
  }
  const local = span.localEndpoint;
  const localAddress = local?.ipv4 ?? local?.ipv6;
  if (localAddress !== undefined) put(stringAttribute('network.local.address', localAddress));
  if (local?.port !== undefined) put(intAttribute('network.local.port', local.port));
  if (span.debug) put({ key: 'zipkin.debug', value: { boolValue: true } });

  const events: OtlpEvent[] = span.annotations.map((a) => ({
    timeUnixNano: microsToNanos(a.timestampMicros),
    name: a.value,
    attributes: [],
    droppedAttributesCount: 0,
  }));
  const startTimeUnixNano = microsToNanos(startMicros);
  return {
    traceId: hexToBytes(span.traceId, TRACE_ID_BYTES)!,
    spanId: hexToBytes(ids.spanId, SPAN_ID_BYTES)!,
    parentSpanId: ids.parentSpanId === '' ? new Uint8Array(0) : hexToBytes(ids.parentSpanId, SPAN_ID_BYTES)!,
    traceState: '',
    flags: 0,
    name: span.name,
    kind,
    startTimeUnixNano,
    endTimeUnixNano: startTimeUnixNano + microsToNanos(span.durationMicros ?? 0),
    attributes,
    droppedAttributesCount: 0,
    events,
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: zipkinStatus(span.tags),
  };
}

function zipkinStatus(tags: ReadonlyMap<string, string>): { code: number; message: string } {
  const otelCode = tags.get('otel.status_code')?.toUpperCase();
  const message = tags.get('error') ?? tags.get('otel.status_description') ?? '';
  if (otelCode === 'ERROR') return { code: StatusCode.ERROR, message };
  if (otelCode === 'OK') return { code: StatusCode.OK, message: '' };
  if (tags.has('error')) return { code: StatusCode.ERROR, message };
  return { code: StatusCode.UNSET, message: '' };
}
