/**
 * The ClickHouse store for the analysis tests: one real `clickhouse-server` per test file (started
 * on first use, stopped by `stopClickHouseServer` in the file's `afterAll`), a fresh database per
 * store. Without the server binary the ClickHouse cases are skipped with `CLICKHOUSE_MISSING`.
 */
import type { Storage } from '../../src/storage/api/storage.js';
import { openClickHouseStorage } from '../../src/storage/clickhouse/clickhouse-storage.js';
import { CLICKHOUSE_MISSING, clickHouseAvailable, startClickHouse, type ClickHouseTestServer } from '../../src/storage/clickhouse/testing/server.js';

let server: Promise<ClickHouseTestServer> | undefined;
let databases = 0;

/** Why the ClickHouse cases cannot run here, or undefined when they can. */
export function clickHouseSkipReason(): string | undefined {
  return clickHouseAvailable() ? undefined : CLICKHOUSE_MISSING;
}

/** A store in a fresh database of this file's server. */
export async function openClickHouseTestStore(): Promise<Storage> {
  server ??= startClickHouse();
  const { url } = await server;
  databases += 1;
  return openClickHouseStorage({ url, database: `analysis_${process.pid}_${databases}` });
}

/** Stops this file's server, if one was started. */
export async function stopClickHouseServer(): Promise<void> {
  const started = server;
  server = undefined;
  if (started !== undefined) await (await started).stop();
}
