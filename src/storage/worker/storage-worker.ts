/**
 * The storage worker's entry: opens the DuckDB store in this thread and serves the proxy of
 * `worker-storage.ts`. DuckDB objects cannot cross threads, so the store lives here entirely.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDuckDbStorage } from '../duckdb/duckdb-storage.js';
import type { DuckDbStorageOptions } from '../duckdb/duckdb-storage.js';
import type { WorkerStart } from './protocol.js';
import { serveStorage } from './serve.js';

if (!parentPort) throw new Error('storage-worker runs only as a worker thread (see openWorkerStorage)');
const { options } = workerData as WorkerStart<DuckDbStorageOptions>;
await serveStorage(parentPort, () => openDuckDbStorage(options));
