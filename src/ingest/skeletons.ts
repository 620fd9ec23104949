import { serviceInfoFromResource, type ServiceInfoOptions } from '../analysis/service-info.js';
import { bytesToHex, isAllZero } from '../model/ids.js';
import type { KeyValue } from '../model/otlp.js';
import type { ServiceInfo } from '../model/service.js';
import type { SpanSkeleton } from '../model/skeleton.js';
import type { SpanBatch } from '../model/span-batch.js';
import { decodeSpan } from '../otlp/decode-message.js';
import { semanticsOfSpan } from '../otlp/semantics.js';
import type { StoredTrace } from '../storage/api/storage.js';

/**
 * Resolves resources to `ServiceInfo`, remembering the answer per resource id: a service emits
 * the same resource on every export, so normalization runs once per distinct resource, not per span.
 * Bounded: past `maxEntries` the cache starts over.
 */
export class ServiceInfoCache {
  private readonly byId = new Map<string, ServiceInfo>();

  constructor(
    private readonly options: ServiceInfoOptions,
    private readonly maxEntries = 100_000,
  ) {}

  get(resourceIdHex: string, attributes: readonly KeyValue[]): ServiceInfo {
    let info = this.byId.get(resourceIdHex);
    if (info === undefined) {
      if (this.byId.size >= this.maxEntries) this.byId.clear();
      info = serviceInfoFromResource(attributes, this.options);
      this.byId.set(resourceIdHex, info);
    }
    return info;
  }
}

/** Resource ids are non-negative 64-bit values; their hex form is the store's and the call rows' key. */
export function resourceIdHex(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}

/** Span `i` of `batch` as a skeleton (a copy: nothing refers back into the batch's buffers). */
export function skeletonFromBatch(batch: SpanBatch, i: number, services: ServiceInfoCache): SpanSkeleton {
  const resource = batch.resources[batch.resourceIndex[i]!]!;
  const resourceId = resourceIdHex(resource.id);
  return {
    spanId: bytesToHex(batch.spanIds, i * 8, 8),
    parentSpanId: isAllZero(batch.parentSpanIds, i * 8, 8) ? '' : bytesToHex(batch.parentSpanIds, i * 8, 8),
    resourceId,
    service: services.get(resourceId, resource.attributes),
    name: batch.names[i]!,
    kind: batch.kinds[i]!,
    startTimeUnixNano: batch.startTimeUnixNano[i]!,
    endTimeUnixNano: batch.endTimeUnixNano[i]!,
    statusCode: batch.statusCodes[i]!,
    statusMessage: batch.statusMessages[i]!,
    semantics: batch.semantics[i],
  };
}

/** The skeletons of a stored trace, for re-derivation (slow path: decodes each span's payload). */
export function skeletonsFromStoredTrace(trace: StoredTrace, services: ServiceInfoCache, maxSpans: number): SpanSkeleton[] {
  const skeletons: SpanSkeleton[] = [];
  for (const span of trace.spans) {
    if (skeletons.length >= maxSpans) break;
    const resource = trace.resources.get(span.resourceId);
    skeletons.push({
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      resourceId: span.resourceId,
      service: services.get(span.resourceId, resource?.attributes ?? []),
      name: span.name,
      kind: span.kind,
      startTimeUnixNano: span.startTimeUnixNano,
      endTimeUnixNano: span.endTimeUnixNano,
      statusCode: span.statusCode,
      statusMessage: span.statusMessage,
      semantics: semanticsOfSpan(decodeSpan(span.payload)),
    });
  }
  return skeletons;
}

/** The hex trace id of span `i`. */
export function traceIdOf(batch: SpanBatch, i: number): string {
  return bytesToHex(batch.traceIds, i * 16, 16);
}
