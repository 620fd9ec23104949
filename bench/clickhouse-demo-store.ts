/**
 * The query benchmark's OpenTelemetry Demo store (bench/query-traffic.ts, the same seed, window and
 * request size as bench/demo-store.ts) loaded into ClickHouse through the real ingest path:
 * encode → decode → `appendSpans` → `Assembler.add` → flush, into `openClickHouseStorage`. The
 * server is a throwaway one (bench/clickhouse-server.ts), so nothing is cached: every run loads.
 *
 * Same traffic, same derivation: the answers match the DuckDB store's (the scale-out test checks
 * that for live traffic), so the two backends' timings are of the same work.
 */
import type { Storage } from '../src/storage/api/storage.js';
import { openClickHouseStorage } from '../src/storage/clickhouse/clickhouse-storage.js';
import { loadMigrations } from '../src/storage/clickhouse/schema.js';
import { startBenchClickHouse, type BenchClickHouse } from './clickhouse-server.js';
import { loadDemoTraffic } from './demo-load.js';
import type { DemoStore } from './demo-store.js';

export interface LoadedStore {
  readonly storage: Storage;
  readonly spans: number;
  readonly traces: number;
  readonly loadSeconds: number;
}

/** Loads at least `targetSpans` spans of demo traffic (whole requests of 100 traces) and returns the open store. */
export async function loadClickHouseDemo(server: BenchClickHouse, targetSpans: number, log: (line: string) => void): Promise<LoadedStore> {
  const started = performance.now();
  const storage = await openClickHouseStorage({ url: server.url, database: server.database });
  try {
    const { spans, traces } = await loadDemoTraffic(storage, targetSpans, log);
    return { storage, spans, traces, loadSeconds: Math.round((performance.now() - started) / 100) / 10 };
  } catch (error: unknown) {
    await storage.close();
    throw error;
  }
}

/**
 * For `bench/query.ts --storage clickhouse`: a fresh server with the demo traffic loaded, described
 * as a `DemoStore` (its `dataDir` is the ClickHouse URL and database, `buildSeconds` the load time,
 * `schemaVersion` the last ClickHouse migration), the open store, and `stop` for both.
 */
export async function openClickHouseQueryStore(targetSpans: number): Promise<{ store: DemoStore; storage: Storage; server: BenchClickHouse; stop(): Promise<void> }> {
  const server = await startBenchClickHouse();
  try {
    console.error(`loading ${targetSpans.toLocaleString('en')} spans into ClickHouse ${server.version} at ${server.url} …`);
    const loaded = await loadClickHouseDemo(server, targetSpans, (line) => console.error(line));
    const schemaVersion = (await loadMigrations()).at(-1)?.version ?? 0;
    return {
      store: { dataDir: `${server.url}/${server.database} (ClickHouse ${server.version})`, spans: loaded.spans, traces: loaded.traces, schemaVersion, buildSeconds: loaded.loadSeconds, cached: false },
      storage: loaded.storage,
      server,
      stop: () => server.stop(),
    };
  } catch (error: unknown) {
    await server.stop();
    throw error;
  }
}
