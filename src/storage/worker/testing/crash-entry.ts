/**
 * A storage worker entry for tests: the real DuckDB store, except that reading one chosen trace
 * kills the worker, the two ways a store's thread can die under it: an uncaught exception (a bug
 * in a callback), or the thread ending (`process.exit` in a worker ends only that thread).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Storage } from '../../api/storage.js';
import { openDuckDbStorage } from '../../duckdb/duckdb-storage.js';
import type { DuckDbStorageOptions } from '../../duckdb/duckdb-storage.js';
import type { WorkerStart } from '../protocol.js';
import { serveStorage } from '../serve.js';

export interface CrashEntryOptions {
  readonly duckdb: DuckDbStorageOptions;
  /** `getTrace` of this trace id throws outside any promise (an uncaught exception). */
  readonly throwOnTrace?: string;
  /** `getTrace` of this trace id ends the thread with this exit code. */
  readonly exitOnTrace?: { readonly traceId: string; readonly code: number };
}

if (!parentPort) throw new Error('crash-entry runs only as a worker thread');
const { options } = workerData as WorkerStart<CrashEntryOptions>;

await serveStorage(parentPort, async () => {
  const storage = await openDuckDbStorage(options.duckdb);
  const getTrace: Storage['getTrace'] = (traceId) => {
    if (traceId === options.throwOnTrace) {
      // Thrown right after this message's handler returns, before the worker reads the next one.
      process.nextTick(() => {
        throw new Error('boom in the storage worker');
      });
      return new Promise(() => undefined);
    }
    if (traceId === options.exitOnTrace?.traceId) process.exit(options.exitOnTrace.code);
    return storage.getTrace(traceId);
  };
  return new Proxy(storage, {
    get: (target, key, receiver) => (key === 'getTrace' ? getTrace : Reflect.get(target, key, receiver)),
  });
});
