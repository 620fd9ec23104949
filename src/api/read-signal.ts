/**
 * A view of a `Storage` whose reads all carry one `AbortSignal` (storage/api/read-options.ts), so
 * the API can stop every query a request started when the request is abandoned (its
 * `query.queryTimeoutMs` passed) without passing the signal through each handler and analysis.
 */
import type { FocalFilter, NodeRef, TimeRange, TraceQuery, ZoneFilter } from '../storage/api/call-queries.js';
import type { Storage } from '../storage/api/storage.js';

export function withReadSignal(storage: Storage, signal: AbortSignal): Storage {
  const options = { signal };
  return {
    capabilities: storage.capabilities,
    close: () => storage.close(),
    memoryUsage: () => storage.memoryUsage(),
    appendSpans: (batch) => storage.appendSpans(batch),
    deleteBefore: (cutoffUnixNano) => storage.deleteBefore(cutoffUnixNano),
    replaceTraceCalls: (entries) => storage.replaceTraceCalls(entries),
    derivedTraces: (traceIds) => storage.derivedTraces(traceIds),
    tracesNeedingDerivation: (afterSeq) => storage.tracesNeedingDerivation(afterSeq),
    getDerivedWatermark: () => storage.getDerivedWatermark(),
    setDerivedWatermark: (seq) => storage.setDerivedWatermark(seq),
    getTraceCalls: (traceId) => storage.getTraceCalls(traceId),
    getTrace: (traceId) => storage.getTrace(traceId, options),
    getTraces: (traceIds) => storage.getTraces(traceIds, options),
    backtraceGroups: (filter: FocalFilter) => storage.backtraceGroups(filter, options),
    backtraceDetails: (filter: FocalFilter, nodePath: readonly NodeRef[], exemplarLimit: number) => storage.backtraceDetails(filter, nodePath, exemplarLimit, options),
    flowGroups: (filter: FocalFilter) => storage.flowGroups(filter, options),
    serviceSummaries: (range: TimeRange, zone?: ZoneFilter) => storage.serviceSummaries(range, zone, options),
    serviceNeighbourhood: (filter: FocalFilter) => storage.serviceNeighbourhood(filter, options),
    failures: (filter: FocalFilter, bucketMs: number) => storage.failures(filter, bucketMs, options),
    findTraces: (query: TraceQuery) => storage.findTraces(query, options),
    serviceKinds: (name: string) => storage.serviceKinds(name, options),
    listResources: () => storage.listResources(options),
  };
}
