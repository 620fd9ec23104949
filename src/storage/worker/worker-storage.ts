/**
 * The store on its own thread. `openWorkerStorage` starts a `worker_threads` Worker that opens the
 * backend (DuckDB objects cannot be shared between threads, so the whole store lives there) and
 * returns a proxy that implements `Storage` by forwarding every call to it. The main thread then
 * only packs batches and posts messages; DuckDB's synchronous chunk building, appends and commits
 * run on the worker's thread. (`bench/worker-append.ts` measures both sides.)
 *
 * Contract, beyond `Storage`'s:
 * - A call that rejects in the worker rejects the proxy call with a `StorageError` carrying the
 *   worker's message, statement and stack.
 * - When the worker dies other than through `close()` (an uncaught exception, a native crash that
 *   ends the thread, `process.exit` in it), every pending and later call rejects with a
 *   `StorageError` saying so, and `onFatal` is called once. What was acknowledged is durable (the
 *   backend's contract), so the data directory can be opened again.
 * - `close()` closes the backend in the worker (settling every call made before it), then ends
 *   the thread. Idempotent.
 * - An idle store does not keep the process alive, as a store on the main thread would not; a
 *   pending call does.
 */
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { StorageError } from '../api/storage.js';
import type { Storage, StorageCapabilities, TraceCalls } from '../api/storage.js';
import type { DuckDbStorageOptions } from '../duckdb/duckdb-storage.js';
import { DATABASE_FILE } from '../duckdb/duckdb-storage.js';
import { FORWARDED_METHODS, READ_OPTIONS_ARGUMENT, encodeArguments, encodeTraceCalls, fromWireError } from './protocol.js';
import type { ForwardedMethod, FromWorker, Request, ToWorker, WorkerStart } from './protocol.js';

export interface WorkerStorageOptions extends DuckDbStorageOptions {
  readonly backend: 'duckdb';
  /** Called once when the worker dies other than by `close()`; the store is unusable from then on. */
  readonly onFatal?: (error: StorageError) => void;
}

/** Data files opened through a worker by this process (DuckDB's own file lock is per process). */
const claimedFiles = new Set<string>();

export async function openWorkerStorage(options: WorkerStorageOptions): Promise<Storage> {
  const { backend, onFatal, ...duckdb } = options;
  let file: string;
  try {
    await mkdir(duckdb.dataDir, { recursive: true });
    file = path.join(await realpath(duckdb.dataDir), DATABASE_FILE);
  } catch (cause: unknown) {
    throw new StorageError(`cannot open the ${backend} store in ${duckdb.dataDir}: ${messageOf(cause)}`, undefined, { cause });
  }
  if (claimedFiles.has(file)) throw new StorageError(`${file} is already open in this process`);
  claimedFiles.add(file);
  return startWorkerStorage(new URL('./storage-worker.js', import.meta.url), duckdb, {
    label: file,
    ...(onFatal ? { onFatal } : {}),
    onExit: () => claimedFiles.delete(file),
  });
}

export interface WorkerHooks {
  /** Names the store in errors. */
  readonly label: string;
  readonly onFatal?: (error: StorageError) => void;
  /** Called once the worker thread has ended, for whatever reason. */
  readonly onExit?: () => void;
}

/**
 * Starts `entry` (a worker entry that calls `serveStorage`, named by its `.js` URL) with `options`
 * as its backend options, and resolves with the proxy once the backend is open. When this module
 * runs from TypeScript sources, the `.ts` file next to `entry` is started through tsx instead.
 * Rejects with a `StorageError` when the backend cannot open or the worker cannot start.
 */
export async function startWorkerStorage(entry: URL, options: unknown, hooks: WorkerHooks): Promise<Storage> {
  const fromSources = /\.[cm]?ts$/.test(import.meta.url);
  const start: WorkerStart<unknown> = fromSources ? { tsEntry: entry.href.replace(/\.js$/, '.ts'), options } : { options };
  let worker: Worker;
  try {
    worker = new Worker(fromSources ? new URL('./ts-bootstrap.mjs', import.meta.url) : entry, { workerData: start });
  } catch (cause: unknown) {
    hooks.onExit?.();
    throw new StorageError(`cannot start the storage worker for ${hooks.label}: ${messageOf(cause)}`, undefined, { cause });
  }
  const client = new WorkerClient(worker, hooks);
  let capabilities: StorageCapabilities;
  try {
    capabilities = await client.opened;
  } catch (error: unknown) {
    // The thread is ending: wait, so that the caller may open the same store again at once.
    await client.exited;
    throw error;
  }
  return proxyStorage(client, capabilities);
}

function proxyStorage(client: WorkerClient, capabilities: StorageCapabilities): Storage {
  const forwarders: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of FORWARDED_METHODS) forwarders[method] = (...args) => client.call(method, args);
  // FORWARDED_METHODS is checked against `Storage` (protocol.ts), so this holds every method.
  const methods = forwarders as unknown as Pick<Storage, ForwardedMethod>;
  return Object.freeze({ ...methods, capabilities, close: () => client.close() });
}

interface Outgoing {
  readonly request: Request;
  readonly transfer: ArrayBuffer[];
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: StorageError): void;
}

/** Request ids, pending calls and the worker's life: starting, open, closing, ended. */
class WorkerClient {
  readonly opened: Promise<StorageCapabilities>;
  private readonly pending = new Map<number, Pending>();
  private readonly outbox: Outgoing[] = [];
  private nextId = 1;
  private ready = false;
  private openPending: Pending | undefined;
  private fatal: StorageError | undefined;
  private closing: Promise<void> | undefined;
  /** Settles once the `replaceTraceCalls` entries being packed are sent (or failed to pack). */
  private packing: Promise<void> = Promise.resolve();
  private exitExpected = false;
  /** Resolves once the thread has ended. */
  readonly exited: Promise<void>;

  constructor(
    private readonly worker: Worker,
    private readonly hooks: WorkerHooks,
  ) {
    this.opened = new Promise<StorageCapabilities>((resolve, reject) => {
      this.openPending = { resolve: (value) => resolve(value as StorageCapabilities), reject };
    });
    this.exited = new Promise<void>((resolve) => {
      worker.once('exit', (code: number) => {
        this.die(`exited unexpectedly (exit code ${code})`);
        this.hooks.onExit?.();
        resolve();
      });
    });
    worker.on('message', (message: FromWorker) => this.receive(message));
    worker.on('error', (error: Error) => this.die(`crashed: ${error.message}`, error));
    worker.on('messageerror', (error: Error) => this.die(`sent a message that could not be read: ${error.message}`, error));
  }

  call(method: ForwardedMethod, args: readonly unknown[]): Promise<unknown> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closing) return Promise.reject(this.closedError());
    if (method === 'replaceTraceCalls') return this.replaceTraceCalls(args[0] as readonly TraceCalls[]);
    const optionsAt = READ_OPTIONS_ARGUMENT[method];
    const signal = optionsAt === undefined ? undefined : signalOf(args[optionsAt]);
    if (signal?.aborted) return Promise.reject(new StorageError(`${method}: read cancelled before it was sent`, undefined, { cause: signal.reason }));
    let request: Request;
    let transfer: ArrayBuffer[];
    try {
      // The signal stays here (it cannot be cloned); the worker makes its own (`cancel`).
      const sent = optionsAt !== undefined && optionsAt < args.length ? args.map((arg, i) => (i === optionsAt ? undefined : arg)) : args;
      const encoded = encodeArguments(method, sent);
      request = { type: 'call', id: this.nextId++, method, args: encoded.args, ...(signal ? { cancellable: true as const } : {}) };
      transfer = encoded.transfer;
    } catch (cause: unknown) {
      return Promise.reject(new StorageError(`${method}: ${messageOf(cause)}`, undefined, { cause }));
    }
    if (signal === undefined) return this.send(request, transfer);
    const id = request.id;
    const cancel = () => {
      if (this.pending.has(id)) this.enqueue({ request: { type: 'cancel', id, reason: messageOf(signal.reason) }, transfer: [] });
    };
    signal.addEventListener('abort', cancel, { once: true });
    return this.send(request, transfer).finally(() => signal.removeEventListener('abort', cancel));
  }

  /**
   * Packs `entries` in steps (`encodeTraceCalls`), so that thousands of calls do not hold this
   * thread, which answers OTLP requests, for tens of milliseconds; then sends them. One write is
   * packed at a time, so writes reach the worker in call order.
   */
  private replaceTraceCalls(entries: readonly TraceCalls[]): Promise<unknown> {
    const encoded = this.packing.then(() => encodeTraceCalls(entries));
    this.packing = encoded.then(
      () => undefined,
      () => undefined,
    );
    return encoded.then(
      ({ args, transfer }) => {
        // Made before any `close()`, which waits for the packing: it is still sent.
        if (this.fatal) throw this.fatal;
        return this.send({ type: 'call', id: this.nextId++, method: 'replaceTraceCalls', args }, transfer);
      },
      (cause: unknown) => {
        throw new StorageError(`replaceTraceCalls: ${messageOf(cause)}`, undefined, { cause });
      },
    );
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    // Calls made before close() are sent first, the ones still being packed too.
    await this.packing;
    // After a crash there is nothing left to flush; the crash was reported to every caller.
    if (this.fatal) return this.exited;
    try {
      await this.send({ type: 'close', id: this.nextId++ }, []);
    } finally {
      this.exitExpected = true;
      await this.worker.terminate();
      await this.exited;
    }
  }

  /** Queues `request` for the message this turn of the event loop ends with (see `ToWorker`). */
  private send(request: Request, transfer: ArrayBuffer[]): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.enqueue({ request, transfer });
    });
  }

  private enqueue(outgoing: Outgoing): void {
    if (this.outbox.length === 0) setImmediate(() => this.flush());
    this.outbox.push(outgoing);
  }

  private flush(): void {
    const queued = this.outbox.splice(0);
    // After a crash every queued request was already rejected.
    if (this.fatal) return;
    try {
      this.post(queued);
    } catch {
      // A request that cannot be cloned fails alone; the others still go.
      for (const one of queued) {
        try {
          this.post([one]);
        } catch (cause: unknown) {
          if (one.request.type === 'cancel') continue; // the call itself still gets its answer
          const what = one.request.type === 'call' ? one.request.method : 'close';
          this.settled(one.request.id)?.reject(new StorageError(`cannot send ${what} to the storage worker: ${messageOf(cause)}`, undefined, { cause }));
        }
      }
    }
  }

  private post(queued: readonly Outgoing[]): void {
    const message: ToWorker = { requests: queued.map((q) => q.request) };
    this.worker.postMessage(message, queued.flatMap((q) => q.transfer));
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.openPending?.resolve(message.capabilities);
        this.openPending = undefined;
        if (this.pending.size === 0) this.worker.unref();
        return;
      case 'open-failed':
        this.openPending?.reject(fromWireError(message.error));
        this.openPending = undefined;
        this.exitExpected = true;
        void this.worker.terminate();
        return;
      case 'result': {
        const call = this.settled(message.id);
        if (!call) return;
        if (message.ok) call.resolve(message.value);
        else call.reject(fromWireError(message.error));
        return;
      }
    }
  }

  /** Forgets call `id` and returns it; lets the process exit when nothing is pending. */
  private settled(id: number): Pending | undefined {
    const call = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0 && this.ready) this.worker.unref();
    return call;
  }

  /**
   * The worker ended or broke without being asked to: rejects everything pending and everything
   * later, ends the thread if it still runs, and reports the crash of an open store once.
   */
  private die(what: string, cause?: Error): void {
    if (this.fatal || this.exitExpected) return;
    const error = new StorageError(`the storage worker for ${this.hooks.label} ${what}`, undefined, cause ? { cause } : undefined);
    this.fatal = error;
    this.openPending?.reject(error);
    this.openPending = undefined;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
    void this.worker.terminate();
    if (this.ready) this.hooks.onFatal?.(error);
  }

  private closedError(): StorageError {
    return new StorageError(`the store ${this.hooks.label} is closed`);
  }
}

/** The `signal` of a `ReadOptions` argument, if the caller gave one. */
function signalOf(options: unknown): AbortSignal | undefined {
  if (typeof options !== 'object' || options === null) return undefined;
  const signal: unknown = (options as { signal?: unknown }).signal;
  return signal instanceof AbortSignal ? signal : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
