// Starts a worker whose entry is TypeScript (tests and `tsx` runs, where the proxy module itself
// is a .ts file): registers tsx in this thread, then loads the entry named in `workerData`.
// Compiled builds start their .js entry directly and never load this file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsEntry);
