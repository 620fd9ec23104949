import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import { SerialConnection } from './connection.js';
import { useInterruptible } from './interruptible.js';

/** Runs for hours: if the interrupt does not stop it, the test times out. */
const ENDLESS = 'SELECT count(*) FROM range(1000000000000) t(i) WHERE i % 7 = 3';

let instance: DuckDBInstance;
let conn: SerialConnection;

beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  conn = new SerialConnection(await instance.connect());
});

afterEach(() => {
  conn.close();
  instance.closeSync();
});

/** Resolves once `check()` holds. */
async function started(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('useInterruptible', () => {
  it('stops a running statement when the signal aborts, and the connection answers the next read', async () => {
    const controller = new AbortController();
    let running = false;
    const read = useInterruptible(conn, controller.signal, async (c) => {
      running = true;
      return c.query(ENDLESS);
    });
    await started(() => running);
    controller.abort(new Error('query timed out after 10 ms'));
    const error = await read.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toBe('read cancelled: query timed out after 10 ms');
    expect((error as StorageError).statement).toBe(ENDLESS);
    expect(String(((error as StorageError).cause as Error).message)).toBe('query timed out after 10 ms');
    // The same connection is free again.
    const next = await useInterruptible(conn, new AbortController().signal, (c) => c.query('SELECT 42'));
    expect(next.getRows()).toEqual([[42]]);
  });

  it('never runs a read aborted while it waited for the connection, and leaves the read before it alone', async () => {
    const first = new AbortController();
    let firstRunning = false;
    const blocking = useInterruptible(conn, first.signal, async (c) => {
      firstRunning = true;
      return c.query(ENDLESS);
    });
    const second = new AbortController();
    let secondRan = false;
    const queued = useInterruptible(conn, second.signal, async (c) => {
      secondRan = true;
      return c.query('SELECT 1');
    });
    await started(() => firstRunning);
    second.abort(new Error('client gone'));
    // Aborting the queued read must not interrupt the running one: it is still running.
    const stillRunning = await Promise.race([blocking.then(() => 'finished', () => 'failed'), new Promise((r) => setTimeout(() => r('running'), 200))]);
    expect(stillRunning).toBe('running');
    first.abort(new Error('done waiting'));
    await expect(blocking).rejects.toThrow('read cancelled: done waiting');
    await expect(queued).rejects.toThrow('read cancelled: client gone');
    expect(secondRan).toBe(false);
  });

  it('leaves a read that finished before the abort as it was, and later reads unaffected', async () => {
    const controller = new AbortController();
    const rows = (await useInterruptible(conn, controller.signal, (c) => c.query('SELECT 7'))).getRows();
    controller.abort(new Error('too late'));
    expect(rows).toEqual([[7]]);
    expect((await conn.use((c) => c.query('SELECT 8'))).getRows()).toEqual([[8]]);
  });
});
