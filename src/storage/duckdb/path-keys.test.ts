import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBBlobValue } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BacktraceGroup, FocalFilter, ServiceRef } from '../api/call-queries.js';
import type { TraceCalls } from '../api/storage.js';
import { BASE_TIME_UNIX_NANO } from '../conformance/fixtures.js';
import { backtraceGroups as pathBacktraceGroups } from '../memory/analytics.js';
import { backtraceGroupsFromRows, backtraceGroupsSql } from './analytics/backtrace.js';
import { runStatement } from './analytics/statement.js';
import { replaceCalls } from './call-writer.js';
import { packTraceCalls } from './call-batch.js';
import { SerialConnection } from './connection.js';
import { CALL_SELECT_COLUMNS, callFromRow } from './call-rows.js';
import { traceIdHex } from './id-codec.js';
import { idsOfBlob } from './trace-call-ids.js';
import { PathKeys, callPathText, pathText } from './path-keys.js';
import { migrate } from './schema.js';
import { distinctPathCount, trickyLines } from './testing/call-lines.js';

const WINDOW = { fromUnixNano: BASE_TIME_UNIX_NANO, toUnixNano: BASE_TIME_UNIX_NANO + 1_000_000_000n };

let instance: DuckDBInstance;
let conn: SerialConnection;

beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = new SerialConnection(await instance.connect());
  await migrate(conn);
});

afterEach(() => {
  conn.close();
  instance.closeSync();
});

/** DuckDB stores a lone surrogate as U+FFFD; the memory backend keeps it. */
function stored(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function canonical(groups: readonly BacktraceGroup[]): string[] {
  return groups
    .map((g) => JSON.stringify([g.path.map((p) => [p.kind, stored(p.name), stored(p.request)]), stored(g.request), g.calls, g.failed]))
    .sort();
}

function servicesOf(entries: readonly TraceCalls[]): ServiceRef[] {
  const seen = new Map<string, ServiceRef>();
  for (const call of entries.flatMap((e) => e.calls)) seen.set(JSON.stringify([call.kind, call.service]), { kind: call.kind, name: call.service });
  return [...seen.values()];
}

/** The DuckDB backtrace groups of every service equal the path-based ones of the memory backend. */
async function expectBacktracesMatch(entries: readonly TraceCalls[]): Promise<void> {
  const traces = entries.map((e) => e.calls);
  for (const service of servicesOf(entries)) {
    const filter: FocalFilter = { ...WINDOW, service };
    const fromSql = backtraceGroupsFromRows(await runStatement(conn, backtraceGroupsSql(filter)));
    expect(canonical(fromSql), JSON.stringify(service)).toEqual(canonical(pathBacktraceGroups(traces, filter)));
  }
}

async function scalar(sql: string): Promise<unknown> {
  return (await conn.query(sql)).getRows()[0]?.[0];
}

/** Calls whose key names no dictionary row, or one holding another path than the one written for them. */
async function miskeyed(entries: readonly TraceCalls[]): Promise<number> {
  const written = new Map<string, string>();
  for (const e of entries) for (const call of e.calls) written.set(`${e.traceId}/${call.callId}/${call.synthetic}`, callPathText(call.path));
  const rows = (await conn.query(`SELECT c.trace_id, d.call_ids, ${CALL_SELECT_COLUMNS}
    FROM calls c LEFT JOIN call_paths p ON p.path_key = c.path_key JOIN derivations d ON d.trace_id = c.trace_id`)).getRows();
  let wrong = 0;
  for (const [traceId, ids, ...row] of rows) {
    const call = row[19] === null ? undefined : callFromRow(traceIdHex(traceId as bigint), row, idsOfBlob((ids as DuckDBBlobValue).bytes));
    const key = call && `${call.traceId}/${call.callId}/${call.synthetic}`;
    if (call === undefined || written.get(key!) !== callPathText(call.path)) wrong++;
  }
  return wrong;
}


describe('pathText', () => {
  it('tells apart paths whose entries only differ in where one list ends and the next begins', () => {
    const texts = [
      pathText({ kinds: ['service'], names: ['a","b'], requests: [''] }),
      pathText({ kinds: ['service'], names: ['a'], requests: ['b'] }),
      pathText({ kinds: ['service', 'service'], names: ['a', 'b'], requests: ['', ''] }),
      pathText({ kinds: [], names: [], requests: [] }),
    ];
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('reads a lone surrogate as the U+FFFD that DuckDB stores for it', () => {
    expect(pathText({ kinds: ['service'], names: ['x\ud800'], requests: ['\udc00'] })).toBe(pathText({ kinds: ['service'], names: ['x\ufffd'], requests: ['\ufffd'] }));
    expect(pathText({ kinds: ['service'], names: ['\ud83d\ude00'], requests: [''] })).not.toBe(pathText({ kinds: ['service'], names: ['\ufffd\ufffd'], requests: [''] }));
  });
});

describe('path keys in the writer', () => {
  it('give every call the key of its own path, and each path one key', async () => {
    const entries = trickyLines();
    await replaceCalls(conn, new PathKeys(), packTraceCalls(entries));
    expect(await miskeyed(entries)).toBe(0);
    expect(await scalar('SELECT count(*) = count(DISTINCT (path_kinds, path_names, path_requests)) FROM call_paths')).toBe(true);
    expect(await scalar('SELECT count(*)::INTEGER FROM call_paths')).toBe(distinctPathCount(entries));
    await expectBacktracesMatch(entries);
  });

  it('number paths from 1, and a new writer (as after a restart) finds the stored keys and numbers new paths after them', async () => {
    const entries = trickyLines();
    await replaceCalls(conn, new PathKeys(), packTraceCalls(entries.slice(0, 4)));
    const first = (await conn.query('SELECT path_key FROM call_paths ORDER BY path_key')).getRows().map(([k]) => k);
    expect(first).toEqual(Array.from({ length: distinctPathCount(entries.slice(0, 4)) }, (_, i) => BigInt(i + 1)));
    await replaceCalls(conn, new PathKeys(), packTraceCalls(entries.map((e) => ({ ...e, firstDerivation: false }))));
    expect(await miskeyed(entries)).toBe(0);
    const keys = (await conn.query('SELECT path_key FROM call_paths ORDER BY path_key')).getRows().map(([k]) => k);
    expect(keys).toEqual(Array.from({ length: distinctPathCount(entries) }, (_, i) => BigInt(i + 1)));
    await expectBacktracesMatch(entries);
  });

  it('write no dictionary rows for paths already there, even with a lone surrogate in them', async () => {
    const entries = trickyLines();
    await replaceCalls(conn, new PathKeys(), packTraceCalls(entries));
    const before = await scalar('SELECT count(*) FROM call_paths');
    const more = trickyLines(100);
    await replaceCalls(conn, new PathKeys(), packTraceCalls(more));
    expect(await scalar('SELECT count(*) FROM call_paths')).toBe(before);
    expect(await miskeyed([...entries, ...more])).toBe(0);
  });

  it('remember no key of a write that rolled back', async () => {
    const keys = new PathKeys();
    const entries = trickyLines();
    // Make the write fail after the path keys were resolved and the calls appended.
    await conn.run('ALTER TABLE derivations RENAME TO derivations_away');
    await expect(replaceCalls(conn, keys, packTraceCalls(entries.slice(0, 2)))).rejects.toThrow(/derivations/);
    await conn.run('ALTER TABLE derivations_away RENAME TO derivations');
    expect(await scalar('SELECT count(*) FROM call_paths')).toBe(0n);
    await replaceCalls(conn, keys, packTraceCalls(entries));
    expect(await miskeyed(entries)).toBe(0);
    await expectBacktracesMatch(entries);
  });
});
