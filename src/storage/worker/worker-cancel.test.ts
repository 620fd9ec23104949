import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Storage } from '../api/storage.js';
import { spanBatch, spanIdHex, traceIdHex } from '../conformance/fixtures.js';
import type { WaitingReadEntryOptions } from './testing/waiting-read-entry.js';
import { startWorkerStorage } from './worker-storage.js';

/**
 * `ReadOptions.signal` across the thread boundary: the proxy keeps the signal (it cannot be
 * cloned), the worker gives the backend one of its own, and an abort on the main thread aborts it.
 */
const entry = new URL('./testing/waiting-read-entry.js', import.meta.url);
const waiting = traceIdHex(404);
const stores: Storage[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function open(): Promise<Storage> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-worker-cancel-'));
  dirs.push(dataDir);
  const options: WaitingReadEntryOptions = { duckdb: { dataDir, memoryLimit: '256MB', threads: 1 }, waitOnTrace: waiting };
  const store = await startWorkerStorage(entry, options, { label: dataDir });
  stores.push(store);
  return store;
}

describe('read cancellation through the storage worker', () => {
  it('aborts the read in the worker when the caller aborts, leaving other reads alone', async () => {
    const store = await open();
    await store.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]));
    const controller = new AbortController();
    const read = store.getTrace(waiting, { signal: controller.signal });
    const outcome = read.then(() => 'answered', (error: unknown) => (error instanceof Error ? error.message : String(error)));
    // Another read with its own live signal, and one without, answer meanwhile.
    expect((await store.getTrace(traceIdHex(1), { signal: new AbortController().signal })).spans).toHaveLength(1);
    expect((await store.getTraces([traceIdHex(1)])).get(traceIdHex(1))!.spans).toHaveLength(1);
    controller.abort(new Error('query timed out after 5 ms'));
    expect(await outcome).toBe('read cancelled in the worker: query timed out after 5 ms');
    expect((await store.getTrace(traceIdHex(1))).spans).toHaveLength(1);
  });

  it('rejects at once a read whose signal already aborted, without sending it', async () => {
    const store = await open();
    const controller = new AbortController();
    controller.abort(new Error('gave up'));
    await expect(store.getTrace(waiting, { signal: controller.signal })).rejects.toThrow(/cancelled before it was sent/);
    await expect(store.serviceSummaries({ fromUnixNano: 0n, toUnixNano: 1n }, undefined, { signal: controller.signal })).rejects.toThrow(/cancelled/);
  });
});
