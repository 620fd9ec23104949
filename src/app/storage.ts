import path from 'node:path';
import type { TributaryConfig } from '../config/config.js';
import type { Storage } from '../storage/api/storage.js';
import { DEFAULT_DATABASE, openClickHouseStorage } from '../storage/clickhouse/clickhouse-storage.js';
import { databaseFromUrl } from '../storage/clickhouse/connection.js';
import { openDuckDbStorage } from '../storage/duckdb/duckdb-storage.js';
import { openWorkerStorage } from '../storage/worker/worker-storage.js';

export interface OpenStorageOptions {
  /**
   * Run the store on its own thread (the server): DuckDB's appends are synchronous native work,
   * which would otherwise share the event loop with the receivers, the decoder and the assembler.
   * One-shot commands (import, queries) open it in-process.
   */
  readonly ownThread?: boolean;
  /** Called when the store's thread dies; the store is unusable after it. */
  readonly onFatal?: (error: Error) => void;
  /**
   * Multi-tenancy: open this tenant's own store (an id matching `TENANT_ID`, app/access.ts).
   * DuckDB: the directory `tenantDataDir(dataDir, tenant)`; ClickHouse: the database
   * `tenantDatabase(database, tenant)`. Undefined: the one shared store, as without tenancy.
   */
  readonly tenant?: string;
}

/** Where the tenants' DuckDB directories live: `<dataDir>/tenants`. */
export function tenantsRoot(dataDir: string): string {
  return path.join(dataDir, 'tenants');
}

/** `<dataDir>/tenants/<tenant>`; `dataDir` itself without a tenant (no migration of existing data). */
export function tenantDataDir(dataDir: string, tenant: string | undefined): string {
  return tenant === undefined ? dataDir : path.join(tenantsRoot(dataDir), tenant);
}

/**
 * `<database>_<tenant>`, spelled as a plain ClickHouse identifier: tenant ids may hold `-`, which
 * is written `_d`, and `_` is doubled, so distinct tenants never share a database
 * (`a-b` → `tributary_a_db`, `a_b` → `tributary_a__b`; most ids, letters and digits, read as is).
 */
export function tenantDatabase(database: string, tenant: string | undefined): string {
  return tenant === undefined ? database : `${database}_${tenant.replaceAll('_', '__').replaceAll('-', '_d')}`;
}

/** The only place that knows the concrete backends. */
export async function openStorage(config: TributaryConfig, options: OpenStorageOptions = {}): Promise<Storage> {
  switch (config.storage) {
    case 'duckdb': {
      const duckdb = { dataDir: tenantDataDir(config.dataDir, options.tenant), memoryLimit: config.duckdbMemoryLimit };
      return options.ownThread
        ? openWorkerStorage({ backend: 'duckdb', ...duckdb, ...(options.onFatal ? { onFatal: options.onFatal } : {}) })
        : openDuckDbStorage(duckdb);
    }
    case 'clickhouse': {
      // ClickHouse does its work in its own process, so the store needs no thread of its own.
      if (!config.clickhouseUrl) throw new Error('--clickhouse-url is required with --storage clickhouse');
      return openClickHouseStorage({
        url: config.clickhouseUrl,
        database: tenantDatabase(databaseFromUrl(config.clickhouseUrl, DEFAULT_DATABASE), options.tenant),
        ...(config.clickhouseCluster ? { cluster: config.clickhouseCluster } : {}),
      });
    }
  }
}
