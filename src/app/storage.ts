import type { TributaryConfig } from '../config/config.js';
import type { Storage } from '../storage/api/storage.js';
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
}

/** The only place that knows the concrete backends. */
export async function openStorage(config: TributaryConfig, options: OpenStorageOptions = {}): Promise<Storage> {
  switch (config.storage) {
    case 'duckdb': {
      const duckdb = { dataDir: config.dataDir, memoryLimit: config.duckdbMemoryLimit };
      return options.ownThread
        ? openWorkerStorage({ backend: 'duckdb', ...duckdb, ...(options.onFatal ? { onFatal: options.onFatal } : {}) })
        : openDuckDbStorage(duckdb);
    }
    case 'clickhouse':
      throw new Error('the ClickHouse backend is not implemented yet: use --storage duckdb');
  }
}
