/**
 * Upgrading a store in place: a store written by the previous schema (version 1: calls without
 * path keys), with spans and calls in it, is opened by this code, which migrates it. Every call
 * must come back unchanged, get the key of its own path, and answer backtraces as the path-based
 * memory backend does; calls written after the upgrade reuse the keys of the paths already there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBDataChunk, DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBListValue } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceCall } from '../../model/call.js';
import type { BacktraceGroup, ServiceRef } from '../api/call-queries.js';
import type { Storage, TraceCalls } from '../api/storage.js';
import { BASE_TIME_UNIX_NANO, spanBatch, spanIdHex } from '../conformance/fixtures.js';
import { backtraceGroups as pathBacktraceGroups } from '../memory/analytics.js';
import { CALL_SELECT_COLUMNS, callFromRow } from './call-rows.js';
import { VERSION_1_CALL_TYPES, version1CallValues } from './testing/version1-calls.js';
import { SerialConnection } from './connection.js';
import { DATABASE_FILE, openDuckDbStorage } from './duckdb-storage.js';
import { parseTraceId } from './id-codec.js';
import { MIGRATIONS, migrate } from './schema.js';
import { insertVersion1Spans } from './testing/version1-spans.js';
import { distinctPathCount, lineTrace, trickyLines } from './testing/call-lines.js';

const WINDOW = { fromUnixNano: BASE_TIME_UNIX_NANO, toUnixNano: BASE_TIME_UNIX_NANO + 1_000_000_000n };
const VERSION_1 = MIGRATIONS.filter((m) => m.version === 1);
/** Calls whose key names no dictionary row (that the rows hold the right paths, `getTraceCalls` shows). */
const UNKEYED = `SELECT count(*) FROM calls c LEFT JOIN call_paths p USING (path_key) WHERE p.path_key IS NULL`;


let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-schema-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `fn` on a raw connection to the store file (no migration), then closes it. */
async function withRawStore<T>(fn: (conn: SerialConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(path.join(dataDir, DATABASE_FILE));
  const conn = new SerialConnection(await instance.connect());
  try {
    return await fn(conn);
  } finally {
    conn.close();
    instance.closeSync();
  }
}

/** Writes spans and calls as a version-1 Tributary did: the same columns, minus `path_key`. */
async function writeVersion1Store(entries: readonly TraceCalls[]): Promise<void> {
  await withRawStore(async (conn) => {
    await migrate(conn, VERSION_1);
    await insertVersion1Spans(conn, spanBatch(entries.map((e) => ({ traceId: e.traceId, spanId: spanIdHex(1) }))), 1n);
    const rows = entries.flatMap((e) => e.calls.map((call) => version1CallValues(parseTraceId(e.traceId), call, 1n)));
    const chunk = DuckDBDataChunk.create(VERSION_1_CALL_TYPES, rows.length);
    VERSION_1_CALL_TYPES.forEach((_, column) => chunk.setColumnValues(column, rows.map((row) => row[column]!)));
    await conn.transaction(() => conn.appendChunks('calls', [chunk]));
    // Only the first trace has a derivations row, and with another seq than its calls carry:
    // version 8 relies on calls carrying their derivation's seq, and its migration makes it so.
    await conn.run(`INSERT INTO derivations VALUES (${parseTraceId(entries[0]!.traceId)}, 5)`);
  });
}

/** The calls of a version-1 store, whose rows still hold their path lists. */
async function readVersion1Calls(conn: SerialConnection, traceId: string): Promise<ServiceCall[]> {
  // Version 1 rows hold the ids themselves; ranked here as version 10 stores them (trace-call-ids.ts).
  const ordinal = (id: string) => `CASE WHEN ${id} IS NULL THEN NULL ELSE list_position(i.ids, ${id}) END`;
  const columns = CALL_SELECT_COLUMNS.replaceAll('p.path_', 'c.path_')
    .replace('c.call_id', ordinal('c.call_id'))
    .replace('c.path_call_ids', `list_transform(c.path_call_ids, x -> ${ordinal('x')})`);
  const rows = (await conn.query(`SELECT i.ids, ${columns} FROM calls c
    JOIN (SELECT trace_id, list_sort(list_distinct(flatten(list(list_prepend(call_id, path_call_ids))))) AS ids FROM calls GROUP BY trace_id) i ON i.trace_id = c.trace_id
    WHERE c.trace_id = ${parseTraceId(traceId)} ORDER BY c.start_time_ns, c.call_id`)).getRows();
  return rows.map(([ids, ...row]) => callFromRow(traceId, row, (ids as DuckDBListValue).items as bigint[]));
}

/** DuckDB keeps a lone surrogate as U+FFFD; the memory backend keeps it as it is. */
function canonical(groups: readonly BacktraceGroup[]): string[] {
  const stored = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return groups.map((g) => JSON.stringify([g.path.map((p) => [p.kind, stored(p.name), stored(p.request)]), stored(g.request), g.calls, g.failed])).sort();
}

async function expectBacktracesMatch(storage: Storage, entries: readonly TraceCalls[]): Promise<void> {
  const services = new Map<string, ServiceRef>();
  for (const call of entries.flatMap((e) => e.calls)) services.set(`${call.kind}/${call.service}`, { kind: call.kind, name: call.service });
  for (const service of services.values()) {
    const filter = { ...WINDOW, service };
    expect(canonical(await storage.backtraceGroups(filter)), JSON.stringify(service)).toEqual(canonical(pathBacktraceGroups(entries.map((e) => e.calls), filter)));
  }
}

describe('schema migrations', () => {
  it('upgrade a version-1 store in place: calls unchanged, each keyed by its own path', async () => {
    const old = trickyLines();
    await writeVersion1Store(old);
    const before = await withRawStore(async (conn) => Promise.all(old.map((e) => readVersion1Calls(conn, e.traceId))));

    const storage = await openDuckDbStorage({ dataDir, memoryLimit: '256MB' });
    try {
      expect(await Promise.all(old.map((e) => storage.getTraceCalls(e.traceId)))).toEqual(before);
      expect((await storage.getTrace(old[0]!.traceId)).spans).toHaveLength(1);
      await expectBacktracesMatch(storage, old);
    } finally {
      await storage.close();
    }

    await withRawStore(async (conn) => {
      const scalar = async (sql: string) => (await conn.query(sql)).getRows()[0]?.[0];
      expect(await scalar('SELECT max(version) FROM schema_version')).toBe(MIGRATIONS.at(-1)!.version);
      expect(await scalar(`SELECT is_nullable FROM information_schema.columns WHERE table_name = 'calls' AND column_name = 'path_key'`)).toBe('NO');
      expect(await scalar(UNKEYED)).toBe(0n);
      expect(await scalar('SELECT count(*) FROM call_paths')).toBe(BigInt(distinctPathCount(old)));
      expect(await scalar(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'calls' AND column_name IN ('path_kinds', 'path_names', 'path_requests')`)).toBe(0n);
      expect(await scalar(`SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'calls'`)).toBe(0n);
      expect(await scalar(`SELECT count(*) FROM calls c JOIN derivations d ON d.trace_id = c.trace_id WHERE c.derived_seq = d.derived_seq`))
        .toBe(BigInt(old.reduce((n, e) => n + e.calls.length, 0)));
    });
  });

  it('upgrade a version-9 store whose path keys are 64-bit hashes: keys from 1, calls and backtraces unchanged', async () => {
    const old = trickyLines();
    await writeVersion1Store(old);
    const before = await withRawStore(async (conn) => Promise.all(old.map((e) => readVersion1Calls(conn, e.traceId))));
    await withRawStore(async (conn) => {
      await migrate(conn, MIGRATIONS.filter((m) => m.version <= 9));
      // What a version-9 writer left: keys spread over all 64 bits (the SHA-256 prefix of the path).
      await conn.transaction(async () => {
        await conn.run(`CREATE TABLE hashed AS SELECT path_key AS k, hash(path_kinds, path_names, path_requests) AS h FROM call_paths`);
        await conn.run(`UPDATE calls SET path_key = hashed.h FROM hashed WHERE calls.path_key = hashed.k`);
        await conn.run(`CREATE TABLE paths_by_hash AS SELECT hashed.h AS path_key, p.path_kinds, p.path_names, p.path_requests FROM call_paths p JOIN hashed ON hashed.k = p.path_key`);
        await conn.run('DELETE FROM call_paths');
        await conn.run('INSERT INTO call_paths SELECT * FROM paths_by_hash');
        await conn.run('DROP TABLE hashed');
        await conn.run('DROP TABLE paths_by_hash');
      });
      expect((await conn.query('SELECT min(path_key) > 1000000 FROM call_paths')).getRows()[0]![0]).toBe(true);
    });

    const storage = await openDuckDbStorage({ dataDir, memoryLimit: '256MB' });
    try {
      expect(await Promise.all(old.map((e) => storage.getTraceCalls(e.traceId)))).toEqual(before);
      await expectBacktracesMatch(storage, old);
    } finally {
      await storage.close();
    }
    await withRawStore(async (conn) => {
      const keys = (await conn.query('SELECT path_key FROM call_paths ORDER BY path_key')).getRows().map(([k]) => k);
      expect(keys).toEqual(Array.from({ length: distinctPathCount(old) }, (_, i) => BigInt(i + 1)));
      expect((await conn.query(UNKEYED)).getRows()[0]![0]).toBe(0n);
    });
  });

  it('after the upgrade, writes calls with the keys of the paths already stored', async () => {
    const old = trickyLines();
    await writeVersion1Store(old);
    // New traces over the same paths (one re-derives an old trace), and one new path.
    const newer = [...trickyLines(100), { ...old[1]!, derivedSeq: 2n, firstDerivation: false }, lineTrace(200, [{ service: 'new', request: 'GET /new' }, { service: 'api', request: 'GET /a' }])];
    const storage = await openDuckDbStorage({ dataDir, memoryLimit: '256MB' });
    try {
      await storage.replaceTraceCalls(newer);
      await expectBacktracesMatch(storage, [...old.filter((e) => e.traceId !== old[1]!.traceId), ...newer]);
    } finally {
      await storage.close();
    }
    await withRawStore(async (conn) => {
      const scalar = async (sql: string) => (await conn.query(sql)).getRows()[0]?.[0];
      expect(await scalar(UNKEYED)).toBe(0n);
      const stored = [...old.filter((e) => e.traceId !== old[1]!.traceId), ...newer];
      expect(await scalar('SELECT count(*) FROM call_paths')).toBe(BigInt(distinctPathCount([...old, ...stored])));
    });
  });

  it('upgrade an empty version-1 store, and a store at the newest version is left as it is', async () => {
    await withRawStore((conn) => migrate(conn, VERSION_1));
    await (await openDuckDbStorage({ dataDir, memoryLimit: '256MB' })).close();
    await (await openDuckDbStorage({ dataDir, memoryLimit: '256MB' })).close();
    const versions = await withRawStore(async (conn) => (await conn.query('SELECT version FROM schema_version ORDER BY version')).getRows().map(([v]) => v));
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
  });
});
