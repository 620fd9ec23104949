/**
 * Cached DuckDB stores of OpenTelemetry Demo traffic (bench/query-traffic.ts), built through the
 * real ingest path (encode → decode → appendSpans → Assembler.add → flush), for the query and
 * naive-backtrace benchmarks. Building 10M spans takes minutes, so a store is kept in
 * `<tmpdir>/tributary-bench-query/` and reused while the code's schema version (the last of
 * `MIGRATIONS`) is the one the store was built with: the directory name carries that version, and
 * the file's own `schema_version` is checked before reuse, so a layout change rebuilds instead of
 * migrating a benchmark store in place (or timing a stale layout).
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DATABASE_FILE, openDuckDbStorage } from '../src/storage/duckdb/duckdb-storage.js';
import { MIGRATIONS } from '../src/storage/duckdb/schema.js';
import { loadDemoTraffic } from './demo-load.js';

export { DEMO_WINDOW } from './demo-load.js';

/** Bump when the generated traffic or the way a store is built changes (query-traffic.ts, seed, traces per request; 2: rollup refreshed). */
const GENERATOR_VERSION = 2;
export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;
const CACHE_ROOT = path.join(tmpdir(), 'tributary-bench-query');
/** Stores of query.ts before this module (generator 1, named by cache version): `-v2` held schema 3. */
const LEGACY_SUFFIX: Record<number, string> = { 3: '-v2' };

export interface DemoStore {
  readonly dataDir: string;
  readonly spans: number;
  readonly traces: number;
  readonly schemaVersion: number;
  /** Seconds the build took (when it was built, not now). */
  readonly buildSeconds: number;
  /** False when this call built it. */
  readonly cached: boolean;
}

type BuiltFile = Omit<DemoStore, 'dataDir' | 'cached'>;

/**
 * A store of at least `targetSpans` spans (whole requests of 100 traces, so a few more), cached.
 * `rebuild` forces a fresh build. Progress goes to `log`.
 */
export async function demoStore(targetSpans: number, options: { rebuild?: boolean; log?: (line: string) => void } = {}): Promise<DemoStore> {
  const log = options.log ?? ((line: string) => console.error(line));
  const name = `otel-demo-${targetSpans}-gen${GENERATOR_VERSION}-schema${SCHEMA_VERSION}`;
  const dataDir = path.join(CACHE_ROOT, name);
  adoptLegacy(targetSpans, dataDir);
  if (!options.rebuild) {
    const built = await readBuilt(dataDir);
    if (built !== undefined) return { ...built, dataDir, cached: true };
  }
  removeStale(targetSpans, name);
  log(`building a store of ${targetSpans.toLocaleString('en')} spans in ${dataDir} (schema ${SCHEMA_VERSION}) …`);
  const built = await build(targetSpans, dataDir, log);
  log(`built ${built.spans.toLocaleString('en')} spans in ${built.buildSeconds} s`);
  return { ...built, dataDir, cached: false };
}

/** The cached store's description, when its file exists and holds the code's schema version. */
async function readBuilt(dataDir: string): Promise<BuiltFile | undefined> {
  const file = path.join(dataDir, 'built.json');
  if (!existsSync(file) || !existsSync(path.join(dataDir, DATABASE_FILE))) return undefined;
  const built = JSON.parse(readFileSync(file, 'utf8')) as Partial<BuiltFile>;
  if (built.schemaVersion !== SCHEMA_VERSION) return undefined;
  if ((await fileSchemaVersion(path.join(dataDir, DATABASE_FILE))) !== SCHEMA_VERSION) return undefined;
  return built as BuiltFile;
}

/** `max(version)` of the file's `schema_version`, read without migrating; undefined when unreadable. */
async function fileSchemaVersion(file: string): Promise<number | undefined> {
  let instance: DuckDBInstance | undefined;
  try {
    instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    const conn = await instance.connect();
    const rows = (await conn.runAndReadAll('SELECT max(version) FROM schema_version')).getRows();
    conn.closeSync();
    return Number(rows[0]?.[0]);
  } catch {
    return undefined; // not a store, or one another process holds: rebuild rather than guess.
  } finally {
    instance?.closeSync();
  }
}

/** Takes over a store query.ts built before this module existed, when it holds the current schema. */
function adoptLegacy(targetSpans: number, dataDir: string): void {
  const suffix = LEGACY_SUFFIX[SCHEMA_VERSION];
  if (suffix === undefined || existsSync(dataDir)) return;
  const legacy = path.join(CACHE_ROOT, `otel-demo-${targetSpans}${suffix}`);
  const file = path.join(legacy, 'built.json');
  if (!existsSync(file)) return;
  const built = JSON.parse(readFileSync(file, 'utf8')) as Omit<BuiltFile, 'schemaVersion'>;
  renameSync(legacy, dataDir);
  writeFileSync(path.join(dataDir, 'built.json'), JSON.stringify({ ...built, schemaVersion: SCHEMA_VERSION }));
}

/** Deletes stores of this size built for other schema versions (a 10M store is 2+ GB). */
function removeStale(targetSpans: number, keep: string): void {
  if (!existsSync(CACHE_ROOT)) return;
  for (const entry of readdirSync(CACHE_ROOT)) {
    if (entry !== keep && entry.startsWith(`otel-demo-${targetSpans}-`)) rmSync(path.join(CACHE_ROOT, entry), { recursive: true, force: true });
  }
}

async function build(targetSpans: number, dataDir: string, log: (line: string) => void): Promise<BuiltFile> {
  rmSync(dataDir, { recursive: true, force: true });
  const started = performance.now();
  const storage = await openDuckDbStorage({ dataDir, memoryLimit: '2GB' });
  let loaded: { spans: number; traces: number };
  try {
    loaded = await loadDemoTraffic(storage, targetSpans, log);
    // A store that has been serving has the rollups of its past minutes built (the timer
    // rebuilds each minute 30 s after its last call write): measure queries against that state.
    const rolled = performance.now();
    const minutes = await storage.refreshRollups();
    log(`  rollups of ${minutes} minutes rebuilt in ${Math.round(performance.now() - rolled)} ms`);
  } finally {
    await storage.close();
  }
  const built: BuiltFile = { spans: loaded.spans, traces: loaded.traces, schemaVersion: SCHEMA_VERSION, buildSeconds: Math.round((performance.now() - started) / 100) / 10 };
  // Written last: a store without built.json is an interrupted build and is rebuilt.
  writeFileSync(path.join(dataDir, 'built.json'), JSON.stringify(built));
  return built;
}
