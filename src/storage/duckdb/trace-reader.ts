/**
 * Reading one trace back: its spans, and the resources and scopes they reference.
 *
 * How DuckDB finds one trace's rows among millions: an ART index on `spans.trace_id`
 * (`spans_trace_id`). Trace ids are random, so a trace's rows are scattered over row groups and
 * min/max zone maps on `trace_id` prune nothing: without the index every lookup scans the whole
 * column. Measured on this machine kind (2 cores, 1–3M spans of ~300-byte payloads, 10 spans per
 * trace, each trace spread over two consecutive appends):
 *
 * | lookup                                                 | p50 / p99 at 1M | p50 / p99 at 3M |
 * |--------------------------------------------------------|-----------------|-----------------|
 * | full scan of `trace_id` (no index)                     | 2.6 / 7.0 ms    | 7.0 / 12.8 ms   |
 * | side table trace → seqs (ART), then spans by seq range | 2.0 / 5.3 ms    | 2.3 / 6.7 ms    |
 * | ART index on `spans.trace_id`                          | 0.7 / 2.5 ms    | 0.8 / 4.8 ms    |
 *
 * The scan grows linearly (≈ 25 ms at 10M spans, past the 20 ms p99 target); the index stays flat
 * and cost no measurable append throughput in the same runs, so the index it is. The side table
 * needs two round trips and its own index, for no gain. With this reader, `bench/append.ts` at 10M
 * spans measured getTrace p50 1.3 ms / p99 5.8 ms warm, 1.6 / 8.1 ms right after a reopen.
 */
import { LIST, UBIGINT, UHUGEINT, listValue } from '@duckdb/node-api';
import type { DuckDBBlobValue, DuckDBValue } from '@duckdb/node-api';
import type { StoredSpan, StoredTrace } from '../api/storage.js';
import type { BatchResource } from '../../model/span-batch.js';
import type { SerialConnection } from './connection.js';
import { decodeAttributes } from './attribute-codec.js';
import { id64Hex, parseTraceId } from './id-codec.js';

export const SPANS_OF_TRACE = `SELECT span_id, parent_span_id, seq, resource_id, scope_id, name, kind, start_time_ns, duration_ns,
  status_code, status_message, payload
FROM spans WHERE trace_id = $1`;

/**
 * The spans of many traces in one statement: the trace id comes last so the row layout up to it is
 * `SPANS_OF_TRACE`'s. DuckDB plans this (and `IN` lists of any length) as a hash join over a
 * sequential scan of `spans`, never through the ART index, so its cost grows with the table, not
 * with the batch. Measured (300K spans, 500 traces, load average 12–16 on 2 cores): 250–950 ms
 * for the scan against 1.5–3.5 s for 500 indexed point lookups. The scan grows with the table and
 * the lookups with the batch, so `readMany` scans only while the table holds at most
 * `SCAN_ROWS_PER_TRACE` spans per requested trace (2M spans for 500 traces, 8M for 2,000: where
 * the header's figures put the two costs level) and otherwise looks the traces up one by one, still
 * in one round trip.
 */
export const SPANS_OF_TRACES = `SELECT s.span_id, s.parent_span_id, s.seq, s.resource_id, s.scope_id, s.name, s.kind, s.start_time_ns,
  s.duration_ns, s.status_code, s.status_message, s.payload, s.trace_id
FROM spans s JOIN (SELECT DISTINCT unnest($1::UHUGEINT[]) AS trace_id) q ON s.trace_id = q.trace_id`;

/** `readMany` scans while the table holds at most this many rows per requested trace, else looks each trace up by index. */
const SCAN_ROWS_PER_TRACE = 4_000n;
const ESTIMATED_SPANS = `SELECT estimated_size FROM duckdb_tables() WHERE table_name = 'spans' AND schema_name = 'main'`;

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
    const rows = (await conn.query(SPANS_OF_TRACE, [traceId], [UHUGEINT])).getRows();
    return (await this.assemble(conn, new Map([[traceHex, rows]]))).get(traceHex)!;
  }

  /** `read` for each distinct id of `traceHexes`, with one spans query and one lookup each of resources and scopes. */
  async readMany(conn: SerialConnection, traceHexes: readonly string[]): Promise<Map<string, StoredTrace>> {
    const byId = new Map<bigint, string>();
    for (const hex of traceHexes) byId.set(parseTraceId(hex), hex);
    const rowsByTrace = new Map<string, DuckDBValue[][]>();
    for (const hex of byId.values()) rowsByTrace.set(hex, []);
    if (byId.size === 0) return new Map();
    const estimated = (await conn.query(ESTIMATED_SPANS)).getRows()[0]?.[0];
    if (typeof estimated === 'bigint' && estimated <= SCAN_ROWS_PER_TRACE * BigInt(byId.size)) {
      const rows = (await conn.query(SPANS_OF_TRACES, [listValue([...byId.keys()])], [LIST(UHUGEINT)])).getRows();
      for (const row of rows) rowsByTrace.get(byId.get(row[12] as bigint)!)!.push(row);
    } else {
      for (const [id, hex] of byId) rowsByTrace.set(hex, (await conn.query(SPANS_OF_TRACE, [id], [UHUGEINT])).getRows());
    }
    return this.assemble(conn, rowsByTrace);
  }

  /** Builds each trace from its span rows (`SPANS_OF_TRACE` layout), fetching uncached resources and scopes once for all. */
  private async assemble(conn: SerialConnection, rowsByTrace: ReadonlyMap<string, DuckDBValue[][]>): Promise<Map<string, StoredTrace>> {
    const resourceIds: bigint[] = [];
    const scopeIds: bigint[] = [];
    for (const rows of rowsByTrace.values()) {
      for (const row of rows) {
        resourceIds.push(row[3] as bigint);
        scopeIds.push(row[4] as bigint);
      }
    }
    const resourceRows = await this.lookup(conn, this.resources, RESOURCES_BY_ID, resourceIds);
    const scopeRows = await this.lookup(conn, this.scopes, SCOPES_BY_ID, scopeIds);
    const out = new Map<string, StoredTrace>();
    for (const [traceHex, rows] of rowsByTrace) {
      // Sorting a trace's rows here is cheaper than an ORDER BY in the query (measured ~0.5 ms).
      rows.sort(byStartThenSpanIdThenSeq);
      const spans = collapseDuplicates(rows.map((row) => spanFromRow(traceHex, row)));
      const resources = new Map<string, BatchResource>();
      const scopes = new Map<string, Uint8Array>();
      for (const row of rows) {
        const resourceId = row[3] as bigint;
        const resourceHex = id64Hex(resourceId);
        const resource = resourceRows.get(resourceId);
        if (resource && !resources.has(resourceHex)) {
          resources.set(resourceHex, { id: resourceId, bytes: resource.bytes.slice(), attributes: decodeAttributes(resource.attributes) });
        }
        const scopeId = row[4] as bigint;
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

function byStartThenSpanIdThenSeq(a: readonly DuckDBValue[], b: readonly DuckDBValue[]): number {
  return compare(a[7] as bigint, b[7] as bigint) || compare(a[0] as bigint, b[0] as bigint) || compare(a[2] as bigint, b[2] as bigint);
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function spanFromRow(traceHex: string, row: readonly DuckDBValue[]): StoredSpan {
  const [spanId, parentSpanId, seq, resourceId, scopeId, name, kind, start, duration, statusCode, statusMessage, payload] = row;
  return {
    traceId: traceHex,
    spanId: id64Hex(spanId as bigint),
    parentSpanId: parentSpanId === 0n ? '' : id64Hex(parentSpanId as bigint),
    resourceId: id64Hex(resourceId as bigint),
    scopeId: id64Hex(scopeId as bigint),
    name: name as string,
    kind: kind as number,
    startTimeUnixNano: start as bigint,
    endTimeUnixNano: BigInt.asIntN(64, (start as bigint) + (duration as bigint)),
    statusCode: statusCode as number,
    statusMessage: statusMessage as string,
    payload: blobBytes(payload!),
    seq: seq as bigint,
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
