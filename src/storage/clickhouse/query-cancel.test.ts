import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import { openClickHouseStorage } from './clickhouse-storage.js';
import { ClickHouseConnection } from './connection.js';
import { CLICKHOUSE_MISSING, clickHouseAvailable, startClickHouse } from './testing/server.js';
import type { ClickHouseTestServer } from './testing/server.js';

/** Hours of work for the server: if the cancel does not reach it, it is still in `system.processes`. */
const ENDLESS = 'SELECT count() AS n FROM numbers(1000000000000) WHERE intHash64(number) % 7 = 3';

describe.skipIf(!clickHouseAvailable())(`ClickHouse query cancellation (skipped when ${CLICKHOUSE_MISSING})`, () => {
  let server: ClickHouseTestServer;
  let conn: ClickHouseConnection;
  beforeAll(async () => {
    server = await startClickHouse();
    conn = new ClickHouseConnection({ url: server.url, database: 'default' });
  });
  afterAll(async () => {
    await conn?.close();
    await server?.stop();
  });

  const running = async () => Number((await conn.query(`SELECT count() AS n FROM system.processes WHERE query LIKE '%intHash64(number) % 7 = 3%' AND query NOT LIKE '%system.processes%'`))[0]?.['n']);

  it('stops a running query on the server when the signal aborts', async () => {
    const controller = new AbortController();
    const query = conn.query(ENDLESS, { signal: controller.signal });
    const outcome = query.then(() => 'answered', (error: unknown) => error);
    await expect.poll(running, { timeout: 20_000 }).toBe(1);
    controller.abort(new Error('query timed out'));
    const error = await outcome;
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toBe('read cancelled: query timed out');
    expect((error as StorageError).statement).toBe(ENDLESS);
    // The server let go of it (KILL QUERY), and the connection answers the next query.
    await expect.poll(running, { timeout: 20_000 }).toBe(0);
    expect(await conn.query('SELECT 42 AS v')).toEqual([{ v: 42 }]);
  });

  it('passes the signal of every read of the store, analyses included, down to its queries', async () => {
    const storage = await openClickHouseStorage({ url: server.url, database: 'cancel_test', purgeMarginMs: 0 });
    try {
      const controller = new AbortController();
      controller.abort(new Error('gave up'));
      const { signal } = controller;
      const range = { fromUnixNano: 0n, toUnixNano: 1n };
      const filter = { ...range, service: { kind: 'service' as const, name: 'x' } };
      const reads: Array<[string, Promise<unknown>]> = [
        ['getTrace', storage.getTrace('0'.repeat(31) + '1', { signal })],
        ['getTraces', storage.getTraces(['0'.repeat(31) + '1'], { signal })],
        ['serviceSummaries', storage.serviceSummaries(range, undefined, { signal })],
        ['backtraceGroups', storage.backtraceGroups(filter, { signal })],
        ['findTraces', storage.findTraces({ ...range, limit: 10 }, { signal })],
        ['listResources', storage.listResources({ signal })],
      ];
      for (const [what, read] of reads) {
        const outcome = await read.then(() => 'answered', (error: unknown) => (error instanceof Error ? error.message : String(error)));
        expect(outcome, what).toBe('read cancelled: gave up');
      }
      // Without the signal, the same reads answer.
      expect(await storage.serviceSummaries(range)).toEqual([]);
    } finally {
      await storage.close();
    }
  });

  it('does not send a query whose signal was aborted before it started', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gave up'));
    await expect(conn.query(ENDLESS, { signal: controller.signal })).rejects.toThrow('read cancelled: gave up');
    expect(await running()).toBe(0);
  });
});
