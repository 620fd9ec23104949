/**
 * A storage worker entry for tests: the real DuckDB store, except that `getTrace` of one chosen
 * trace runs until its `ReadOptions.signal` aborts and then rejects with the signal's reason, the
 * way a backend stops a running query. Without a signal it never settles.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { StorageError } from '../../api/storage.js';
import type { Storage } from '../../api/storage.js';
import { openDuckDbStorage } from '../../duckdb/duckdb-storage.js';
import type { DuckDbStorageOptions } from '../../duckdb/duckdb-storage.js';
import type { WorkerStart } from '../protocol.js';
import { serveStorage } from '../serve.js';

export interface WaitingReadEntryOptions {
  readonly duckdb: DuckDbStorageOptions;
  readonly waitOnTrace: string;
}

if (!parentPort) throw new Error('waiting-read-entry runs only as a worker thread');
const { options } = workerData as WorkerStart<WaitingReadEntryOptions>;

await serveStorage(parentPort, async () => {
  const storage = await openDuckDbStorage(options.duckdb);
  const getTrace: Storage['getTrace'] = (traceId, readOptions) => {
    if (traceId !== options.waitOnTrace) return storage.getTrace(traceId, readOptions);
    const signal = readOptions?.signal;
    return new Promise((_, reject) => {
      signal?.addEventListener('abort', () => reject(new StorageError(`read cancelled in the worker: ${String((signal.reason as Error).message)}`)), { once: true });
    });
  };
  return new Proxy(storage, {
    get: (target, key, receiver) => (key === 'getTrace' ? getTrace : Reflect.get(target, key, receiver)),
  });
});
