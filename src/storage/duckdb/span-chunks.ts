/**
 * `SpanBatch` → DuckDB data chunks for the `spans` table's appender, column by column.
 *
 * This is the append hot path (guarded by `bench/append.ts`). Per-value appender calls cost
 * 70–850 ns each; filling whole columns and handing DuckDB ≤2048-row chunks costs a fraction of
 * that. Integer columns are copied into DuckDB in one call per column; only strings and blobs cost
 * one native call per value, which is why ids are integers. No column uses NULL: a root span's
 * parent is 0 (an all-zero id, as in OTLP) and an absent status message is '', because reading a
 * column with a validity mask back through the index cost twice as much (0.86 vs 0.37 ms).
 */
import { DuckDBBigIntType, DuckDBBlobType, DuckDBDataChunk, DuckDBUBigIntType, DuckDBUHugeIntType, DuckDBUTinyIntType, DuckDBVarCharType, blobValue } from '@duckdb/node-api';
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { StorageError } from '../api/storage.js';
import type { SpanBatch } from '../../model/span-batch.js';
import { checkContentId, dataViewOf, spanIdAt, traceIdAt } from './id-codec.js';

/** DuckDB's vector size: the most rows one data chunk holds. */
export const CHUNK_ROWS = 2048;

/** The `spans` columns in table order (see `schema.ts`). */
const SPAN_COLUMN_TYPES: readonly DuckDBType[] = [
  DuckDBUHugeIntType.instance, // trace_id
  DuckDBUBigIntType.instance, // span_id
  DuckDBUBigIntType.instance, // parent_span_id
  DuckDBUBigIntType.instance, // seq
  DuckDBUBigIntType.instance, // resource_id
  DuckDBUBigIntType.instance, // scope_id
  DuckDBVarCharType.instance, // name
  DuckDBUTinyIntType.instance, // kind
  DuckDBBigIntType.instance, // start_time_ns
  DuckDBBigIntType.instance, // duration_ns
  DuckDBUTinyIntType.instance, // status_code
  DuckDBVarCharType.instance, // status_message
  DuckDBBlobType.instance, // payload
];

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

/**
 * Fills data chunks with the spans of several batches, each batch with its own seq. Rows run on
 * across batch boundaries, so a group of small batches still makes full chunks.
 */
export class SpanChunkBuilder {
  private readonly chunks: DuckDBDataChunk[] = [];
  private columns = emptyColumns();
  private rows = 0;

  add(batch: SpanBatch, seq: bigint): void {
    const traceIds = dataViewOf(batch.traceIds);
    const spanIds = dataViewOf(batch.spanIds);
    const parentIds = dataViewOf(batch.parentSpanIds);
    const resourceIds = batch.resources.map((r) => r.id);
    const scopeIds = batch.scopes.map((s) => s.id);
    let c = this.columns;
    let lastTraceId = 0n;
    for (let i = 0; i < batch.length; i++) {
      // Spans of one trace usually sit together in a batch: reuse the trace id's bigint.
      const traceId = i > 0 && sameTraceId(batch.traceIds, i) ? lastTraceId : traceIdAt(traceIds, i);
      lastTraceId = traceId;
      const start = batch.startTimeUnixNano[i]!;
      c.traceId.push(traceId);
      c.spanId.push(spanIdAt(spanIds, i));
      c.parentSpanId.push(spanIdAt(parentIds, i));
      c.seq.push(seq);
      c.resourceId.push(resourceIds[batch.resourceIndex[i]!]!);
      c.scopeId.push(scopeIds[batch.scopeIndex[i]!]!);
      c.name.push(batch.names[i]!);
      c.kind.push(batch.kinds[i]!);
      c.start.push(start);
      c.duration.push(BigInt.asIntN(64, batch.endTimeUnixNano[i]! - start));
      c.statusCode.push(batch.statusCodes[i]!);
      c.statusMessage.push(batch.statusMessages[i]!);
      c.payload.push(blobValue(batch.payloads[i]!));
      if (++this.rows === CHUNK_ROWS) {
        this.flush();
        c = this.columns;
      }
    }
  }

  /** The finished chunks; the builder is empty afterwards. */
  finish(): DuckDBDataChunk[] {
    if (this.rows > 0) this.flush();
    return this.chunks.splice(0);
  }

  private flush(): void {
    const chunk = DuckDBDataChunk.create(SPAN_COLUMN_TYPES, this.rows);
    const c = this.columns;
    const ordered: DuckDBValue[][] = [c.traceId, c.spanId, c.parentSpanId, c.seq, c.resourceId, c.scopeId, c.name, c.kind, c.start, c.duration, c.statusCode, c.statusMessage, c.payload];
    ordered.forEach((values, index) => chunk.setColumnValues(index, values));
    this.chunks.push(chunk);
    this.columns = emptyColumns();
    this.rows = 0;
  }
}

function sameTraceId(traceIds: Uint8Array, i: number): boolean {
  const a = 16 * i;
  const b = a - 16;
  for (let k = 0; k < 16; k++) if (traceIds[a + k] !== traceIds[b + k]) return false;
  return true;
}

function emptyColumns() {
  return {
    traceId: [] as bigint[],
    spanId: [] as bigint[],
    parentSpanId: [] as bigint[],
    seq: [] as bigint[],
    resourceId: [] as bigint[],
    scopeId: [] as bigint[],
    name: [] as string[],
    kind: [] as number[],
    start: [] as bigint[],
    duration: [] as bigint[],
    statusCode: [] as number[],
    statusMessage: [] as string[],
    payload: [] as DuckDBValue[],
  };
}
