import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import { ClickHouseConnection, databaseFromUrl, ensureDatabase, parseVersion } from './connection.js';
import { CLICKHOUSE_MISSING, clickHouseAvailable, startClickHouse } from './testing/server.js';
import type { ClickHouseTestServer } from './testing/server.js';
import { ValuesWriter } from './values-writer.js';

describe('ClickHouse URLs and versions', () => {
  it('takes the database from the path, then ?database=, else the default', () => {
    expect(databaseFromUrl('http://127.0.0.1:8123', 'tributary')).toBe('tributary');
    expect(databaseFromUrl('http://127.0.0.1:8123/', 'tributary')).toBe('tributary');
    expect(databaseFromUrl('http://u:p@ch:8123/traces', 'tributary')).toBe('traces');
    expect(databaseFromUrl('https://ch:8443/?database=prod', 'tributary')).toBe('prod');
  });

  it('parses server versions old and new', () => {
    expect(parseVersion('18.16.1')).toMatchObject({ major: 18, minor: 16 });
    expect(parseVersion('24.8.4.13')).toMatchObject({ major: 24, minor: 8 });
    expect(() => parseVersion('unknown')).toThrow(StorageError);
  });

  it('refuses a database name that is not a plain identifier, and a non-HTTP URL', () => {
    expect(() => new ClickHouseConnection({ url: 'http://127.0.0.1:1', database: 'a;b' })).toThrow(StorageError);
    expect(() => new ClickHouseConnection({ url: 'tcp://127.0.0.1:9000', database: 'a' })).toThrow(/http/);
  });
});

describe.skipIf(!clickHouseAvailable())(`ClickHouseConnection on a server (skipped when ${CLICKHOUSE_MISSING})`, () => {
  let server: ClickHouseTestServer;
  beforeAll(async () => {
    server = await startClickHouse();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('creates the database once, and inserts VALUES bodies with raw bytes', async () => {
    await ensureDatabase(server.url, 'conn_test');
    await ensureDatabase(server.url, 'conn_test');
    const conn = new ClickHouseConnection({ url: server.url, database: 'conn_test' });
    await conn.command('CREATE TABLE t (id FixedString(4), b String, n UInt64) ENGINE = Memory');
    const rows = new ValuesWriter(8);
    rows.openRow().bytes(new Uint8Array([0x27, 0x5c, 0x00, 0xff])).text(',').bytes(new Uint8Array([0x0a, 0x09, 0x27])).text(',18446744073709551615').closeRow();
    await conn.insertValues('t', ['id', 'b', 'n'], rows);
    await conn.insertValues('t', ['id', 'b', 'n'], new ValuesWriter());
    expect(await conn.query('SELECT hex(id) AS id, hex(b) AS b, n FROM t')).toEqual([{ id: '275C00FF', b: '0A0927', n: '18446744073709551615' }]);
    expect((await conn.serverVersion()).major).toBeGreaterThanOrEqual(18);
    await conn.close();
  });

  it('rejects with a StorageError that carries the statement, and after close', async () => {
    const conn = new ClickHouseConnection({ url: server.url, database: 'default' });
    const failing = conn.query('SELECT no_such_column FROM system.one');
    await expect(failing).rejects.toBeInstanceOf(StorageError);
    await expect(failing).rejects.toMatchObject({ statement: 'SELECT no_such_column FROM system.one' });
    await conn.close();
    await expect(conn.query('SELECT 1')).rejects.toThrow(/closed/);
  });
});
