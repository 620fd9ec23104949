import { generateTopology } from '../../src/analysis/testing/topology.js';
import { encodeTraceRequest } from '../../src/otlp/encode.js';
import { decodeTraceRequest } from '../../src/otlp/decode-request.js';
import { serviceInfoFromResource } from '../../src/analysis/service-info.js';
import { bytesToHex, isAllZero } from '../../src/model/ids.js';
import type { SpanBatch } from '../../src/model/span-batch.js';
class ServiceInfoCache { constructor(readonly o: { proxyServices: readonly string[] }) {} }
const traceIdOf = (b: SpanBatch, i: number) => bytesToHex(b.traceIds, i * 16, 16);
function skeletonFromBatch(batch: SpanBatch, i: number, c: ServiceInfoCache): SpanSkeleton {
  const resource = batch.resources[batch.resourceIndex[i]!]!;
  return { spanId: bytesToHex(batch.spanIds, i * 8, 8), parentSpanId: isAllZero(batch.parentSpanIds, i * 8, 8) ? '' : bytesToHex(batch.parentSpanIds, i * 8, 8),
    resourceId: resource.id.toString(16).padStart(16, '0'), service: serviceInfoFromResource(resource.attributes, c.o), name: batch.names[i]!, kind: batch.kinds[i]!,
    startTimeUnixNano: batch.startTimeUnixNano[i]!, endTimeUnixNano: batch.endTimeUnixNano[i]!, statusCode: batch.statusCodes[i]!, statusMessage: batch.statusMessages[i]!, semantics: batch.semantics[i] };
}
import { Oracle } from '../../src/analysis/oracle/oracle.js';
import type { SpanSkeleton } from '../../src/model/skeleton.js';

const stats: Record<string, number> = {};
const bump = (k: string, n = 1) => (stats[k] = (stats[k] ?? 0) + n);
const t0 = performance.now();
for (let seed = 1; seed <= 30; seed++) {
  const gen = generateTopology({ seed });
  const cache = new ServiceInfoCache({ proxyServices: gen.proxyServices });
  const traces = new Map<string, SpanSkeleton[]>();
  for (const req of gen.requests) {
    const out = decodeTraceRequest(encodeTraceRequest(req));
    if (!out.ok) throw new Error(out.error);
    if (out.rejected.length) throw new Error('rejected');
    for (let i = 0; i < out.batch.length; i++) {
      const id = traceIdOf(out.batch, i);
      const list = traces.get(id) ?? [];
      list.push(skeletonFromBatch(out.batch, i, cache));
      traces.set(id, list);
    }
  }
  const oracle = new Oracle([...traces].map(([traceId, spans]) => ({ traceId, spans })), { failureRules: gen.failureRules });
  for (const t of oracle.traces) {
    bump('traces'); bump('spans', t.spans.length);
    for (const n of t.calls) {
      const c = n.call;
      bump('calls'); bump(`kind:${c.kind}`);
      if (c.failed) bump('failed');
      if (n.unknownCaller) bump('orphans');
      if (n.caller && n.caller.call.service === c.service && n.caller.call.kind === c.kind) bump('selfcall');
      if (c.stackTraces.length) bump('withStack');
      if (c.referringPage) bump('referer');
      if (c.proxies.length) bump('proxies');
      if (c.startTimeUnixNano < gen.window.fromUnixNano || c.startTimeUnixNano >= gen.window.toUnixNano) bump('outsideWindow');
      // recursion: an ancestor with same service
      let up = n.caller?.caller; while (up) { if (up.call.service === c.service && up.call.kind === c.kind) { bump('recursion'); break; } up = up.caller; }
    }
    if (!t.calls.some(n => !n.caller && !n.unknownCaller)) bump('rootMissing');
  }
}
console.log(stats, (performance.now() - t0).toFixed(0), 'ms');
