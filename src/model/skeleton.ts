import type { ServiceInfo } from './service.js';
import type { SpanSemantics } from './semantics.js';

/**
 * The part of a span that call derivation reads (DESIGN.md §1 "Assembler": a small skeleton of
 * each live trace, not whole spans). Ids are lower-case hex; `parentSpanId` is '' for a root span.
 */
export interface SpanSkeleton {
  readonly spanId: string;
  readonly parentSpanId: string;
  /** Hex of the resource id; the key of `service` in the store. */
  readonly resourceId: string;
  readonly service: ServiceInfo;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly semantics: SpanSemantics | undefined;
}
