import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, UHUGEINT } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import { serviceCall, spanBatch, spanIdHex, traceIdHex } from '../conformance/fixtures.js';
import { storageConformance } from '../conformance/suite.js';
import { DATABASE_FILE, openDuckDbStorage } from './duckdb-storage.js';
import { MIGRATIONS } from './schema.js';
import { BLOCKS_OF_TRACE } from './trace-reader.js';

storageConformance('duckdb', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-duckdb-'));
  const open = () => openDuckDbStorage({ dataDir, memoryLimit: '256MB', threads: 2 });
  return {
    storage: await open(),
    reopen: open,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

describe('duckdb specifics', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tributary-duckdb-'));
    dirs.push(dir);
    return dir;
  }

  it('reports its buffer memory against the configured memory_limit', async () => {
    const storage = await openDuckDbStorage({ dataDir: await tempDir(), memoryLimit: '300MB' });
    await storage.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]));
    const memory = await storage.memoryUsage();
    await storage.close();
    // DuckDB prints the limit rounded to a tenth of its unit: 300MB is "286.1 MiB".
    expect(memory.limitBytes).toBe(Math.round(286.1 * 2 ** 20));
    expect(memory.usedBytes).toBeGreaterThan(0);
  });

  it('creates the data directory and keeps everything in one tributary.duckdb file', async () => {
    const dataDir = path.join(await tempDir(), 'nested', 'data');
    const storage = await openDuckDbStorage({ dataDir });
    await storage.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]));
    await storage.close();
    expect(await readdir(dataDir)).toEqual([DATABASE_FILE]);
  });

  it('refuses a second open of the same store in one process until the first is closed', async () => {
    const dataDir = await tempDir();
    const first = await openDuckDbStorage({ dataDir });
    await expect(openDuckDbStorage({ dataDir })).rejects.toThrow(/already open/);
    await first.close();
    const second = await openDuckDbStorage({ dataDir });
    await second.close();
  });

  it('records its schema version and refuses a store written by a newer schema', async () => {
    const dataDir = await tempDir();
    await (await openDuckDbStorage({ dataDir })).close();
    const instance = await DuckDBInstance.create(path.join(dataDir, DATABASE_FILE));
    const conn = await instance.connect();
    expect((await conn.runAndReadAll('SELECT max(version) FROM schema_version')).getRows()).toEqual([[MIGRATIONS.at(-1)!.version]]);
    await conn.run(`INSERT INTO schema_version (version, description) VALUES (999, 'from the future')`);
    conn.closeSync();
    instance.closeSync();
    const opening = openDuckDbStorage({ dataDir });
    await expect(opening).rejects.toBeInstanceOf(StorageError);
    await expect(opening).rejects.toThrow(/newer/);
  });

  it('replaces the calls of a trace wrongly said to be a first derivation: no duplicates, no error', async () => {
    const storage = await openDuckDbStorage({ dataDir: await tempDir() });
    const [a, b] = [traceIdHex(1), traceIdHex(2)];
    const call = (traceId: string, id: number, service: string) => serviceCall({ traceId, callId: spanIdHex(id), service });
    await storage.replaceTraceCalls([{ traceId: a, calls: [call(a, 1, 'old'), call(a, 2, 'old')], derivedSeq: 1n, firstDerivation: true }]);
    await storage.replaceTraceCalls([
      { traceId: a, calls: [call(a, 3, 'new')], derivedSeq: 2n, firstDerivation: true },
      { traceId: b, calls: [call(b, 4, 'b')], derivedSeq: 2n, firstDerivation: true },
    ]);
    const calls = await storage.getTraceCalls(a);
    const other = await storage.getTraceCalls(b);
    const derived = await storage.derivedTraces([a, b]);
    await storage.close();
    expect(calls.map((c) => [c.callId, c.service])).toEqual([[spanIdHex(3), 'new']]);
    expect(other.map((c) => c.service)).toEqual(['b']);
    expect([...derived].sort()).toEqual([a, b]);
  });

  it('finds a trace\'s blocks through the trace_blocks index, not a scan', async () => {
    const dataDir = await tempDir();
    const storage = await openDuckDbStorage({ dataDir });
    await storage.appendSpans(spanBatch(Array.from({ length: 3000 }, (_, i) => ({ traceId: traceIdHex(i + 1), spanId: spanIdHex(1) }))));
    await storage.close();
    const instance = await DuckDBInstance.create(path.join(dataDir, DATABASE_FILE));
    const conn = await instance.connect();
    // ANALYZE: with a `$1` parameter DuckDB picks the index when it runs, so plain EXPLAIN shows a scan.
    const plan = (await conn.runAndReadAll(`EXPLAIN ANALYZE ${BLOCKS_OF_TRACE}`, [BigInt(`0x${traceIdHex(7)}`)], [UHUGEINT])).getRows().flat().join('\n');
    conn.closeSync();
    instance.closeSync();
    expect(plan).toMatch(/Index Scan/);
  });
});
