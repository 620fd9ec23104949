import type { TraceJson } from '../../query/trace.js';
import { ms, safe } from './format.js';

interface JsonSpan {
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status?: { code?: number; message?: string };
}

/** The trace as a span tree (service · span · duration · offset) followed by its derived calls. */
export function renderTrace(trace: TraceJson): string {
  const spans: { span: JsonSpan; service: string }[] = [];
  for (const rs of trace.resourceSpans as { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: JsonSpan[] }[] }[]) {
    const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? 'unknown_service';
    for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ span, service });
  }
  const start = spans.reduce((min, s) => (BigInt(s.span.startTimeUnixNano) < min ? BigInt(s.span.startTimeUnixNano) : min), BigInt(spans[0]?.span.startTimeUnixNano ?? 0));
  const ids = new Set(spans.map((s) => s.span.spanId));
  const children = new Map<string, typeof spans>();
  for (const s of spans) {
    const parent = s.span.parentSpanId && ids.has(s.span.parentSpanId) ? s.span.parentSpanId : '';
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const lines = [`Trace ${trace.traceId}: ${spans.length} spans, ${trace.calls.length} service calls`];
  const seen = new Set<string>();
  const stack: { s: (typeof spans)[number]; depth: number }[] = (children.get('') ?? []).map((s) => ({ s, depth: 0 })).reverse();
  while (stack.length > 0) {
    const { s, depth } = stack.pop()!;
    if (seen.has(s.span.spanId)) continue;
    seen.add(s.span.spanId);
    const offset = Number(BigInt(s.span.startTimeUnixNano) - start) / 1e6;
    const duration = Number(BigInt(s.span.endTimeUnixNano) - BigInt(s.span.startTimeUnixNano)) / 1e6;
    const error = s.span.status?.code === 2 ? `  ERROR${s.span.status.message ? `: ${safe(s.span.status.message)}` : ''}` : '';
    lines.push(`${'  '.repeat(Math.min(depth, 40))}${safe(s.service)} · ${safe(s.span.name)}  ${ms(duration)} @+${ms(offset)}${error}`);
    for (const child of [...(children.get(s.span.spanId) ?? [])].reverse()) stack.push({ s: child, depth: depth + 1 });
  }
  lines.push('', 'Service calls:');
  for (const call of trace.calls) {
    const chain = [...call.path.map((p) => safe(p.name)), `${safe(call.service)} (${call.kind})`].join(' → ');
    lines.push(`  ${chain}: ${safe(call.request)}  ${ms(call.durationMs)}${call.failed ? `  FAILED: ${safe(call.failureReason ?? 'error')}` : ''}`);
  }
  return lines.join('\n');
}
