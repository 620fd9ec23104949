/**
 * Child process for the kill -9 durability test: appends batches to the store in `argv[2]` from
 * four concurrent callers, forever, and prints each acknowledged batch's trace id on its own line
 * only after `appendSpans` resolved. The parent kills it with SIGKILL at an arbitrary moment.
 */
import { openDuckDbStorage } from '../duckdb-storage.js';
import { spanBatch, spanIdHex, traceIdHex } from '../../conformance/fixtures.js';
import { pseudoRandomBytes } from '../../conformance/harness.js';

const SPANS_PER_BATCH = 200;
const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: crash-writer DATA_DIR');
const storage = await openDuckDbStorage({ dataDir, memoryLimit: '256MB' });
let next = 1;
process.stdout.write('ready\n');
await Promise.all(
  Array.from({ length: 4 }, async () => {
    for (;;) {
      const n = next++;
      const traceId = traceIdHex(n);
      const specs = Array.from({ length: SPANS_PER_BATCH }, (_, i) => ({ traceId, spanId: spanIdHex(i + 1), payload: pseudoRandomBytes(300, n * 1000 + i) }));
      await storage.appendSpans(spanBatch(specs));
      process.stdout.write(`${traceId}\n`);
    }
  }),
);
