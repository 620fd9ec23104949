/**
 * `SpanBatch` → insert bodies: `spans` rows as RowBinary (the append hot path, `row-binary.ts`),
 * the few new `resources` and `scopes` as `VALUES` literals (`connection.insertValues`).
 */
import type { BatchResource, BatchScope, SpanBatch } from '../../model/span-batch.js';
import { encodeAttributes, flattenAttributes } from '../duckdb/attribute-codec.js';
import { stringArrayLiteral, stringLiteral, uint64Literal } from './sql-literal.js';
import type { RowBinaryWriter } from './row-binary.js';
import type { ValuesWriter } from './values-writer.js';

export const SPAN_COLUMNS = [
  'trace_id',
  'span_id',
  'parent_span_id',
  'seq',
  'resource_id',
  'scope_id',
  'name',
  'kind',
  'start_time_ns',
  'duration_ns',
  'status_code',
  'status_message',
  'payload',
] as const;

export const RESOURCE_COLUMNS = ['id', 'bytes', 'attributes', 'attribute_keys', 'attribute_values'] as const;
export const SCOPE_COLUMNS = ['id', 'bytes', 'name', 'version'] as const;

/** Writes the `spans` rows of one batch, every span with `seq`, in `SPAN_COLUMNS` order. */
export function writeSpanRows(batch: SpanBatch, seq: bigint, out: RowBinaryWriter): void {
  for (let i = 0; i < batch.length; i++) {
    const start = batch.startTimeUnixNano[i]!;
    const resource = batch.resources[batch.resourceIndex[i]!]!;
    const scope = batch.scopes[batch.scopeIndex[i]!]!;
    out
      .row()
      .fixed(batch.traceIds.subarray(i * 16, i * 16 + 16))
      .uint64FromBigEndian(batch.spanIds, i * 8)
      .uint64FromBigEndian(batch.parentSpanIds, i * 8)
      .uint64(seq)
      .uint64(resource.id)
      .uint64(scope.id)
      .string(batch.names[i]!)
      .uint8(batch.kinds[i]!)
      .int64(start)
      // `end - start` wrapped to Int64, so `start + duration` (wrapped) gives the end back exactly.
      .int64(BigInt.asIntN(64, batch.endTimeUnixNano[i]! - start))
      .uint8(batch.statusCodes[i]!)
      .string(batch.statusMessages[i]!)
      .bytes(batch.payloads[i]!);
  }
}

export function writeResourceRow(resource: BatchResource, out: ValuesWriter): void {
  const strings = flattenAttributes(resource.attributes);
  const text = `,${stringLiteral(encodeAttributes(resource.attributes))},${stringArrayLiteral([...strings.keys()])},${stringArrayLiteral([...strings.values()])}`;
  out.openRow().text(`${uint64Literal(resource.id)},`).bytes(resource.bytes).text(text).closeRow();
}

export function writeScopeRow(scope: BatchScope, out: ValuesWriter): void {
  out.openRow().text(`${uint64Literal(scope.id)},`).bytes(scope.bytes).text(`,${stringLiteral(scope.name)},${stringLiteral(scope.version)}`).closeRow();
}
