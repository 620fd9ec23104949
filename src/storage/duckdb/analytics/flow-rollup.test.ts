/**
 * The flow from the rollup (flow-rollup.ts, read by flow.ts past `flowExactLimit` focal calls)
 * against the oracle, on generated topologies: its counts and total time exact, its percentiles
 * the midpoints of the buckets that hold the oracle's nearest-rank percentiles. For windows that
 * cut minutes anywhere, with every minute dirty (read from the calls) and after the refresh (read
 * from the rollup), after re-derivation, after retention, and after the migration that builds it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { casesOf, feed, topologyOf, type Topology } from '../../../../test/analysis/differential-cases.js';
import { foldFlow, type FlowNode } from '../../../analysis/flow.js';
import type { FocalFilter } from '../../api/call-queries.js';
import { SerialConnection } from '../connection.js';
import { DATABASE_FILE, openDuckDbStorage, type DuckDbStore } from '../duckdb-storage.js';
import { BASE_TIME_UNIX_NANO } from '../../conformance/fixtures.js';
import { rederivedTwiceInOneWrite, spreadLines, windowsAroundMinutes } from '../testing/call-lines.js';
import { bucketMidpoint, durationBucket } from './duration-buckets.js';

const SECOND = 1_000_000_000n;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-flow-rollup-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A DuckDB store that reads every flow without a chain from the rollup. */
async function openRollupStore(dataDir: string): Promise<DuckDbStore> {
  const storage = await openDuckDbStorage({ dataDir, memoryLimit: '512MB', threads: 1, flowExactLimit: 0 });
  cleanups.push(() => storage.close());
  return storage;
}

async function ingested(topology: Topology): Promise<DuckDbStore> {
  const storage = await openRollupStore(await tempDir());
  await feed({ storage, logs: [], close: () => storage.close() }, topology);
  return storage;
}

/** The oracle's flow as the rollup reports it: each percentile as the midpoint of its bucket. */
function bucketed(node: FlowNode): FlowNode {
  const mid = (ms: number) => (node.calls === 0 ? ms : Number(bucketMidpoint(durationBucket(BigInt(Math.round(ms * 1e6))))) / 1e6);
  return {
    ...node,
    durationMs: { p50: mid(node.durationMs.p50), p90: mid(node.durationMs.p90), total: node.durationMs.total },
    children: node.children.map(bucketed),
  };
}

function expected(topology: Topology, filter: FocalFilter): FlowNode {
  const exact = topology.oracle.flow(filter);
  return filter.chain !== undefined && filter.chain.length > 0 ? exact : bucketed(exact);
}

/** The topology's focal filters (with and without requests and chains), and each plain one over every window. */
function filtersOf(topology: Topology, seed: number): FocalFilter[] {
  const { filters } = casesOf(topology, seed);
  const services = new Map(filters.map((f) => [`${f.service.kind}/${f.service.name}`, f.service]));
  const windows = windowsAroundMinutes(topology.generated.window);
  return [...filters, ...[...services.values()].flatMap((service) => windows.map((window) => ({ ...window, service })))];
}

async function expectOracle(storage: DuckDbStore, topology: Topology, seed: number, filters = filtersOf(topology, seed)): Promise<void> {
  for (const state of ['dirty', 'refreshed']) {
    if (state === 'refreshed') await storage.refreshRollups();
    for (const filter of filters) {
      const label = `seed ${seed}, ${state}, ${filter.service.kind}/${filter.service.name} ${filter.request ?? ''} ${JSON.stringify(filter.chain ?? [])} ${filter.fromUnixNano}..${filter.toUnixNano}`;
      expect(foldFlow(filter.service, await storage.flowGroups(filter)), label).toEqual(expected(topology, filter));
    }
  }
}

async function allTraceIds(storage: DuckDbStore): Promise<string[]> {
  return (await storage.findTraces({ fromUnixNano: -(1n << 63n), toUnixNano: (1n << 63n) - 1n, limit: 100_000 })).map((t) => t.traceId);
}

async function rollupRows(dataDir: string): Promise<bigint> {
  const instance = await DuckDBInstance.create(path.join(dataDir, DATABASE_FILE));
  const conn = new SerialConnection(await instance.connect());
  try {
    return (await conn.query('SELECT (SELECT count(*) FROM flow_rollup) + (SELECT count(*) FROM flow_histogram)')).getRows()[0]![0] as bigint;
  } finally {
    conn.close();
    instance.closeSync();
  }
}

describe('the flow from the rollup', () => {
  it('equals the oracle (percentiles bucketed) for windows that cut minutes anywhere', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const topology = topologyOf(seed);
      await expectOracle(await ingested(topology), topology, seed);
    }
  }, 180_000);

  it('stays exact when traces are re-derived', async () => {
    for (const seed of [7, 8]) {
      const topology = topologyOf(seed);
      const storage = await ingested(topology);
      await storage.refreshRollups();
      const traceIds = await allTraceIds(storage);
      const calls = new Map(await Promise.all(traceIds.map(async (id) => [id, await storage.getTraceCalls(id)] as const)));
      const half = traceIds.filter((_, i) => i % 2 === 0);
      await storage.replaceTraceCalls(half.map((traceId) => ({ traceId, calls: [], derivedSeq: 5n, firstDerivation: false })));
      await storage.refreshRollups();
      await storage.replaceTraceCalls(rederivedTwiceInOneWrite(traceIds, calls));
      await expectOracle(storage, topology, seed);
    }
  }, 120_000);

  it('after retention equals a store written with the calls left', async () => {
    const topology = topologyOf(11);
    const storage = await ingested(topology);
    await storage.refreshRollups();
    const cutoff = topology.generated.window.fromUnixNano + 31n * SECOND;
    await storage.deleteBefore(cutoff);
    const traceIds = await allTraceIds(storage);
    const left = await Promise.all(traceIds.map(async (traceId) => ({ traceId, calls: await storage.getTraceCalls(traceId), derivedSeq: 1n, firstDerivation: true })));
    const fresh = await openRollupStore(await tempDir());
    await fresh.replaceTraceCalls(left);
    const filters = filtersOf(topology, 11).filter((f) => f.chain === undefined);
    for (const state of ['dirty', 'refreshed']) {
      if (state === 'refreshed') {
        await storage.refreshRollups();
        await fresh.refreshRollups();
      }
      for (const filter of filters) expect(foldFlow(filter.service, await storage.flowGroups(filter)), state).toEqual(foldFlow(filter.service, await fresh.flowGroups(filter)));
    }
  }, 60_000);

  it('is built for the calls already stored when the migration creates it', async () => {
    const topology = topologyOf(12);
    const dataDir = await tempDir();
    const first = await openDuckDbStorage({ dataDir, memoryLimit: '256MB', threads: 1 });
    await feed({ storage: first, logs: [], close: () => first.close() }, topology);
    await first.refreshRollups();
    await first.close();
    expect(await rollupRows(dataDir)).toBeGreaterThan(0n);
    // The store as version 8 left it: no flow tables, no record of the migration.
    const instance = await DuckDBInstance.create(path.join(dataDir, DATABASE_FILE));
    const conn = new SerialConnection(await instance.connect());
    try {
      for (const table of ['flow_slices', 'flow_rollup', 'flow_histogram']) await conn.run(`DROP TABLE ${table}`);
      await conn.run('DELETE FROM schema_version WHERE version >= 9');
    } finally {
      conn.close();
      instance.closeSync();
    }
    // Built whole by the migration: the first store left no minute dirty, so the first pass reads
    // every minute from what the migration wrote.
    const storage = await openRollupStore(dataDir);
    await expectOracle(storage, topology, 12);
  }, 60_000);
});

describe('the flow from the rollup, on calls spread over minutes', () => {
  it('equals the exact flow (percentiles bucketed) through re-derivation and retention that cut traces', async () => {
    const exact = await openDuckDbStorage({ dataDir: await tempDir(), memoryLimit: '256MB', threads: 1, flowExactLimit: Number.MAX_SAFE_INTEGER });
    cleanups.push(() => exact.close());
    const rollup = await openRollupStore(await tempDir());
    const lines = spreadLines(0n);
    const services = new Map(lines.flatMap((l) => l.calls.map((c) => [`${c.kind}/${c.service}`, { kind: c.kind, name: c.service }] as const)));
    const filters: FocalFilter[] = [];
    for (const from of [-300n, -40n, 100n, 250n]) {
      for (const length of [7n, 95n, 1000n]) {
        for (const service of services.values()) filters.push({ fromUnixNano: BASE_TIME_UNIX_NANO + from * SECOND + 13n, toUnixNano: BASE_TIME_UNIX_NANO + (from + length) * SECOND, service });
      }
    }
    const expectSame = async (step: string) => {
      for (const state of ['dirty', 'refreshed']) {
        if (state === 'refreshed') await rollup.refreshRollups();
        let nodes = 0;
        for (const filter of filters) {
          const expected = bucketed(foldFlow(filter.service, await exact.flowGroups(filter)));
          nodes += expected.children.length;
          expect(foldFlow(filter.service, await rollup.flowGroups(filter)), `${step} ${state} ${filter.service.name} ${filter.fromUnixNano}`).toEqual(expected);
        }
        expect(nodes, step).toBeGreaterThan(20);
      }
    };
    const both = async (write: (s: DuckDbStore) => Promise<unknown>) => {
      await write(exact);
      await write(rollup);
    };
    await both((s) => s.replaceTraceCalls(lines));
    await expectSame('written');
    const moved = spreadLines(90n * SECOND);
    await both((s) => s.replaceTraceCalls(moved.filter((_, t) => t % 2 === 1).map((trace) => ({ ...trace, firstDerivation: false }))));
    await expectSame('re-derived');
    // A cutoff inside the spread: callers after it lose callees before it (clock skew), and the reverse.
    await both((s) => s.deleteBefore(BASE_TIME_UNIX_NANO + 100n * SECOND + 7n));
    await expectSame('after retention');
  }, 120_000);
});
