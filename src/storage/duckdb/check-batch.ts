/** The store's own check of a batch before it is written: columns of one length, indexes that point somewhere, ids that fit. */
import { StorageError } from '../api/storage.js';
import type { SpanBatch } from '../../model/span-batch.js';
import { checkContentId } from './id-codec.js';

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
  for (const r of batch.resources) checkContentId(r.id, 'resource');
  for (const s of batch.scopes) checkContentId(s.id, 'scope');
}
