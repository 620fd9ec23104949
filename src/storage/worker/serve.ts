/**
 * The worker side of the protocol: opens a store and answers the proxy's calls. Any backend can be
 * served; `storage-worker.ts` serves DuckDB.
 *
 * Calls run concurrently, as they would on the main thread (so concurrent appends still share a
 * group commit). `close` is answered after the store's close and after every call received before
 * it has posted its result; the proxy then terminates the thread.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Storage } from '../api/storage.js';
import { READ_OPTIONS_ARGUMENT, decodeCall, isForwardedMethod, toWireError } from './protocol.js';
import type { FromWorker, Request, ToWorker } from './protocol.js';

export async function serveStorage(port: MessagePort, open: () => Promise<Storage>): Promise<void> {
  let storage: Storage;
  try {
    storage = await open();
  } catch (error: unknown) {
    post(port, { type: 'open-failed', error: toWireError(error) });
    return;
  }
  const answering = new Set<Promise<void>>();
  const cancellers = new Map<number, AbortController>();
  port.on('message', ({ requests }: ToWorker) => {
    for (const request of requests) {
      if (request.type === 'close') {
        void closeStore(port, storage, answering, request.id);
        continue;
      }
      if (request.type === 'cancel') {
        cancellers.get(request.id)?.abort(new Error(request.reason));
        continue;
      }
      let controller: AbortController | undefined;
      if (request.cancellable) {
        controller = new AbortController();
        cancellers.set(request.id, controller);
      }
      const answered = answer(port, storage, request, controller?.signal);
      answering.add(answered);
      void answered.finally(() => {
        answering.delete(answered);
        cancellers.delete(request.id);
      });
    }
  });
  post(port, { type: 'ready', capabilities: storage.capabilities });
}

/** Closes the store, lets every earlier call post its result, then answers `close` (the proxy then ends the thread). */
async function closeStore(port: MessagePort, storage: Storage, answering: ReadonlySet<Promise<void>>, id: number): Promise<void> {
  const closed = await storage.close().then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  await Promise.all(answering);
  post(port, closed ? { type: 'result', id, ok: false, error: toWireError(closed.error) } : { type: 'result', id, ok: true, value: undefined });
}

async function answer(port: MessagePort, storage: Storage, call: Extract<Request, { type: 'call' }>, signal: AbortSignal | undefined): Promise<void> {
  let value: unknown;
  try {
    if (!isForwardedMethod(call.method)) throw new Error(`the storage worker has no method ${String(call.method)}`);
    const { fn, args } = decodeCall(storage, call.method, call.args);
    const optionsAt = READ_OPTIONS_ARGUMENT[call.method];
    if (signal !== undefined && optionsAt !== undefined) {
      while (args.length < optionsAt) args.push(undefined);
      args[optionsAt] = { signal };
    }
    value = await fn(...args);
  } catch (error: unknown) {
    post(port, { type: 'result', id: call.id, ok: false, error: toWireError(error) });
    return;
  }
  try {
    post(port, { type: 'result', id: call.id, ok: true, value });
  } catch (error: unknown) {
    // The result could not be cloned (a backend bug): the caller still gets an answer.
    post(port, { type: 'result', id: call.id, ok: false, error: toWireError(error) });
  }
}

function post(port: MessagePort, message: FromWorker): void {
  port.postMessage(message);
}
