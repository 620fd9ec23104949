/**
 * Cancelling one read on a DuckDB connection (`ReadOptions.signal`, storage/api/read-options.ts).
 *
 * `DuckDBConnection.interrupt()` stops whatever the connection is executing, so it may only be
 * called while this read owns the connection: the abort listener is attached once `fn` starts (in
 * `SerialConnection.use` order, after every earlier read settled) and removed when `fn` settles.
 * A read aborted while still queued never runs.
 */
import { StorageError } from '../api/storage.js';
import type { SerialConnection } from './connection.js';

const REPEAT_INTERRUPT_MS = 50;

export function useInterruptible<T>(conn: SerialConnection, signal: AbortSignal | undefined, fn: (conn: SerialConnection) => Promise<T>): Promise<T> {
  if (signal === undefined) return conn.use(fn);
  return conn.use(async (owned) => {
    if (signal.aborted) throw cancelled(signal);
    let repeat: NodeJS.Timeout | undefined;
    const interrupt = () => {
      owned.raw.interrupt();
      // DuckDB clears the flag when a statement starts, so an interrupt that lands between two
      // statements of this read (or before the first began executing) would be lost: repeat it
      // until the read settles.
      repeat = setInterval(() => owned.raw.interrupt(), REPEAT_INTERRUPT_MS);
    };
    signal.addEventListener('abort', interrupt, { once: true });
    try {
      return await fn(owned);
    } catch (error: unknown) {
      throw signal.aborted ? cancelled(signal, error) : error;
    } finally {
      signal.removeEventListener('abort', interrupt);
      clearInterval(repeat);
    }
  });
}

function cancelled(signal: AbortSignal, failure?: unknown): StorageError {
  const reason: unknown = signal.reason;
  const message = reason instanceof Error ? reason.message : String(reason);
  return new StorageError(`read cancelled: ${message}`, failure instanceof StorageError ? failure.statement : undefined, { cause: reason });
}
