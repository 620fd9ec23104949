/**
 * The services list's rollup (service-rollup.ts) keeps the list exact: against the oracle on
 * generated topologies for windows that cut minutes anywhere (rollup inside, calls at the edges),
 * after traces are re-derived (the rows of the old calls, computed in SQL, must cancel those the
 * writer added in JavaScript), after retention (its minutes dropped or marked, equal to a store
 * written call by call, before and after the refresh), and after the migration that creates it on
 * an existing store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { ingest, topologyOf, type IngestedStore, type Topology } from '../../../../test/analysis/differential-cases.js';
import type { TimeRange } from '../../api/call-queries.js';
import type { Storage } from '../../api/storage.js';
import { BASE_TIME_UNIX_NANO } from '../../conformance/fixtures.js';
import { SerialConnection } from '../connection.js';
import { rederivedTwiceInOneWrite, spreadLines, windowsAroundMinutes } from '../testing/call-lines.js';
import { DATABASE_FILE, openDuckDbStorage, type DuckDbStore } from '../duckdb-storage.js';
import { MIGRATIONS } from '../schema.js';
import { BUCKET_NANOS, bucketOf, bucketSql } from './rollup-minutes.js';

const SECOND = 1_000_000_000n;
const open: IngestedStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function ingested(topology: Topology): Promise<IngestedStore> {
  const store = await ingest(topology, 'duckdb');
  open.push(store);
  return store;
}

function windowsOf(topology: Topology): TimeRange[] {
  return windowsAroundMinutes(topology.generated.window);
}

/**
 * The store's answers with every minute still marked dirty (read from the calls), then after the
 * rollup of every marked minute is rebuilt (read from the rollup): both must be the oracle's.
 */
async function expectOracle(storage: Storage, topology: Topology, seed: number): Promise<void> {
  for (const state of ['dirty', 'refreshed']) {
    if (state === 'refreshed') await refresh(storage);
    for (const window of windowsOf(topology)) {
      expect(await storage.serviceSummaries(window), `seed ${seed}, ${state}, window ${window.fromUnixNano}..${window.toUnixNano}`).toEqual(topology.oracle.serviceSummaries(window));
    }
  }
}

/** Rebuilds the rollup of every marked minute; resolves with how many. */
function refresh(storage: Storage): Promise<number> {
  return (storage as DuckDbStore).refreshRollups();
}

async function allTraceIds(storage: Storage): Promise<string[]> {
  return (await storage.findTraces({ fromUnixNano: -(1n << 63n), toUnixNano: (1n << 63n) - 1n, limit: 100_000 })).map((t) => t.traceId);
}

describe('the minute of a start time', () => {
  it('is the floor of start / 1 min, in JavaScript and in SQL alike, for every BIGINT', async () => {
    const max = (1n << 63n) - 1n;
    const min = -(1n << 63n);
    const starts = [0n, 1n, -1n, BUCKET_NANOS - 1n, BUCKET_NANOS, -BUCKET_NANOS, -BUCKET_NANOS - 1n, -BUCKET_NANOS + 1n, max, min, min + 1n, 1_767_225_600_000_000_000n];
    expect(starts.slice(0, 8).map(bucketOf)).toEqual([0n, 0n, -1n, 0n, 1n, -1n, -2n, -1n]);
    const instance = await DuckDBInstance.create(':memory:');
    const conn = new SerialConnection(await instance.connect());
    try {
      for (const start of starts) {
        const rows = (await conn.query(`SELECT ${bucketSql('x')} FROM (SELECT $1::BIGINT AS x)`, [start])).getRows();
        expect(rows[0]?.[0], String(start)).toBe(bucketOf(start));
        // The floor: the minute starts at or before the start, and the next one after it.
        expect(bucketOf(start) * BUCKET_NANOS <= start && start < (bucketOf(start) + 1n) * BUCKET_NANOS).toBe(true);
      }
    } finally {
      conn.close();
      instance.closeSync();
    }
  });
});

describe('the services list from the rollup', () => {
  it('equals the oracle for windows that cut minutes anywhere', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const topology = topologyOf(seed);
      const store = await ingested(topology);
      await expectOracle(store.storage, topology, seed);
    }
  }, 120_000);

  it('stays exact when traces are re-derived: their old rows cancel, the new ones count', async () => {
    for (const seed of [7, 8, 9]) {
      const topology = topologyOf(seed);
      const { storage } = await ingested(topology);
      const traceIds = await allTraceIds(storage);
      const calls = new Map(await Promise.all(traceIds.map(async (id) => [id, await storage.getTraceCalls(id)] as const)));
      // Half the traces lose their calls, then every trace gets its calls back, some twice in one write.
      const half = traceIds.filter((_, i) => i % 2 === 0);
      const requests = async () => (await storage.serviceSummaries(topology.generated.window)).reduce((n, s) => n + s.requests + s.callers + s.callees + s.instances, 0);
      const before = await requests();
      await storage.replaceTraceCalls(half.map((traceId) => ({ traceId, calls: [], derivedSeq: 5n, firstDerivation: false })));
      expect(await requests()).toBeLessThan(before);
      expect(before).toBe(topology.oracle.serviceSummaries(topology.generated.window).reduce((n, s) => n + s.requests + s.callers + s.callees + s.instances, 0));
      await storage.replaceTraceCalls(rederivedTwiceInOneWrite(traceIds, calls));
      await expectOracle(storage, topology, seed);
    }
  }, 120_000);

  it('stays exact after retention deletes calls (equal to a store written with the calls left, before and after the refresh)', async () => {
    const topology = topologyOf(11);
    const { storage } = await ingested(topology);
    // Rows of every minute, so retention must drop or mark them.
    await refresh(storage);
    const cutoff = topology.generated.window.fromUnixNano + 31n * SECOND;
    await storage.deleteBefore(cutoff);
    const traceIds = await allTraceIds(storage);
    const left = await Promise.all(traceIds.map(async (traceId) => ({ traceId, calls: await storage.getTraceCalls(traceId), derivedSeq: 1n, firstDerivation: true })));
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-rollup-'));
    dirs.push(dataDir);
    const fresh = await openDuckDbStorage({ dataDir, memoryLimit: '256MB', threads: 1 });
    try {
      await fresh.replaceTraceCalls(left);
      for (const state of ['dirty', 'refreshed']) {
        if (state === 'refreshed') {
          await refresh(storage);
          await fresh.refreshRollups();
        }
        for (const window of windowsOf(topology)) {
          expect(await storage.serviceSummaries(window), state).toEqual(await fresh.serviceSummaries(window));
        }
      }
    } finally {
      await fresh.close();
    }
  }, 60_000);

  it('is filled for the calls already stored when the migration creates it', async () => {
    const topology = topologyOf(12);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-rollup-'));
    dirs.push(dataDir);
    let storage = await openDuckDbStorage({ dataDir, memoryLimit: '256MB', threads: 1 });
    const traceIds: string[] = [];
    try {
      const { storage: source } = await ingested(topology);
      traceIds.push(...(await allTraceIds(source)));
      await storage.replaceTraceCalls(await Promise.all(traceIds.map(async (traceId) => ({ traceId, calls: await source.getTraceCalls(traceId), derivedSeq: 1n, firstDerivation: true }))));
    } finally {
      await storage.close();
    }
    // The store as the version before the rollup left it: no table, no record of the migration.
    const instance = await DuckDBInstance.create(path.join(dataDir, DATABASE_FILE));
    const conn = new SerialConnection(await instance.connect());
    try {
      const version = (await conn.query("SELECT version FROM schema_version WHERE description LIKE 'service_rollup%'")).getRows();
      expect(version).toHaveLength(1);
      await conn.run('DROP TABLE service_rollup');
      // Later migrations are undone too, so the store is at the version before the rollup's.
      await conn.run('DROP TABLE rollup_dirty');
      for (const table of ['flow_slices', 'flow_rollup', 'flow_histogram']) await conn.run(`DROP TABLE ${table}`);
      await conn.run('DROP TABLE span_blocks');
      await conn.run('DROP TABLE trace_blocks');
      await conn.run('CREATE INDEX calls_trace_id ON calls (trace_id)');
      for (const statement of MIGRATIONS[0]!.statements.slice(0, 2)) await conn.run(statement);
      await conn.execute('DELETE FROM schema_version WHERE version >= $1', [version[0]![0]!]);
    } finally {
      conn.close();
      instance.closeSync();
    }
    storage = await openDuckDbStorage({ dataDir, memoryLimit: '256MB', threads: 1 });
    try {
      await expectOracle(storage, topology, 12);
    } finally {
      await storage.close();
    }
  }, 60_000);
});

describe('the services list from the rollup, on calls spread over minutes', () => {
  it('equals the list computed from the calls themselves (a zone of every resource), also after re-derivation', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-rollup-'));
    dirs.push(dataDir);
    const storage = await openDuckDbStorage({ dataDir, memoryLimit: '256MB', threads: 1 });
    try {
      const lines = spreadLines(0n);
      const zone = { resourceIds: [...new Set(lines.flatMap((l) => l.calls.flatMap((c) => (c.resourceId === null ? [] : [c.resourceId]))))] };
      const windows: TimeRange[] = [];
      for (let from = -300n; from < 600n; from += 97n) {
        for (const length of [7n, 95n, 200n, 1000n]) windows.push({ fromUnixNano: BASE_TIME_UNIX_NANO + from * SECOND + 13n, toUnixNano: BASE_TIME_UNIX_NANO + (from + length) * SECOND });
      }
      const expectFromCalls = async () => {
        for (const state of ['dirty', 'refreshed']) {
          if (state === 'refreshed') expect(await storage.refreshRollups()).toBeGreaterThan(0);
          for (const window of windows) expect(await storage.serviceSummaries(window), `${state} ${window.fromUnixNano}`).toEqual(await storage.serviceSummaries(window, zone));
        }
      };
      await storage.replaceTraceCalls(lines);
      expect((await storage.serviceSummaries(windows[3]!)).length).toBeGreaterThan(5);
      await expectFromCalls();
      // Re-derived: every second trace moves by 90 s (same resources), then one trace twice in a write.
      const moved = spreadLines(90n * SECOND);
      await storage.replaceTraceCalls(moved.filter((_, t) => t % 2 === 1).map((trace) => ({ ...trace, firstDerivation: false })));
      await expectFromCalls();
      await storage.replaceTraceCalls([{ ...lines[0]!, firstDerivation: false }, { ...moved[0]!, firstDerivation: false }]);
      await expectFromCalls();
      // Retention inside the spread: callers after the cutoff lose callees before it (clock skew).
      // A zone no longer counts every call then (a synthetic call whose caller is gone has no
      // resource), so the oracle is a store written with the calls left.
      await storage.deleteBefore(BASE_TIME_UNIX_NANO + 100n * SECOND + 7n);
      const left = await Promise.all(lines.map(async ({ traceId }) => ({ traceId, calls: await storage.getTraceCalls(traceId), derivedSeq: 1n, firstDerivation: true })));
      const freshDir = await mkdtemp(path.join(tmpdir(), 'tributary-rollup-'));
      dirs.push(freshDir);
      const fresh = await openDuckDbStorage({ dataDir: freshDir, memoryLimit: '256MB', threads: 1 });
      try {
        await fresh.replaceTraceCalls(left);
        for (const state of ['dirty', 'refreshed']) {
          if (state === 'refreshed') expect(await storage.refreshRollups()).toBeGreaterThan(0);
          for (const window of windows) expect(await storage.serviceSummaries(window), `retention ${state} ${window.fromUnixNano}`).toEqual(await fresh.serviceSummaries(window));
        }
      } finally {
        await fresh.close();
      }
    } finally {
      await storage.close();
    }
  }, 60_000);
});

describe('the rollup refresh timer', () => {
  it('rebuilds the minutes call writes marked once they are quiet, leaving none marked', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-rollup-'));
    dirs.push(dataDir);
    const storage = await openDuckDbStorage({ dataDir, memoryLimit: '256MB', threads: 1, rollupRefresh: { intervalMs: 20, quietMs: 0 } });
    const lines = spreadLines(0n);
    const window = { fromUnixNano: BASE_TIME_UNIX_NANO - 600n * SECOND, toUnixNano: BASE_TIME_UNIX_NANO + 1200n * SECOND };
    let expected;
    try {
      await storage.replaceTraceCalls(lines);
      expected = await storage.serviceSummaries(window);
      expect(expected.length).toBeGreaterThan(5);
      // Many timer ticks (every 20 ms), with room for a loaded machine.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    } finally {
      await storage.close();
    }
    const instance = await DuckDBInstance.create(path.join(dataDir, DATABASE_FILE));
    const conn = new SerialConnection(await instance.connect());
    try {
      expect((await conn.query('SELECT count(*) FROM rollup_dirty')).getRows()).toEqual([[0n]]);
      expect(Number((await conn.query('SELECT count(*) FROM service_rollup')).getRows()[0]![0])).toBeGreaterThan(0);
    } finally {
      conn.close();
      instance.closeSync();
    }
    const reopened = await openDuckDbStorage({ dataDir, memoryLimit: '256MB', threads: 1 });
    try {
      expect(await reopened.serviceSummaries(window)).toEqual(expected);
    } finally {
      await reopened.close();
    }
  }, 60_000);
});
