import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import type { Storage, TraceCalls } from '../api/storage.js';
import { serviceCall, spanBatch, spanIdHex, traceIdHex } from '../conformance/fixtures.js';
import { CALLS_PER_STEP } from '../duckdb/call-batch.js';
import { pseudoRandomBytes } from '../conformance/harness.js';
import { storageConformance } from '../conformance/suite.js';
import { DATABASE_FILE, openDuckDbStorage } from '../duckdb/duckdb-storage.js';
import type { CrashEntryOptions } from './testing/crash-entry.js';
import { openWorkerStorage, startWorkerStorage } from './worker-storage.js';

storageConformance('duckdb in a worker thread', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-worker-'));
  const open = () => openWorkerStorage({ backend: 'duckdb', dataDir, memoryLimit: '256MB', threads: 2 });
  return {
    storage: await open(),
    reopen: open,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

describe('worker storage', () => {
  const dirs: string[] = [];
  const stores: Storage[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => undefined);
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tributary-worker-'));
    dirs.push(dir);
    return dir;
  }
  async function open(dataDir: string, onFatal?: (error: StorageError) => void): Promise<Storage> {
    const store = await openWorkerStorage({ backend: 'duckdb', dataDir, memoryLimit: '256MB', threads: 1, ...(onFatal ? { onFatal } : {}) });
    stores.push(store);
    return store;
  }

  it('leaves the caller\'s batch intact: only its own packed copy is transferred', async () => {
    const store = await open(await tempDir());
    const payload = pseudoRandomBytes(300, 3);
    const batch = spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1), payload }]);
    await store.appendSpans(batch);
    expect(batch.payloads[0]!.byteLength).toBe(300);
    expect(batch.payloads[0]).toEqual(payload);
    expect(batch.traceIds.byteLength).toBe(16);
    const stored = (await store.getTrace(traceIdHex(1))).spans[0]!;
    expect(Buffer.from(stored.payload).equals(Buffer.from(payload))).toBe(true);
  });

  it('writes calls in call order, and a write still being packed when close() is called lands', async () => {
    const dataDir = await tempDir();
    const store = await open(dataDir);
    const traceId = traceIdHex(9);
    const callsOf = (n: number, service: string) =>
      Array.from({ length: n }, (_, i) => serviceCall({ traceId, callId: (i + 1).toString(16).padStart(16, '0'), service }));
    // The first write takes several packing steps, the second one: sent in call order, the second replaces the first.
    const first = store.replaceTraceCalls([{ traceId, calls: callsOf(3 * CALLS_PER_STEP, 'first'), derivedSeq: 1n, firstDerivation: true }]);
    const second = store.replaceTraceCalls([{ traceId, calls: callsOf(2, 'second'), derivedSeq: 2n, firstDerivation: false }]);
    const third = store.replaceTraceCalls([{ traceId: traceIdHex(10), calls: callsOf(2 * CALLS_PER_STEP, 'third').map((c) => ({ ...c, traceId: traceIdHex(10) })), derivedSeq: 3n, firstDerivation: true }]);
    await store.close();
    await Promise.all([first, second, third]);
    stores.splice(stores.indexOf(store), 1);
    const reopened = await open(dataDir);
    expect((await reopened.getTraceCalls(traceId)).map((c) => c.service)).toEqual(['second', 'second']);
    expect(await reopened.getTraceCalls(traceIdHex(10))).toHaveLength(2 * CALLS_PER_STEP);
  });

  it('rejects a failed call with the same StorageError the store gives on the main thread, statement included', async () => {
    const failing: ReadonlyArray<[string, (s: Storage) => Promise<unknown>]> = [
      ['deleteBefore out of range', (s) => s.deleteBefore(2n ** 70n)],
      ['tracesNeedingDerivation out of range', (s) => s.tracesNeedingDerivation(2n ** 70n)],
      ['malformed trace id', (s) => s.getTraceCalls('zz')],
      ['malformed batch', (s) => s.appendSpans({ ...spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]), names: [] })],
    ];
    const direct = await openDuckDbStorage({ dataDir: await tempDir(), threads: 1 });
    const viaWorker = await open(await tempDir());
    try {
      for (const [what, call] of failing) {
        const want = await call(direct).then(() => undefined, (e: unknown) => e);
        const got = await call(viaWorker).then(() => undefined, (e: unknown) => e);
        expect(want, what).toBeInstanceOf(StorageError);
        expect(got, what).toBeInstanceOf(StorageError);
        const [w, g] = [want as StorageError, got as StorageError];
        expect({ message: g.message, statement: g.statement, cause: (g.cause as Error | undefined)?.message }, what).toEqual({
          message: w.message,
          statement: w.statement,
          cause: (w.cause as Error | undefined)?.message,
        });
      }
      expect((await viaWorker.deleteBefore(2n ** 70n).catch((e: StorageError) => e.statement)) ?? '').toMatch(/FROM span_blocks/);
      // The store still works after failed calls.
      await viaWorker.appendSpans(spanBatch([{ traceId: traceIdHex(2), spanId: spanIdHex(1) }]));
      expect((await viaWorker.getTrace(traceIdHex(2))).spans).toHaveLength(1);
    } finally {
      await direct.close();
    }
  });

  it('rejects a call whose arguments cannot cross to the worker, and only that call', async () => {
    const store = await open(await tempDir());
    const t = traceIdHex(1);
    const uncloneable = { traceId: t, calls: [{ notData: () => 1 }], derivedSeq: 1n, firstDerivation: true } as unknown as TraceCalls;
    // Issued in one turn of the event loop, so they travel in one message.
    const [append, replace, read] = await Promise.allSettled([
      store.appendSpans(spanBatch([{ traceId: t, spanId: spanIdHex(1) }])),
      store.replaceTraceCalls([uncloneable]),
      store.getTraceCalls(t),
    ]);
    expect(append.status).toBe('fulfilled');
    expect(read.status).toBe('fulfilled');
    expect(replace.status).toBe('rejected');
    expect((replace as PromiseRejectedResult).reason).toBeInstanceOf(StorageError);
    expect(((replace as PromiseRejectedResult).reason as StorageError).message).toMatch(/replaceTraceCalls/);
    expect((await store.getTrace(t)).spans).toHaveLength(1);
    expect(await store.derivedTraces([t])).toEqual(new Set());
  });

  it('refuses a second open of the same store in one process until the first is closed', async () => {
    const dataDir = await tempDir();
    const first = await open(dataDir);
    await expect(openWorkerStorage({ backend: 'duckdb', dataDir })).rejects.toThrow(/already open/);
    const link = path.join(await tempDir(), 'link');
    await symlink(dataDir, link);
    await expect(openWorkerStorage({ backend: 'duckdb', dataDir: link })).rejects.toThrow(/already open/);
    await first.close();
    const second = await open(dataDir);
    expect(second.capabilities).toEqual({ backend: 'duckdb', persistent: true });
  });

  it('rejects the open with the backend\'s StorageError when the store cannot open, and can open it once fixed', async () => {
    const dataDir = await tempDir();
    await (await open(dataDir)).close();
    const instance = await DuckDBInstance.create(path.join(dataDir, DATABASE_FILE));
    const conn = await instance.connect();
    await conn.run(`INSERT INTO schema_version (version, description) VALUES (999, 'from the future')`);
    const opening = openWorkerStorage({ backend: 'duckdb', dataDir });
    await expect(opening).rejects.toBeInstanceOf(StorageError);
    await expect(opening).rejects.toThrow(/newer/);
    await conn.run('DELETE FROM schema_version WHERE version = 999');
    conn.closeSync();
    instance.closeSync();
    await open(dataDir);
  });

  it('rejects a data directory it cannot create with a StorageError', async () => {
    const file = path.join(await tempDir(), 'not-a-dir');
    await writeFile(file, 'x');
    await expect(openWorkerStorage({ backend: 'duckdb', dataDir: path.join(file, 'data') })).rejects.toBeInstanceOf(StorageError);
  });

  describe('when the worker dies', () => {
    const crashEntry = new URL('./testing/crash-entry.js', import.meta.url);
    const [doomedByThrow, doomedByExit] = [traceIdHex(666), traceIdHex(667)];

    async function openCrashable(dataDir: string, fatal: StorageError[]): Promise<Storage> {
      const options: CrashEntryOptions = {
        duckdb: { dataDir, memoryLimit: '256MB', threads: 1 },
        throwOnTrace: doomedByThrow,
        exitOnTrace: { traceId: doomedByExit, code: 3 },
      };
      const store = await startWorkerStorage(crashEntry, options, { label: dataDir, onFatal: (e) => fatal.push(e) });
      stores.push(store);
      return store;
    }

    for (const [how, doomed, message] of [
      ['with an uncaught exception', doomedByThrow, /storage worker .* crashed: boom in the storage worker/],
      ['by ending its thread', doomedByExit, /storage worker .* exited unexpectedly \(exit code 3\)/],
    ] as const) {
      it(`${how}: rejects pending and later calls, reports it once, and what was acknowledged can be reopened`, async () => {
        const dataDir = await tempDir();
        const fatal: StorageError[] = [];
        const store = await openCrashable(dataDir, fatal);
        const { seq } = await store.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]));

        const pending = [store.getTrace(doomed), store.getTraceCalls(traceIdHex(1)), store.getDerivedWatermark()];
        for (const call of await Promise.allSettled(pending)) {
          expect(call.status).toBe('rejected');
          expect((call as PromiseRejectedResult).reason).toBeInstanceOf(StorageError);
          expect(((call as PromiseRejectedResult).reason as StorageError).message).toMatch(message);
        }
        await expect(store.appendSpans(spanBatch([{ traceId: traceIdHex(2), spanId: spanIdHex(1) }]))).rejects.toThrow(message);
        await expect(store.getTrace(traceIdHex(1))).rejects.toBeInstanceOf(StorageError);
        expect(fatal.map((e) => e.message)).toHaveLength(1);
        expect(fatal[0]!.message).toMatch(message);
        await store.close();
        await store.close();

        const reopened = await open(dataDir);
        const trace = await reopened.getTrace(traceIdHex(1));
        expect(trace.spans.map((s) => [s.spanId, s.seq])).toEqual([[spanIdHex(1), seq]]);
        expect((await reopened.appendSpans(spanBatch([{ traceId: traceIdHex(2), spanId: spanIdHex(1) }]))).seq > seq).toBe(true);
      });
    }

    it('closes without reporting a crash', async () => {
      const fatal: StorageError[] = [];
      const store = await openCrashable(await tempDir(), fatal);
      await store.appendSpans(spanBatch([{ traceId: traceIdHex(1), spanId: spanIdHex(1) }]));
      await store.close();
      await expect(store.getTrace(traceIdHex(1))).rejects.toThrow(/closed/);
      expect(fatal).toEqual([]);
    });
  });

  it('lets a process end while the store is idle, and keeps it alive while a call is pending', async () => {
    const dataDir = await tempDir();
    const proxyModule = new URL('./worker-storage.ts', import.meta.url).href;
    // No close(): the script's last await is an append, then nothing holds the event loop.
    const script = `
      import { openWorkerStorage } from ${JSON.stringify(proxyModule)};
      const store = await openWorkerStorage({ backend: 'duckdb', dataDir: ${JSON.stringify(dataDir)}, threads: 1 });
      const batch = { length: 0, resources: [], scopes: [], resourceIndex: new Uint32Array(0), scopeIndex: new Uint32Array(0),
        traceIds: new Uint8Array(0), spanIds: new Uint8Array(0), parentSpanIds: new Uint8Array(0), names: [], kinds: new Uint8Array(0),
        startTimeUnixNano: new BigInt64Array(0), endTimeUnixNano: new BigInt64Array(0), statusCodes: new Uint8Array(0),
        statusMessages: [], semantics: [], payloads: [] };
      const { seq } = await store.appendSpans(batch);
      console.log('appended ' + seq);
    `;
    const scriptFile = path.join(await tempDir(), 'idle-store.mjs');
    await writeFile(scriptFile, script);
    const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', scriptFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(output).toContain('appended 1');
    expect(code).toBe(0);
  });
});
