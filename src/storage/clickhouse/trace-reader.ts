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
    return (await this.readMany(conn, [traceHex])).get(traceHex)!;
  }

  /**
   * `read` for each distinct id of `traceHexes`: one spans query (`trace_id IN (…)`, primary-key
   * ranges), then one lookup each of the resources and scopes not cached.
   */
  async readMany(conn: ClickHouseQueryRunner, traceHexes: readonly string[]): Promise<Map<string, StoredTrace>> {
    const distinct = [...new Set(traceHexes)];
    const literals = distinct.map(traceIdLiteral);
    const rowsByTrace = new Map<string, SpanRow[]>(distinct.map((hex) => [hex, []]));
    if (distinct.length === 0) return new Map();
    const rows = await conn.query(`SELECT lower(hex(trace_id)) AS trace, span_id, parent_span_id, seq, resource_id, scope_id, name, kind,
      start_time_ns, duration_ns, status_code, status_message, hex(payload) AS payload
      FROM ${this.tables.spans} WHERE trace_id IN (${literals.join(',')})`);
    for (const row of rows) {
      const traceHex = String(row['trace']);
      rowsByTrace.get(traceHex)?.push(spanFromRow(traceHex, row));
    }
    const kept = new Map<string, SpanRow[]>();
    for (const [traceHex, spans] of rowsByTrace) {
      spans.sort(byStartThenSpanIdThenSeq);
      kept.set(traceHex, collapseDuplicates(spans));
    }
    const all = [...kept.values()].flat();
    const resourceRows = await this.lookup(conn, this.resources, 'resources', all.map((s) => s.resourceId));
    const scopeRows = await this.lookup(conn, this.scopes, 'scopes', all.map((s) => s.scopeId));
    const out = new Map<string, StoredTrace>();
    for (const [traceHex, spans] of kept) {
      const resources = new Map<string, BatchResource>();
      const scopes = new Map<string, Uint8Array>();
      for (const { resourceId, scopeId } of spans) {
        const resource = resourceRows.get(resourceId);
        const resourceHex = id64Hex(resourceId);
        if (resource && !resources.has(resourceHex)) {
          resources.set(resourceHex, { id: resourceId, bytes: resource.bytes.slice(), attributes: decodeAttributes(resource.attributes) });
        }
        const scope = scopeRows.get(scopeId);
        const scopeHex = id64Hex(scopeId);
        if (scope && !scopes.has(scopeHex)) scopes.set(scopeHex, scope.bytes.slice());
      }
      out.set(traceHex, { spans: spans.map((s) => s.span), resources, scopes });
    }
    return out;
  }

  private async lookup(conn: ClickHouseQueryRunner, cache: Map<bigint, CachedContent>, table: 'resources' | 'scopes', ids: readonly bigint[]): Promise<Map<bigint, CachedContent>> {
    const out = new Map<bigint, CachedContent>();
    if (ids.length === 0) return out;
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
