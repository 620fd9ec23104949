/**
 * The messages between a `Storage` proxy on the main thread and the store in its worker thread.
 *
 * Every `Storage` method except `close` is forwarded as `{ type: 'call', method, args }` and
 * answered by one `result` with the same id; requests travel in order, several to a message.
 * Arguments and results cross by structured clone (which keeps bigints, Maps, Sets and byte
 * arrays), except:
 * - `appendSpans`'s batch, packed into one transferred buffer (`batch-transfer.ts`);
 * - `replaceTraceCalls`'s entries, packed into columns with transferred buffers
 *   (`duckdb/call-batch.ts`) in steps, so a call made after one may reach the worker before it
 *   (writes of calls reach it in call order);
 * - `ReadOptions` signals, which stay on the main thread (`READ_OPTIONS_ARGUMENT`: an unanswered
 *   `cancel` request aborts the worker's copy).
 *
 * The method list is checked against the `Storage` interface, so a method added to the interface
 * fails to compile here until it is forwarded.
 */
import type { Storage, StorageCapabilities, TraceCalls } from '../api/storage.js';
import type { DuckDbStore } from '../duckdb/duckdb-storage.js';
import { callBatchBuffers, packTraceCallsStepwise, type CallBatch } from '../duckdb/call-batch.js';
import { StorageError } from '../api/storage.js';
import type { SpanBatch } from '../../model/span-batch.js';
import { packSpanBatch, unpackSpanBatch } from './batch-transfer.js';
import type { PackedSpanBatch } from './batch-transfer.js';

/** The methods of `Storage` that run in the worker: every one of them but `close`. */
export type ForwardedMethod = Exclude<
  { [K in keyof Storage]: Storage[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof Storage],
  'close'
>;

// A record, not an array: the compiler rejects it when a method of `Storage` is missing or extra.
const FORWARDED: { readonly [K in ForwardedMethod]: true } = {
  appendSpans: true,
  deleteBefore: true,
  replaceTraceCalls: true,
  derivedTraces: true,
  tracesNeedingDerivation: true,
  getDerivedWatermark: true,
  setDerivedWatermark: true,
  getTrace: true,
  getTraces: true,
  getTraceCalls: true,
  backtraceGroups: true,
  backtraceDetails: true,
  flowGroups: true,
  serviceSummaries: true,
  serviceNeighbourhood: true,
  failures: true,
  findTraces: true,
  serviceKinds: true,
  listResources: true,
  memoryUsage: true,
};

export const FORWARDED_METHODS = Object.keys(FORWARDED) as readonly ForwardedMethod[];

export function isForwardedMethod(name: unknown): name is ForwardedMethod {
  return typeof name === 'string' && Object.hasOwn(FORWARDED, name);
}

/**
 * Where each cancellable method takes its `ReadOptions` (storage/api/read-options.ts). An
 * `AbortSignal` cannot cross threads: the proxy sends the call without it, marked `cancellable`,
 * and a `cancel` request when the signal aborts; the worker gives the backend a signal of its own
 * that the `cancel` aborts.
 */
export const READ_OPTIONS_ARGUMENT: { readonly [K in ForwardedMethod]?: number } = {
  getTrace: 1,
  getTraces: 1,
  backtraceGroups: 1,
  backtraceDetails: 3,
  flowGroups: 1,
  serviceSummaries: 2,
  serviceNeighbourhood: 1,
  failures: 2,
  findTraces: 1,
  serviceKinds: 1,
  listResources: 0,
};

/** What the worker is started with (`workerData`). */
export interface WorkerStart<O> {
  /** The TypeScript entry to load after registering tsx; absent when the entry is JavaScript. */
  readonly tsEntry?: string;
  /** The backend's open options. */
  readonly options: O;
}

/** One request; answered by one `result` with its id. */
export type Request =
  | { readonly type: 'call'; readonly id: number; readonly method: ForwardedMethod; readonly args: readonly unknown[]; readonly cancellable?: true }
  | { readonly type: 'close'; readonly id: number }
  /** Aborts the signal of the cancellable call `id` with `reason`; not answered (the call's own result is). */
  | { readonly type: 'cancel'; readonly id: number; readonly reason: string };

/**
 * The requests the proxy collected during one turn of the main thread's event loop, in call
 * order. Callers woken by one burst of acknowledgements resubmit together, and arriving together
 * their appends can share one group commit in the worker.
 */
export interface ToWorker {
  readonly requests: readonly Request[];
}

export type FromWorker =
  | { readonly type: 'ready'; readonly capabilities: StorageCapabilities }
  | { readonly type: 'open-failed'; readonly error: WireError }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: WireError };

/** An error as it crosses threads: what `StorageError` needs, and the worker's stack for debugging. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly statement?: string;
  readonly stack?: string;
  readonly cause?: WireError;
}

/** Causes deeper than this are dropped: a cyclic `cause` chain must not hang the worker. */
const MAX_CAUSE_DEPTH = 8;

export function toWireError(error: unknown, depth = 0): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const cause = error.cause !== undefined && depth < MAX_CAUSE_DEPTH ? toWireError(error.cause, depth + 1) : undefined;
  return {
    name: error.name,
    message: error.message,
    ...(error instanceof StorageError && error.statement !== undefined ? { statement: error.statement } : {}),
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
    ...(cause ? { cause } : {}),
  };
}

/**
 * The `StorageError` a proxy call rejects with. Its stack is the worker's (where the failure
 * happened); an error that was not a `StorageError` in the worker becomes its `cause`.
 */
export function fromWireError(wire: WireError): StorageError {
  const cause = wire.name === 'StorageError' ? wire.cause : wire;
  const error = new StorageError(wire.message, wire.statement, cause ? { cause: plainError(cause) } : undefined);
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

function plainError(wire: WireError): Error {
  const error = new Error(wire.message, wire.cause ? { cause: plainError(wire.cause) } : undefined);
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

/** A call's arguments as posted, and the buffers to transfer with them. */
export interface EncodedArguments {
  readonly args: readonly unknown[];
  readonly transfer: ArrayBuffer[];
}

/** A call's arguments as posted; `replaceTraceCalls`'s go through `encodeTraceCalls` instead. */
export function encodeArguments(method: Exclude<ForwardedMethod, 'replaceTraceCalls'>, args: readonly unknown[]): EncodedArguments {
  if (method === 'appendSpans') {
    const packed = packSpanBatch(args[0] as SpanBatch);
    return { args: [packed], transfer: [packed.buffer] };
  }
  return { args, transfer: [] };
}

/**
 * `replaceTraceCalls`'s entries as posted: packed (and checked) here, where the calls were derived,
 * so the worker reads columns. Packed in steps (`packTraceCallsStepwise`), with the event loop let
 * through between them; rejects as `packTraceCalls` throws.
 */
export async function encodeTraceCalls(entries: readonly TraceCalls[]): Promise<EncodedArguments> {
  const steps = packTraceCallsStepwise(entries);
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done === true) return { args: [step.value], transfer: callBatchBuffers(step.value) };
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A call as the worker makes it on `storage`. `replaceTraceCalls` arrives as a `CallBatch`, which
 * the worker hands to the store's `replaceCallBatch` (`DuckDbStore`); a backend without one
 * rejects the write with a `StorageError` that says so.
 */
export function decodeCall(storage: Storage, method: ForwardedMethod, args: readonly unknown[]): { readonly fn: (...args: unknown[]) => Promise<unknown>; readonly args: unknown[] } {
  if (method === 'appendSpans') return { fn: storage.appendSpans.bind(storage) as (...args: unknown[]) => Promise<unknown>, args: [unpackSpanBatch(args[0] as PackedSpanBatch)] };
  if (method === 'replaceTraceCalls') {
    const batchWriter = storage as Partial<Pick<DuckDbStore, 'replaceCallBatch'>>;
    if (typeof batchWriter.replaceCallBatch !== 'function') throw new StorageError('this store cannot take packed call batches (replaceCallBatch)');
    return { fn: batchWriter.replaceCallBatch.bind(storage) as (...args: unknown[]) => Promise<unknown>, args: [args[0] as CallBatch] };
  }
  return { fn: (storage[method] as (...args: unknown[]) => Promise<unknown>).bind(storage), args: [...args] };
}
