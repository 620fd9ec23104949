import type { ServiceCall } from '../model/call.js';
import { normalizeTraceIdHex } from '../model/ids.js';
import { decodeResource, decodeScope, decodeSpan } from '../otlp/decode-message.js';
import { resourceToJson, scopeToJson, spanToJson } from '../otlp/json.js';
import type { Storage } from '../storage/api/storage.js';

/** One service call as the API shows it: ids hex, times as epoch-nanosecond strings and milliseconds. */
export interface CallJson {
  readonly callId: string;
  readonly synthetic: boolean;
  readonly kind: string;
  readonly service: string;
  readonly request: string;
  readonly startTimeUnixNano: string;
  readonly durationMs: number;
  readonly failed: boolean;
  readonly failureReason: string | null;
  readonly stackTraces: readonly string[];
  readonly caller: { readonly kind: string; readonly name: string; readonly request: string; readonly callId: string } | null;
  readonly path: ServiceCall['path'];
  readonly instance: string | null;
  readonly k8s: ServiceCall['k8s'];
  readonly referringPage: string | null;
  readonly proxies: readonly string[];
}

export interface TraceJson {
  readonly traceId: string;
  /** OTLP/JSON: `resourceSpans` → `scopeSpans` → `spans`, hex ids. */
  readonly resourceSpans: unknown[];
  readonly calls: CallJson[];
}

export type TraceLookup = { readonly found: true; readonly trace: TraceJson } | { readonly found: false; readonly reason: 'invalid-id' | 'not-found' };

/** `GET /api/v1/traces/{traceId}` and `tributary trace`: every stored span plus the derived calls. */
export async function getTraceJson(storage: Storage, traceIdText: string): Promise<TraceLookup> {
  const traceId = normalizeTraceIdHex(traceIdText);
  if (traceId === undefined) return { found: false, reason: 'invalid-id' };
  const [stored, calls] = await Promise.all([storage.getTrace(traceId), storage.getTraceCalls(traceId)]);
  if (stored.spans.length === 0) return { found: false, reason: 'not-found' };

  const byResource = new Map<string, Map<string, unknown[]>>();
  for (const span of stored.spans) {
    let scopes = byResource.get(span.resourceId);
    if (!scopes) byResource.set(span.resourceId, (scopes = new Map()));
    let spans = scopes.get(span.scopeId);
    if (!spans) scopes.set(span.scopeId, (spans = []));
    spans.push(spanToJson(decodeSpan(span.payload)));
  }
  const resourceSpans = [...byResource].map(([resourceId, scopes]) => {
    const resource = stored.resources.get(resourceId);
    return {
      resource: resourceToJson(resource ? decodeResource(resource.bytes) : { attributes: [], droppedAttributesCount: 0 }),
      scopeSpans: [...scopes].map(([scopeId, spans]) => {
        const scopeBytes = stored.scopes.get(scopeId);
        return {
          scope: scopeToJson(scopeBytes ? decodeScope(scopeBytes) : { name: '', version: '', attributes: [], droppedAttributesCount: 0 }),
          spans,
        };
      }),
    };
  });
  return { found: true, trace: { traceId, resourceSpans, calls: calls.map(callToJson) } };
}

export function callToJson(call: ServiceCall): CallJson {
  const caller = call.path.at(-1);
  return {
    callId: call.callId,
    synthetic: call.synthetic,
    kind: call.kind,
    service: call.service,
    request: call.request,
    startTimeUnixNano: call.startTimeUnixNano.toString(),
    durationMs: Number(call.durationNanos) / 1e6,
    failed: call.failed,
    failureReason: call.failureReason,
    stackTraces: call.stackTraces,
    caller: caller ?? null,
    path: call.path,
    instance: call.instance,
    k8s: call.k8s,
    referringPage: call.referringPage,
    proxies: call.proxies,
  };
}
