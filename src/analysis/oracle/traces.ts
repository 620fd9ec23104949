/**
 * The oracle's traces list (DESIGN.md §3 "Traces list"), from whole traces: span-level facts from
 * the skeletons, call-level filters from the call tree.
 */
import { StatusCode } from '../../model/otlp.js';
import type { TraceQuery, TraceSummary } from '../../storage/api/call-queries.js';
import { lineContainsChain } from '../chain.js';
import { linesOf, type CallNode, type OracleTrace } from './call-tree.js';
import { compareText, focalCalls, nanosToMs } from './focal.js';
import { inZone } from './services.js';

/**
 * A trace is listed when all of these hold:
 * - its start (the earliest span start) lies in `[from, to)`;
 * - with `service`: it has a focal call of `{ service, request, chain }` in the window (the
 *   window applies to that call's own start too); with `failedOnly` one of those failed;
 * - without `service` (`request` is then ignored): with `chain`, some root-to-leaf line of the
 *   trace contains the chain; with `failedOnly`, some call of the trace (any service, synthetic
 *   ones included, any start time) failed;
 * - `minDurationMs` ≤ duration ≤ `maxDurationMs` (both inclusive, each when given);
 * - with `zone`: some real call of the trace has its resource in the zone (a synthetic call is in
 *   a zone only through the call that made it, so it adds nothing).
 *
 * Row facts: `spanCount` = the spans given; `errorCount` = spans with status ERROR; duration =
 * latest span end − earliest span start (0 when negative), in ms. Root: among the calls with no
 * caller the one that starts first (ties: smallest call id), reported with its kind, service and
 * request. When there is none (the root span never arrived, every top call is an orphan), the
 * orphan that starts first (ties: smallest call id): `rootKind` is `unknown` — the marker that the
 * root is missing — while `rootService`/`rootRequest` are that orphan's, the topmost call that did
 * arrive. Newest first (start descending, then trace id ascending), at most `limit` rows.
 */
export function oracleFindTraces(traces: readonly OracleTrace[], query: TraceQuery): TraceSummary[] {
  const rows: TraceSummary[] = [];
  for (const trace of traces) {
    if (trace.spans.length === 0) continue;
    let start = trace.spans[0]!.startTimeUnixNano;
    let end = trace.spans[0]!.endTimeUnixNano;
    let errorCount = 0;
    for (const span of trace.spans) {
      if (span.startTimeUnixNano < start) start = span.startTimeUnixNano;
      if (span.endTimeUnixNano > end) end = span.endTimeUnixNano;
      if (span.statusCode === StatusCode.ERROR) errorCount += 1;
    }
    if (start < query.fromUnixNano || start >= query.toUnixNano) continue;
    const durationMs = end > start ? nanosToMs(end - start) : 0;
    if (query.minDurationMs !== undefined && durationMs < query.minDurationMs) continue;
    if (query.maxDurationMs !== undefined && durationMs > query.maxDurationMs) continue;
    if (query.zone !== undefined) {
      const zone = query.zone;
      if (!trace.calls.some((node) => !node.call.synthetic && inZone(node, zone))) continue;
    }
    if (!passesCallFilters(trace, query)) continue;

    const trueRoot = firstOf(trace.calls.filter((n) => n.caller === undefined && !n.unknownCaller));
    const root = trueRoot ?? firstOf(trace.calls.filter((n) => n.unknownCaller));
    rows.push({
      traceId: trace.traceId,
      rootKind: trueRoot !== undefined ? trueRoot.call.kind : 'unknown',
      rootService: root?.call.service ?? 'unknown',
      rootRequest: root?.call.request ?? '',
      startTimeUnixNano: start,
      durationMs,
      spanCount: trace.spans.length,
      errorCount,
    });
  }
  rows.sort((a, b) =>
    a.startTimeUnixNano !== b.startTimeUnixNano ? (a.startTimeUnixNano > b.startTimeUnixNano ? -1 : 1) : compareText(a.traceId, b.traceId),
  );
  return rows.slice(0, Math.max(0, query.limit));
}

function passesCallFilters(trace: OracleTrace, query: TraceQuery): boolean {
  if (query.service !== undefined) {
    const focal = focalCalls([trace], {
      fromUnixNano: query.fromUnixNano,
      toUnixNano: query.toUnixNano,
      service: query.service,
      ...(query.request !== undefined ? { request: query.request } : {}),
      ...(query.chain !== undefined ? { chain: query.chain } : {}),
    });
    return query.failedOnly === true ? focal.some((n) => n.call.failed) : focal.length > 0;
  }
  const chain = query.chain;
  if (chain !== undefined && !linesOf(trace).some((line) => lineContainsChain(line, chain))) return false;
  if (query.failedOnly === true && !trace.calls.some((n) => n.call.failed)) return false;
  return true;
}

/** The call that starts first (ties: smallest call id); undefined for none. */
function firstOf(calls: readonly CallNode[]): CallNode | undefined {
  let root: CallNode | undefined;
  for (const node of calls) {
    const c = node.call;
    if (
      root === undefined ||
      c.startTimeUnixNano < root.call.startTimeUnixNano ||
      (c.startTimeUnixNano === root.call.startTimeUnixNano && compareText(c.callId, root.call.callId) < 0)
    ) {
      root = node;
    }
  }
  return root;
}
