import { createHash } from 'node:crypto';
import { SpanKind } from '../model/otlp.js';
import type { Warnings } from './import-result.js';

/** The part of a span that decides its identity in the trace. Ids are lower-case hex. */
export interface SpanIdentity {
  /** 32 hex digits. */
  readonly traceId: string;
  /** 16 hex digits. */
  readonly spanId: string;
  /** 16 hex digits, or '' for a root span. */
  readonly parentSpanId: string;
  /** OTLP `SpanKind`. */
  readonly kind: number;
  /** The local service name ('' when unknown): qualifies which side of a shared id a child belongs to. */
  readonly service: string;
}

export interface ResolvedIds {
  readonly spanId: string;
  readonly parentSpanId: string;
}

const isCallerKind = (kind: number): boolean => kind === SpanKind.CLIENT || kind === SpanKind.PRODUCER;
const isCalleeKind = (kind: number): boolean => kind === SpanKind.SERVER || kind === SpanKind.CONSUMER;

/**
 * Makes span ids unique per trace, the way Zipkin's UI reads B3 "shared span" traces (and Jaeger's
 * span-id deduper does).
 *
 * Where several spans of one trace carry the same id, one keeps it (the owner): the first
 * CLIENT/PRODUCER span, else the first span that is not SERVER/CONSUMER, else the first. Every
 * other span gets a new id (`deriveSpanId`), and
 * - a SERVER/CONSUMER span whose owner is CLIENT/PRODUCER (the shared model: both sides of one RPC
 *   reported under one id) gets that client span as its parent;
 * - any other duplicate keeps its parent and is reported as a warning.
 * A span whose parent is a shared id and whose service is that of a re-identified server span is
 * a local child of that server (Zipkin qualifies a shared parent by endpoint), so it is moved
 * under the server's new id; children in other services stay under the client.
 *
 * Returns one entry per input, in input order. Pure and deterministic: the same input gives the
 * same ids.
 */
export function resolveSpanIds(spans: readonly SpanIdentity[], warnings: Warnings): ResolvedIds[] {
  const out: { spanId: string; parentSpanId: string }[] = spans.map((s) => ({
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
  }));
  const byTrace = new Map<string, number[]>();
  for (let i = 0; i < spans.length; i++) {
    const traceId = spans[i]!.traceId;
    const list = byTrace.get(traceId);
    if (list === undefined) byTrace.set(traceId, [i]);
    else list.push(i);
  }
  for (const [traceId, members] of byTrace) resolveTrace(traceId, members, spans, out, warnings);
  return out;
}

function resolveTrace(
  traceId: string,
  members: readonly number[],
  spans: readonly SpanIdentity[],
  out: { spanId: string; parentSpanId: string }[],
  warnings: Warnings,
): void {
  const byId = new Map<string, number[]>();
  for (const i of members) {
    const id = spans[i]!.spanId;
    const list = byId.get(id);
    if (list === undefined) byId.set(id, [i]);
    else list.push(i);
  }
  const used = new Set(byId.keys());
  // Shared id → the server spans that now have their own id, for moving their local children.
  const sharedServers = new Map<string, { service: string; spanId: string }[]>();
  const reparented = new Set<number>();

  for (const [id, group] of byId) {
    if (group.length < 2) continue;
    const owner =
      group.find((i) => isCallerKind(spans[i]!.kind)) ??
      group.find((i) => !isCalleeKind(spans[i]!.kind)) ??
      group[0]!;
    const ownerIsCaller = isCallerKind(spans[owner]!.kind);
    for (const i of group) {
      if (i === owner) continue;
      const span = spans[i]!;
      const newId = deriveSpanId(traceId, id, span.service, span.kind, used);
      used.add(newId);
      out[i]!.spanId = newId;
      if (ownerIsCaller && isCalleeKind(span.kind)) {
        out[i]!.parentSpanId = id;
        reparented.add(i);
        const list = sharedServers.get(id) ?? [];
        list.push({ service: span.service, spanId: newId });
        sharedServers.set(id, list);
      } else {
        warnings.add(`trace ${traceId}: span id ${id} is used by more than one span; gave one of them the id ${newId}`);
      }
    }
  }
  if (sharedServers.size === 0) return;
  for (const i of members) {
    if (reparented.has(i)) continue;
    const servers = sharedServers.get(spans[i]!.parentSpanId);
    const local = servers?.find((s) => s.service === spans[i]!.service);
    if (local !== undefined && local.spanId !== out[i]!.spanId) out[i]!.parentSpanId = local.spanId;
  }
}

/**
 * A new span id for a span that must give up `spanId`: the first 8 bytes of
 * SHA-256(trace id, span id, service, kind, attempt), skipping ids in `used` and the all-zero id.
 * Deterministic, so importing the same file twice yields the same trace.
 */
export function deriveSpanId(traceId: string, spanId: string, service: string, kind: number, used: ReadonlySet<string>): string {
  for (let attempt = 0; ; attempt++) {
    const candidate = createHash('sha256')
      .update(`${traceId}/${spanId}/${service}/${kind}/${attempt}`)
      .digest('hex')
      .slice(0, 16);
    if (candidate !== '0000000000000000' && !used.has(candidate)) return candidate;
  }
}
