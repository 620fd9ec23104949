/**
 * Reading one trace back: its spans (a primary-key range of `spans`, ordered by trace id), and the
 * resources and scopes they reference. Binary columns come back as `hex(…)` because JSON output
 * cannot carry raw bytes. Resources and scopes are content-addressed and never change, so they are
 * cached; the tables are ReplacingMergeTrees that may still hold a duplicate of a row before a
 * merge, hence `LIMIT 1 BY id`.
 */
import type { StoredSpan, StoredTrace } from '../api/storage.js';
import type { BatchResource } from '../../model/span-batch.js';
import { decodeAttributes } from '../duckdb/attribute-codec.js';
import { id64Hex } from './call-rows.js';
import type { ClickHouseQueryRunner } from './connection.js';
import { traceIdLiteral, uint64Literal } from './sql-literal.js';
import type { ClickHouseTables } from './tables.js';

/** Resources and scopes kept in memory at most; there are typically a few per service instance. */
const CACHE_ENTRIES = 10_000;

interface CachedContent {
  readonly bytes: Uint8Array;
  /** Lossless attribute JSON (resources); '' for scopes. */
  readonly attributes: string;
}

interface SpanRow {
  readonly span: StoredSpan;
  readonly spanId: bigint;
  readonly resourceId: bigint;
  readonly scopeId: bigint;
}

export class TraceReader {
  private readonly resources = new Map<bigint, CachedContent>();
  private readonly scopes = new Map<bigint, CachedContent>();

  constructor(private readonly tables: ClickHouseTables) {}

  async read(conn: ClickHouseQueryRunner, traceHex: string): Promise<StoredTrace> {
    const rows = await conn.query(`SELECT span_id, parent_span_id, seq, resource_id, scope_id, name, kind, start_time_ns, duration_ns,
      status_code, status_message, hex(payload) AS payload
      FROM ${this.tables.spans} WHERE trace_id = ${traceIdLiteral(traceHex)}`);
    const spans = rows.map((row) => spanFromRow(traceHex, row));
    spans.sort(byStartThenSpanIdThenSeq);
    const kept = collapseDuplicates(spans);
    if (kept.length === 0) return { spans: [], resources: new Map(), scopes: new Map() };

    const resourceRows = await this.lookup(conn, this.resources, 'resources', kept.map((s) => s.resourceId));
    const scopeRows = await this.lookup(conn, this.scopes, 'scopes', kept.map((s) => s.scopeId));
    const resources = new Map<string, BatchResource>();
    for (const [id, content] of resourceRows) {
      resources.set(id64Hex(id), { id, bytes: content.bytes.slice(), attributes: decodeAttributes(content.attributes) });
    }
    const scopes = new Map<string, Uint8Array>();
    for (const [id, content] of scopeRows) scopes.set(id64Hex(id), content.bytes.slice());
    return { spans: kept.map((s) => s.span), resources, scopes };
  }

  private async lookup(conn: ClickHouseQueryRunner, cache: Map<bigint, CachedContent>, table: 'resources' | 'scopes', ids: readonly bigint[]): Promise<Map<bigint, CachedContent>> {
    const out = new Map<bigint, CachedContent>();
    const missing: bigint[] = [];
    for (const id of new Set(ids)) {
      const hit = cache.get(id);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const attributes = table === 'resources' ? 'attributes' : "''";
    const rows = await conn.query(`SELECT id, hex(bytes) AS bytes, ${attributes} AS attributes FROM ${this.tables[table]}
      WHERE id IN (${missing.map(uint64Literal).join(',')}) LIMIT 1 BY id`);
    for (const row of rows) {
      const id = BigInt(String(row['id']));
      const content = { bytes: hexBytes(row['bytes']), attributes: String(row['attributes']) };
      out.set(id, content);
      if (cache.size >= CACHE_ENTRIES) cache.clear();
      cache.set(id, content);
    }
    return out;
  }
}

function spanFromRow(traceHex: string, row: Record<string, unknown>): SpanRow {
  const spanId = BigInt(String(row['span_id']));
  const parent = BigInt(String(row['parent_span_id']));
  const resourceId = BigInt(String(row['resource_id']));
  const scopeId = BigInt(String(row['scope_id']));
  const start = BigInt(String(row['start_time_ns']));
  const duration = BigInt(String(row['duration_ns']));
  const span: StoredSpan = {
    traceId: traceHex,
    spanId: id64Hex(spanId),
    parentSpanId: parent === 0n ? '' : id64Hex(parent),
    resourceId: id64Hex(resourceId),
    scopeId: id64Hex(scopeId),
    name: String(row['name']),
    kind: Number(row['kind']),
    startTimeUnixNano: start,
    endTimeUnixNano: BigInt.asIntN(64, start + duration),
    statusCode: Number(row['status_code']),
    statusMessage: String(row['status_message']),
    payload: hexBytes(row['payload']),
    seq: BigInt(String(row['seq'])),
  };
  return { span, spanId, resourceId, scopeId };
}

function hexBytes(value: unknown): Uint8Array {
  const buf = Buffer.from(String(value), 'hex');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function byStartThenSpanIdThenSeq(a: SpanRow, b: SpanRow): number {
  return compare(a.span.startTimeUnixNano, b.span.startTimeUnixNano) || compare(a.spanId, b.spanId) || compare(a.span.seq, b.span.seq);
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Drops exact duplicates (same span id and payload), keeping the first in read order. */
function collapseDuplicates(spans: readonly SpanRow[]): SpanRow[] {
  const seen = new Map<bigint, Uint8Array[]>();
  return spans.filter(({ spanId, span }) => {
    const payloads = seen.get(spanId);
    if (!payloads) {
      seen.set(spanId, [span.payload]);
      return true;
    }
    if (payloads.some((p) => Buffer.compare(p, span.payload) === 0)) return false;
    payloads.push(span.payload);
    return true;
  });
}
