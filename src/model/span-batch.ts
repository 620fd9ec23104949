import type { KeyValue } from './otlp.js';
import type { SpanSemantics } from './semantics.js';

/**
 * A resource or scope as it appears in a batch. `id` is a stable 64-bit content hash of `bytes`
 * (the resource's or scope's protobuf encoding), so the store keeps each distinct one once.
 */
export interface BatchResource {
  readonly id: bigint;
  readonly bytes: Uint8Array;
  readonly attributes: readonly KeyValue[];
}

export interface BatchScope {
  readonly id: bigint;
  readonly bytes: Uint8Array;
  readonly name: string;
  readonly version: string;
}

/**
 * Decoded spans in columnar form: the output of every decoder and the input of storage and the
 * assembler. Column `c` of span `i` is `c[i]` (ids: `traceIds.subarray(16*i, 16*i+16)`).
 *
 * `payloads[i]` is span `i`'s own OTLP protobuf `Span` message: the lossless record the store
 * keeps; the other columns are what queries and call derivation read. Payloads may be views into
 * the request buffer: a batch is immutable once built, and consumers that keep data past the call
 * that received the batch must copy what they keep.
 */
export interface SpanBatch {
  readonly length: number;
  readonly resources: readonly BatchResource[];
  readonly scopes: readonly BatchScope[];
  /** Per span: index into `resources`. */
  readonly resourceIndex: Uint32Array;
  /** Per span: index into `scopes`. */
  readonly scopeIndex: Uint32Array;
  /** 16 bytes per span. */
  readonly traceIds: Uint8Array;
  /** 8 bytes per span. */
  readonly spanIds: Uint8Array;
  /** 8 bytes per span; all zero for a span without parent. */
  readonly parentSpanIds: Uint8Array;
  readonly names: readonly string[];
  readonly kinds: Uint8Array;
  readonly startTimeUnixNano: BigInt64Array;
  readonly endTimeUnixNano: BigInt64Array;
  readonly statusCodes: Uint8Array;
  /** '' when the span has no status message. */
  readonly statusMessages: readonly string[];
  /** Undefined when the span carries none of the semantic attributes or exception events. */
  readonly semantics: readonly (SpanSemantics | undefined)[];
  readonly payloads: readonly Uint8Array[];
}

/** Why a span of a request was not accepted (OTLP partial success). */
export interface SpanRejection {
  readonly count: number;
  readonly reason: string;
}
