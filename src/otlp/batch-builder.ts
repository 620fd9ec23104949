/**
 * Growable columns for a `SpanBatch` under construction. The decoder writes span `length` into
 * the public arrays after `reserve()`, then calls `commit()`. Typed columns double when full, so
 * building n spans copies O(n) bytes in total.
 */
import type { BatchResource, BatchScope, SpanBatch } from '../model/span-batch.js';
import type { SpanSemantics } from '../model/semantics.js';

export class SpanBatchBuilder {
  length = 0;
  private capacity: number;
  resourceIndex: Uint32Array;
  scopeIndex: Uint32Array;
  traceIds: Uint8Array;
  spanIds: Uint8Array;
  parentSpanIds: Uint8Array;
  kinds: Uint8Array;
  statusCodes: Uint8Array;
  startTimeUnixNano: BigInt64Array;
  endTimeUnixNano: BigInt64Array;
  /** Byte views of the time columns, so fixed64 fields are copied without creating a bigint. */
  startTimeBytes: Uint8Array;
  endTimeBytes: Uint8Array;
  readonly names: string[] = [];
  readonly statusMessages: string[] = [];
  readonly semantics: (SpanSemantics | undefined)[] = [];
  readonly payloads: Uint8Array[] = [];
  readonly resources: BatchResource[] = [];
  readonly scopes: BatchScope[] = [];

  constructor(initialCapacity: number) {
    const n = Math.max(1, initialCapacity);
    this.capacity = n;
    this.resourceIndex = new Uint32Array(n);
    this.scopeIndex = new Uint32Array(n);
    this.traceIds = new Uint8Array(16 * n);
    this.spanIds = new Uint8Array(8 * n);
    this.parentSpanIds = new Uint8Array(8 * n);
    this.kinds = new Uint8Array(n);
    this.statusCodes = new Uint8Array(n);
    this.startTimeUnixNano = new BigInt64Array(n);
    this.endTimeUnixNano = new BigInt64Array(n);
    this.startTimeBytes = new Uint8Array(this.startTimeUnixNano.buffer);
    this.endTimeBytes = new Uint8Array(this.endTimeUnixNano.buffer);
  }

  /** Makes room for span `length`. */
  reserve(): void {
    if (this.length < this.capacity) return;
    const n = this.capacity * 2;
    this.capacity = n;
    this.resourceIndex = grow(this.resourceIndex, new Uint32Array(n));
    this.scopeIndex = grow(this.scopeIndex, new Uint32Array(n));
    this.traceIds = grow(this.traceIds, new Uint8Array(16 * n));
    this.spanIds = grow(this.spanIds, new Uint8Array(8 * n));
    this.parentSpanIds = grow(this.parentSpanIds, new Uint8Array(8 * n));
    this.kinds = grow(this.kinds, new Uint8Array(n));
    this.statusCodes = grow(this.statusCodes, new Uint8Array(n));
    this.startTimeUnixNano = growBigInts(this.startTimeUnixNano, new BigInt64Array(n));
    this.endTimeUnixNano = growBigInts(this.endTimeUnixNano, new BigInt64Array(n));
    this.startTimeBytes = new Uint8Array(this.startTimeUnixNano.buffer);
    this.endTimeBytes = new Uint8Array(this.endTimeUnixNano.buffer);
  }

  /** The finished batch. Its columns are views of this builder's arrays; build once. */
  build(): SpanBatch {
    const n = this.length;
    return {
      length: n,
      resources: this.resources,
      scopes: this.scopes,
      resourceIndex: this.resourceIndex.subarray(0, n),
      scopeIndex: this.scopeIndex.subarray(0, n),
      traceIds: this.traceIds.subarray(0, 16 * n),
      spanIds: this.spanIds.subarray(0, 8 * n),
      parentSpanIds: this.parentSpanIds.subarray(0, 8 * n),
      names: this.names,
      kinds: this.kinds.subarray(0, n),
      startTimeUnixNano: this.startTimeUnixNano.subarray(0, n),
      endTimeUnixNano: this.endTimeUnixNano.subarray(0, n),
      statusCodes: this.statusCodes.subarray(0, n),
      statusMessages: this.statusMessages,
      semantics: this.semantics,
      payloads: this.payloads,
    };
  }
}

function grow<T extends Uint8Array | Uint32Array>(old: T, grown: T): T {
  grown.set(old);
  return grown;
}

function growBigInts(old: BigInt64Array, grown: BigInt64Array): BigInt64Array {
  grown.set(old);
  return grown;
}
