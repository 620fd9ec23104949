import type { OtlpTraceRequest } from '../model/otlp.js';

/**
 * Splits a request into requests of at most `maxSpans` spans each, keeping each span with its
 * resource and scope (a large imported file becomes batches the store commits one by one).
 */
export function* splitTraceRequest(request: OtlpTraceRequest, maxSpans: number): Generator<OtlpTraceRequest> {
  let current: { resource: OtlpTraceRequest['resourceSpans'][number]; scopes: { scope: OtlpTraceRequest['resourceSpans'][number]['scopeSpans'][number]; spans: OtlpTraceRequest['resourceSpans'][number]['scopeSpans'][number]['spans'][number][] }[] }[] = [];
  let count = 0;
  const flush = (): OtlpTraceRequest => {
    const out: OtlpTraceRequest = {
      resourceSpans: current.map((r) => ({ ...r.resource, scopeSpans: r.scopes.map((s) => ({ ...s.scope, spans: s.spans })) })),
    };
    current = [];
    count = 0;
    return out;
  };
  for (const resourceSpans of request.resourceSpans) {
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        if (count === maxSpans) yield flush();
        let resource = current.at(-1);
        if (resource?.resource !== resourceSpans) current.push((resource = { resource: resourceSpans, scopes: [] }));
        let scope = resource.scopes.at(-1);
        if (scope?.scope !== scopeSpans) resource.scopes.push((scope = { scope: scopeSpans, spans: [] }));
        scope.spans.push(span);
        count++;
      }
    }
  }
  if (count > 0) yield flush();
}
