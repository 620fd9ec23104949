/**
 * Reading traces back: their spans, out of span blocks (`span-blocks.ts`), and the resources and
 * scopes they reference.
 *
 * How DuckDB finds one trace among millions of spans: the `trace_blocks_trace_id` ART index gives
 * the blocks that hold the trace (usually one or two; trace ids are random, so min/max zone maps
 * prune nothing on them), then the blocks are fetched by id (block ids grow with appends, so zone
 * maps prune on them), decompressed, and their spans of the trace picked out. Before schema 6 the
 * index was on a row per span; with ten-span traces it now takes a tenth of the inserts.
 */
import { LIST, UBIGINT, UHUGEINT, listValue } from '@duckdb/node-api';
import type { DuckDBBlobValue, DuckDBValue } from '@duckdb/node-api';
import type { StoredSpan, StoredTrace } from '../api/storage.js';
import type { BatchResource } from '../../model/span-batch.js';
import type { SerialConnection } from './connection.js';
import { decodeAttributes } from './attribute-codec.js';
import { id64Hex, parseTraceId } from './id-codec.js';
import { SpanBlock, type BlockSpan } from './span-block-reader.js';

export const BLOCKS_OF_TRACE = 'SELECT DISTINCT block_id FROM trace_blocks WHERE trace_id = $1';
/** A join with the unnested list: DuckDB plans it as a hash join over the narrow `trace_blocks` columns. */
const BLOCKS_OF_TRACES = `SELECT DISTINCT t.trace_id, t.block_id FROM trace_blocks t
JOIN (SELECT DISTINCT unnest($1::UHUGEINT[]) AS trace_id) q ON t.trace_id = q.trace_id`;
/** Blocks fetched per statement at most: bounds the memory one read holds compressed. */
const BLOCKS_PER_FETCH = 64;

const RESOURCES_BY_ID = `SELECT r.id, r.bytes, r.attributes FROM resources r JOIN (SELECT unnest($1::UBIGINT[]) AS id) q ON r.id = q.id`;
const SCOPES_BY_ID = `SELECT s.id, s.bytes, '' FROM scopes s JOIN (SELECT unnest($1::UBIGINT[]) AS id) q ON s.id = q.id`;
const LIST_UBIGINT = LIST(UBIGINT);

/** Resources and scopes kept in memory at most; there are typically a few per service instance. */
const CACHE_ENTRIES = 10_000;

interface CachedContent {
  readonly bytes: Uint8Array;
  /** Lossless attribute JSON (resources); '' for scopes. */
  readonly attributes: string;
}

/**
 * Reads traces. Resources and scopes are content-addressed and never change once stored, so they
 * are cached here: a trace read is then one indexed query. (Without the cache the two lookups by
 * id cost about 0.9 ms at p50, as much as the spans themselves.)
 */
export class TraceReader {
  private readonly resources = new Map<bigint, CachedContent>();
  private readonly scopes = new Map<bigint, CachedContent>();

  async read(conn: SerialConnection, traceHex: string): Promise<StoredTrace> {
    const traceId = parseTraceId(traceHex);
    const blockIds = (await conn.query(BLOCKS_OF_TRACE, [traceId], [UHUGEINT])).getRows().map(([id]) => id as bigint);
    const spans = new Map([[traceId, [] as BlockSpan[]]]);
    await this.collect(conn, blockIds, spans);
    return (await this.assemble(conn, new Map([[traceHex, spans.get(traceId)!]]))).get(traceHex)!;
  }

  /** `read` for each distinct id of `traceHexes`: one index lookup for all, each block read once, one lookup each of resources and scopes. */
  async readMany(conn: SerialConnection, traceHexes: readonly string[]): Promise<Map<string, StoredTrace>> {
    const hexById = new Map<bigint, string>();
    for (const hex of traceHexes) hexById.set(parseTraceId(hex), hex);
    if (hexById.size === 0) return new Map();
    const spans = new Map<bigint, BlockSpan[]>();
    for (const id of hexById.keys()) spans.set(id, []);
    const rows = (await conn.query(BLOCKS_OF_TRACES, [listValue([...hexById.keys()])], [LIST(UHUGEINT)])).getRows();
    await this.collect(conn, [...new Set(rows.map(([, blockId]) => blockId as bigint))], spans);
    const byHex = new Map<string, BlockSpan[]>();
    for (const [id, hex] of hexById) byHex.set(hex, spans.get(id)!);
    return this.assemble(conn, byHex);
  }

  /** Reads `blockIds` and adds each span whose trace is a key of `spans` to that trace's list. */
  private async collect(conn: SerialConnection, blockIds: readonly bigint[], spans: Map<bigint, BlockSpan[]>): Promise<void> {
    const sorted = [...blockIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (let from = 0; from < sorted.length; from += BLOCKS_PER_FETCH) {
      // The ids are integers this reader got from the store: safe as literals, and DuckDB prunes
      // row groups on a literal IN list (a bound list parameter would be a join, scanning every block).
      const ids = sorted.slice(from, from + BLOCKS_PER_FETCH).join(', ');
      for (const [bytes] of (await conn.query(`SELECT block FROM span_blocks WHERE block_id IN (${ids})`)).getRows()) {
        const block = SpanBlock.decompress((bytes as DuckDBBlobValue).bytes);
        for (let i = 0; i < block.length; i++) spans.get(block.traceId(i))?.push(block.span(i));
      }
    }
  }

  /** Builds each trace from its spans, fetching uncached resources and scopes once for all. */
  private async assemble(conn: SerialConnection, spansByTrace: ReadonlyMap<string, BlockSpan[]>): Promise<Map<string, StoredTrace>> {
    const resourceIds: bigint[] = [];
    const scopeIds: bigint[] = [];
    for (const spans of spansByTrace.values()) {
      for (const span of spans) {
        resourceIds.push(span.resourceId);
        scopeIds.push(span.scopeId);
      }
    }
    const resourceRows = await this.lookup(conn, this.resources, RESOURCES_BY_ID, resourceIds);
    const scopeRows = await this.lookup(conn, this.scopes, SCOPES_BY_ID, scopeIds);
    const out = new Map<string, StoredTrace>();
    for (const [traceHex, blockSpans] of spansByTrace) {
      blockSpans.sort(byStartThenSpanIdThenSeq);
      const spans = collapseDuplicates(blockSpans.map((span) => storedSpan(traceHex, span)));
      const resources = new Map<string, BatchResource>();
      const scopes = new Map<string, Uint8Array>();
      for (const row of blockSpans) {
        const resourceId = row.resourceId;
        const resourceHex = id64Hex(resourceId);
        const resource = resourceRows.get(resourceId);
        if (resource && !resources.has(resourceHex)) {
          resources.set(resourceHex, { id: resourceId, bytes: resource.bytes.slice(), attributes: decodeAttributes(resource.attributes) });
        }
        const scopeId = row.scopeId;
        const scopeHex = id64Hex(scopeId);
        const scope = scopeRows.get(scopeId);
        if (scope && !scopes.has(scopeHex)) scopes.set(scopeHex, scope.bytes.slice());
      }
      out.set(traceHex, { spans, resources, scopes });
    }
    return out;
  }

  /** The cached content of `ids`, fetching the missing ones with `sql`. */
  private async lookup(conn: SerialConnection, cache: Map<bigint, CachedContent>, sql: string, ids: readonly bigint[]): Promise<Map<bigint, CachedContent>> {
    const out = new Map<bigint, CachedContent>();
    const missing: bigint[] = [];
    for (const id of new Set(ids)) {
      const hit = cache.get(id);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    for (const [id, bytes, attributes] of (await conn.query(sql, [listValue(missing)], [LIST_UBIGINT])).getRows()) {
      const content = { bytes: blobBytes(bytes!), attributes: attributes as string };
      out.set(id as bigint, content);
      if (cache.size >= CACHE_ENTRIES) cache.clear();
      cache.set(id as bigint, content);
    }
    return out;
  }
}

function byStartThenSpanIdThenSeq(a: BlockSpan, b: BlockSpan): number {
  return compare(a.startTimeUnixNano, b.startTimeUnixNano) || compare(a.spanId, b.spanId) || compare(a.seq, b.seq);
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function storedSpan(traceHex: string, span: BlockSpan): StoredSpan {
  return {
    traceId: traceHex,
    spanId: id64Hex(span.spanId),
    parentSpanId: span.parentSpanId === 0n ? '' : id64Hex(span.parentSpanId),
    resourceId: id64Hex(span.resourceId),
    scopeId: id64Hex(span.scopeId),
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: BigInt.asIntN(64, span.startTimeUnixNano + span.durationNano),
    statusCode: span.statusCode,
    statusMessage: span.statusMessage,
    payload: span.payload,
    seq: span.seq,
  };
}

/**
 * Drops exact duplicates (same span id and payload: the same span appended twice), keeping the
 * first in read order, which is the earliest append among equal start times.
 */
function collapseDuplicates(spans: StoredSpan[]): StoredSpan[] {
  const seen = new Map<string, Uint8Array[]>();
  return spans.filter((span) => {
    const payloads = seen.get(span.spanId);
    if (!payloads) {
      seen.set(span.spanId, [span.payload]);
      return true;
    }
    if (payloads.some((p) => Buffer.compare(p, span.payload) === 0)) return false;
    payloads.push(span.payload);
    return true;
  });
}

/** A BLOB value's bytes, owned by the caller (the reader's buffers are fresh copies). */
function blobBytes(value: DuckDBValue): Uint8Array {
  return (value as DuckDBBlobValue).bytes;
}
