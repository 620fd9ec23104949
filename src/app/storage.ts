import type { TributaryConfig } from '../config/config.js';
import type { Storage } from '../storage/api/storage.js';
import { openDuckDbStorage } from '../storage/duckdb/duckdb-storage.js';

/** The only place that knows the concrete backends. */
export async function openStorage(config: TributaryConfig): Promise<Storage> {
  switch (config.storage) {
    case 'duckdb':
      return openDuckDbStorage({ dataDir: config.dataDir, memoryLimit: config.duckdbMemoryLimit });
    case 'clickhouse':
      throw new Error('the ClickHouse backend is not implemented yet: use --storage duckdb');
  }
}
