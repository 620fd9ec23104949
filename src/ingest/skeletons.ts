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

/**
 * What the assembler keeps of a committed batch while its traces wait to settle: the columns a
 * skeleton is made of, and each resource's id and service resolved once. Not the payloads, nor the
 * resources' bytes, which are views into the request body: keeping those would hold every body for
 * the settle window.
 *
 * Live spans are kept as (batch, row) rather than as `SpanSkeleton` objects: at ~60K spans/s and a
 * 10 s settle window that is ~600K spans, and as objects (with their hex ids and bigints, ~6 heap
 * objects a span) they all lived long enough to be promoted, so every major GC marked them again.
 * Skeletons are made when a trace settles and die young.
 */
export interface LiveBatch
  extends Pick<
    SpanBatch,
    'spanIds' | 'parentSpanIds' | 'names' | 'kinds' | 'startTimeUnixNano' | 'endTimeUnixNano' | 'statusCodes' | 'statusMessages' | 'semantics' | 'resourceIndex'
  > {
  /** Per resource of the batch: its id's hex and its service. */
  readonly resourceIds: readonly string[];
  readonly services: readonly ServiceInfo[];
}

export function liveBatch(batch: SpanBatch, services: ServiceInfoCache): LiveBatch {
  const resourceIds = batch.resources.map((r) => resourceIdHex(r.id));
  return {
    spanIds: batch.spanIds,
    parentSpanIds: batch.parentSpanIds,
    names: batch.names,
    kinds: batch.kinds,
    startTimeUnixNano: batch.startTimeUnixNano,
    endTimeUnixNano: batch.endTimeUnixNano,
    statusCodes: batch.statusCodes,
    statusMessages: batch.statusMessages,
    semantics: batch.semantics,
    resourceIndex: batch.resourceIndex,
    resourceIds,
    services: batch.resources.map((r, i) => services.get(resourceIds[i]!, r.attributes)),
  };
}

/** Span `i` of a live batch as a skeleton. */
export function skeletonAt(batch: LiveBatch, i: number): SpanSkeleton {
  const resource = batch.resourceIndex[i]!;
  return {
    spanId: bytesToHex(batch.spanIds, i * 8, 8),
    parentSpanId: isAllZero(batch.parentSpanIds, i * 8, 8) ? '' : bytesToHex(batch.parentSpanIds, i * 8, 8),
    resourceId: batch.resourceIds[resource]!,
    service: batch.services[resource]!,
    name: batch.names[i]!,
    kind: batch.kinds[i]!,
    startTimeUnixNano: batch.startTimeUnixNano[i]!,
    endTimeUnixNano: batch.endTimeUnixNano[i]!,
    statusCode: batch.statusCodes[i]!,
    statusMessage: batch.statusMessages[i]!,
    semantics: batch.semantics[i],
  };
}

/** Every span of `batch` as a skeleton, in batch order (tools and tests; the assembler keeps `LiveBatch`es). */
export function skeletonsOfBatch(batch: SpanBatch, services: ServiceInfoCache): SpanSkeleton[] {
  const live = liveBatch(batch, services);
  return Array.from({ length: batch.length }, (_, i) => skeletonAt(live, i));
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
