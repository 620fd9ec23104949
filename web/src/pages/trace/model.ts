import { nanosToMs } from '../../format.js';
import type { CallJson, TraceJson } from '../../types.js';

/**
 * The trace page's view of `GET /api/v1/traces/{id}`: OTLP/JSON spans flattened into waterfall
 * rows in tree order, each with the derived service calls it starts. The OTLP part arrives as
 * `unknown` and is read defensively: hostile traces (cycles, missing parents, self-parents)
 * must render, never hang.
 */
export interface SpanRow {
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP span kind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly service: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly error: boolean;
  readonly statusMessage: string;
  readonly attributes: readonly (readonly [string, string])[];
  readonly resourceAttributes: readonly (readonly [string, string])[];
  readonly events: readonly { readonly name: string; readonly timeMs: number; readonly attributes: readonly (readonly [string, string])[] }[];
  readonly depth: number;
  /** The real service call this span starts (DESIGN.md §2), if any. */
  readonly call: CallJson | undefined;
  /** Synthetic calls (databases, messaging, third parties) this client span makes. */
  readonly synthetic: readonly CallJson[];
  /** True when the parent names a span that is not in the trace. */
  readonly orphan: boolean;
}

export interface TraceModel {
  readonly rows: readonly SpanRow[];
  readonly startMs: number;
  readonly endMs: number;
  readonly services: readonly string[];
  /** Spans left out of `rows` beyond `maxRows`. */
  readonly hidden: number;
}

export const SPAN_KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/** An OTLP/JSON AnyValue as text. */
export function anyValueText(value: unknown): string {
  const v = record(value);
  if ('stringValue' in v) return text(v.stringValue);
  if ('intValue' in v) return text(v.intValue);
  if ('doubleValue' in v) return text(v.doubleValue);
  if ('boolValue' in v) return String(v.boolValue);
  if ('bytesValue' in v) return text(v.bytesValue);
  if ('arrayValue' in v) return `[${list(record(v.arrayValue).values).map(anyValueText).join(', ')}]`;
  if ('kvlistValue' in v) return `{${attributes(record(v.kvlistValue).values).map(([k, x]) => `${k}: ${x}`).join(', ')}}`;
  return '';
}

function attributes(value: unknown): [string, string][] {
  return list(value).map((a) => [text(record(a).key), anyValueText(record(a).value)] as [string, string]);
}

interface RawSpan extends Omit<SpanRow, 'depth' | 'call' | 'synthetic' | 'orphan'> {}

function readSpans(trace: TraceJson): RawSpan[] {
  const spans: RawSpan[] = [];
  for (const rs of list(trace.resourceSpans)) {
    const resourceAttributes = attributes(record(record(rs).resource).attributes);
    const service = resourceAttributes.find(([k]) => k === 'service.name')?.[1] ?? 'unknown_service';
    for (const ss of list(record(rs).scopeSpans)) {
      for (const raw of list(record(ss).spans)) {
        const s = record(raw);
        const startMs = nanosToMs(text(s.startTimeUnixNano) || '0');
        const endMs = nanosToMs(text(s.endTimeUnixNano) || '0');
        const status = record(s.status);
        spans.push({
          spanId: text(s.spanId),
          parentSpanId: text(s.parentSpanId),
          name: text(s.name),
          kind: typeof s.kind === 'number' ? s.kind : 0,
          service,
          startMs,
          durationMs: Math.max(0, endMs - startMs),
          error: status.code === 2 || status.code === 'STATUS_CODE_ERROR',
          statusMessage: text(status.message),
          attributes: attributes(s.attributes),
          resourceAttributes,
          events: list(s.events).map((e) => ({ name: text(record(e).name), timeMs: nanosToMs(text(record(e).timeUnixNano) || '0'), attributes: attributes(record(e).attributes) })),
        });
      }
    }
  }
  return spans;
}

/** Rows in tree order (children by start time), iteratively, visiting each span once. */
export function buildTraceModel(trace: TraceJson, maxRows = 5_000): TraceModel {
  const spans = readSpans(trace);
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, RawSpan[]>();
  const roots: RawSpan[] = [];
  for (const span of spans) {
    const parent = span.parentSpanId;
    if (parent === '' || parent === span.spanId || !ids.has(parent)) roots.push(span);
    else {
      const siblings = children.get(parent);
      if (siblings) siblings.push(span);
      else children.set(parent, [span]);
    }
  }
  const byStart = (a: RawSpan, b: RawSpan) => a.startMs - b.startMs;
  roots.sort(byStart);
  for (const siblings of children.values()) siblings.sort(byStart);

  const realCalls = new Map<string, CallJson>();
  const syntheticCalls = new Map<string, CallJson[]>();
  for (const call of trace.calls) {
    if (!call.synthetic) realCalls.set(call.callId, call);
    else syntheticCalls.set(call.callId, [...(syntheticCalls.get(call.callId) ?? []), call]);
  }

  const rows: SpanRow[] = [];
  const visited = new Set<RawSpan>();
  const emit = (start: RawSpan) => {
    const stack: { span: RawSpan; depth: number }[] = [{ span: start, depth: 0 }];
    while (stack.length > 0) {
      const { span, depth } = stack.pop()!;
      if (visited.has(span)) continue;
      visited.add(span);
      rows.push({
        ...span,
        depth,
        call: realCalls.get(span.spanId),
        synthetic: syntheticCalls.get(span.spanId) ?? [],
        orphan: span.parentSpanId !== '' && !ids.has(span.parentSpanId),
      });
      const kids = children.get(span.spanId) ?? [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: depth + 1 });
    }
  };
  for (const root of roots) emit(root);
  // Spans caught in a parent cycle have no root: show them at the top level rather than lose them.
  for (const span of spans) if (!visited.has(span)) emit(span);

  const startMs = spans.reduce((min, s) => Math.min(min, s.startMs), Number.POSITIVE_INFINITY);
  const endMs = spans.reduce((max, s) => Math.max(max, s.startMs + s.durationMs), Number.NEGATIVE_INFINITY);
  return {
    rows: rows.slice(0, maxRows),
    startMs: Number.isFinite(startMs) ? startMs : 0,
    endMs: Number.isFinite(endMs) ? endMs : 0,
    services: [...new Set(spans.map((s) => s.service))].sort(),
    hidden: Math.max(0, rows.length - maxRows),
  };
}
