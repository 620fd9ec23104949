/**
 * The in-memory services list, service kinds and traces list, over stored calls and spans (see
 * ./analytics.ts for the approach and call-queries.ts for the contract).
 */
import { StatusCode } from '../../model/otlp.js';
import type { ServiceCall } from '../../model/call.js';
import { SERVICE_KINDS, type ServiceKind } from '../../model/service.js';
import { lineContainsChain } from '../../analysis/chain.js';
import type { ServiceSummary, TimeRange, TraceQuery, TraceSummary, ZoneFilter } from '../api/call-queries.js';
import type { StoredSpan } from '../api/storage.js';
import { focalCalls } from './analytics.js';
import { callerOf, compareText, lineOf, percentileMs, startsIn, Tally, type TraceCallList } from './analytics-support.js';

/** A real call by its resource; a synthetic one by the resource of the call that made it. */
function inZone(call: ServiceCall, trace: TraceCallList, zone: ZoneFilter): boolean {
  const owner = call.synthetic ? callerOf(call, trace) : call;
  return owner?.resourceId !== null && owner?.resourceId !== undefined && zone.resourceIds.includes(owner.resourceId);
}

export function serviceSummaries(traces: Iterable<TraceCallList>, range: TimeRange, zone?: ZoneFilter): ServiceSummary[] {
  const services = new Tally<[ServiceKind, string], { calls: ServiceCall[]; callers: Set<string>; callees: Set<string> }>(() => ({ calls: [], callers: new Set(), callees: new Set() }));
  for (const trace of traces) {
    for (const call of trace) {
      if (!startsIn(call, range) || (zone !== undefined && !inZone(call, trace, zone))) continue;
      const entry = services.get([call.kind, call.service]);
      entry.calls.push(call);
      const link = call.path.at(-1);
      if (link !== undefined) entry.callers.add(JSON.stringify([link.kind, link.name]));
      if (call.synthetic) continue;
      for (const x of trace) {
        const last = x.path.at(-1);
        if (last !== undefined && last.kind !== 'unknown' && last.callId === call.callId) entry.callees.add(JSON.stringify([x.kind, x.service]));
      }
    }
  }
  const distinct = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))].sort(compareText);
  return services
    .list()
    .map(({ key: [kind, name], value: { calls, callers, callees } }) => {
      const durations = calls.map((c) => c.durationNanos);
      return {
        kind,
        name,
        requests: calls.length,
        failed: calls.filter((c) => c.failed).length,
        durationP50Ms: percentileMs(durations, 0.5),
        durationP90Ms: percentileMs(durations, 0.9),
        durationP99Ms: percentileMs(durations, 0.99),
        callers: callers.size,
        callees: callees.size,
        instances: distinct(calls.map((c) => c.instance)).length,
        namespaces: distinct(calls.map((c) => c.k8s.namespace)),
        workloads: distinct(calls.map((c) => c.k8s.workload)),
        nodes: distinct(calls.map((c) => c.k8s.node)),
      };
    })
    .sort((a, b) => compareText(a.kind, b.kind) || compareText(a.name, b.name));
}

export function serviceKinds(traces: Iterable<TraceCallList>, name: string): ServiceKind[] {
  const kinds = new Set<ServiceKind>();
  for (const trace of traces) for (const call of trace) if (call.service === name) kinds.add(call.kind);
  return SERVICE_KINDS.filter((kind) => kinds.has(kind));
}

/** One stored trace: its spans with exact duplicates already collapsed, and its calls. */
export interface ListedTrace {
  readonly traceId: string;
  readonly spans: readonly StoredSpan[];
  readonly calls: TraceCallList;
}

export function findTraces(traces: Iterable<ListedTrace>, query: TraceQuery): TraceSummary[] {
  const rows: TraceSummary[] = [];
  for (const { traceId, spans, calls } of traces) {
    if (spans.length === 0) continue;
    let start = spans[0]!.startTimeUnixNano;
    let end = spans[0]!.endTimeUnixNano;
    for (const span of spans) {
      if (span.startTimeUnixNano < start) start = span.startTimeUnixNano;
      if (span.endTimeUnixNano > end) end = span.endTimeUnixNano;
    }
    if (start < query.fromUnixNano || start >= query.toUnixNano) continue;
    const durationMs = end > start ? Number(end - start) / 1e6 : 0;
    if (query.minDurationMs !== undefined && durationMs < query.minDurationMs) continue;
    if (query.maxDurationMs !== undefined && durationMs > query.maxDurationMs) continue;
    const zone = query.zone;
    if (zone !== undefined && !calls.some((c) => !c.synthetic && inZone(c, calls, zone))) continue;
    if (!passesCallFilters(calls, query)) continue;

    const root = earliest(calls.filter((c) => c.path.length === 0)) ?? earliest(calls.filter((c) => c.path.length === 1 && c.path[0]!.kind === 'unknown'));
    rows.push({
      traceId,
      rootKind: root !== undefined && root.path.length === 0 ? root.kind : 'unknown',
      rootService: root?.service ?? 'unknown',
      rootRequest: root?.request ?? '',
      startTimeUnixNano: start,
      durationMs,
      spanCount: spans.length,
      errorCount: spans.filter((s) => s.statusCode === StatusCode.ERROR).length,
    });
  }
  rows.sort((a, b) => (a.startTimeUnixNano !== b.startTimeUnixNano ? (a.startTimeUnixNano > b.startTimeUnixNano ? -1 : 1) : compareText(a.traceId, b.traceId)));
  return rows.slice(0, Math.max(0, query.limit));
}

function passesCallFilters(calls: TraceCallList, query: TraceQuery): boolean {
  if (query.service !== undefined) {
    const focal = focalCalls([calls], {
      fromUnixNano: query.fromUnixNano,
      toUnixNano: query.toUnixNano,
      service: query.service,
      ...(query.request !== undefined ? { request: query.request } : {}),
      ...(query.chain !== undefined ? { chain: query.chain } : {}),
    });
    return query.failedOnly === true ? focal.some((f) => f.call.failed) : focal.length > 0;
  }
  const chain = query.chain;
  // Every root-to-leaf line is some call's `path + itself`, and every such line is part of one.
  if (chain !== undefined && !calls.some((c) => lineContainsChain(lineOf(c), chain))) return false;
  if (query.failedOnly === true && !calls.some((c) => c.failed)) return false;
  return true;
}

/** Earliest start, ties by smallest call id. */
function earliest(calls: readonly ServiceCall[]): ServiceCall | undefined {
  let first: ServiceCall | undefined;
  for (const c of calls) {
    if (first === undefined || c.startTimeUnixNano < first.startTimeUnixNano || (c.startTimeUnixNano === first.startTimeUnixNano && compareText(c.callId, first.callId) < 0)) first = c;
  }
  return first;
}
