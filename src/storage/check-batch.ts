/**
 * Every backend's own check of a batch before it writes it: columns of one length, indexes that
 * point somewhere, resource and scope ids that fit an unsigned 64-bit integer (both DuckDB and
 * ClickHouse keep them as UInt64).
 */
import { StorageError } from './api/storage.js';
import type { SpanBatch } from '../model/span-batch.js';

const UINT64_LIMIT = 1n << 64n;

/** Rejects a batch whose columns disagree with its length or whose indexes point nowhere. */
export function checkBatch(batch: SpanBatch): void {
  const n = batch.length;
  const perSpan = [batch.resourceIndex, batch.scopeIndex, batch.names, batch.kinds, batch.startTimeUnixNano, batch.endTimeUnixNano, batch.statusCodes, batch.statusMessages, batch.payloads];
  if (batch.traceIds.length !== 16 * n || batch.spanIds.length !== 8 * n || batch.parentSpanIds.length !== 8 * n || perSpan.some((c) => c.length !== n)) {
    throw new StorageError(`span batch columns do not all hold ${n} spans`);
  }
  for (let i = 0; i < n; i++) {
    if (batch.resourceIndex[i]! >= batch.resources.length || batch.scopeIndex[i]! >= batch.scopes.length) {
      throw new StorageError(`span ${i} of the batch names a resource or scope the batch does not hold`);
    }
  }
  for (const [what, items] of [['resource', batch.resources], ['scope', batch.scopes]] as const) {
    for (const { id } of items) if (id < 0n || id >= UINT64_LIMIT) throw new StorageError(`${what} id ${id} does not fit an unsigned 64-bit integer`);
  }
}
