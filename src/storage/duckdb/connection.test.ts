import { DuckDBDataChunk, DuckDBInstance, INTEGER, VARCHAR } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import { SerialConnection } from './connection.js';

let instance: DuckDBInstance;
let writer: SerialConnection;
let reader: SerialConnection;

beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
  writer = new SerialConnection(await instance.connect());
  reader = new SerialConnection(await instance.connect());
  await writer.run('CREATE TABLE t (n INTEGER NOT NULL, s VARCHAR NOT NULL)');
});

afterEach(() => {
  writer.close();
  reader.close();
  instance.closeSync();
});

function chunkOf(rows: Array<[number, string]>): DuckDBDataChunk {
  const chunk = DuckDBDataChunk.create([INTEGER, VARCHAR], rows.length);
  chunk.setColumnValues(0, rows.map(([n]) => n));
  chunk.setColumnValues(1, rows.map(([, s]) => s));
  return chunk;
}

async function count(): Promise<number> {
  return Number((await reader.query('SELECT count(*) FROM t')).getRows()[0]![0]);
}

describe('SerialConnection', () => {
  it('commits appended chunks with the transaction, and rolls them back when the body throws', async () => {
    await writer.transaction(() => writer.appendChunks('t', [chunkOf([[1, 'a'], [2, 'b']])]));
    expect(await count()).toBe(2);
    await expect(
      writer.transaction(async () => {
        await writer.appendChunks('t', [chunkOf([[3, 'c']])]);
        await writer.execute('INSERT INTO t VALUES ($1, $2)', [4, 'd']);
        throw new Error('body failed');
      }),
    ).rejects.toThrow('body failed');
    expect(await count()).toBe(2);
  });

  it('wraps DuckDB errors in a StorageError that carries the statement', async () => {
    const sql = 'SELECT * FROM no_such_table WHERE n = $1';
    const error: unknown = await reader.query(sql, [1]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).statement).toBe(sql);
    expect((error as StorageError).cause).toBeInstanceOf(Error);
  });

  it('re-runs a cached statement against current data (no plan frozen on an empty table)', async () => {
    const sql = 'SELECT s FROM t WHERE n = $1';
    expect((await reader.query(sql, [7])).getRows()).toEqual([]);
    await writer.execute('INSERT INTO t VALUES ($1, $2)', [7, 'seven']);
    expect((await reader.query(sql, [7])).getRows()).toEqual([['seven']]);
  });

  it('runs the uses of one connection one after another', async () => {
    const log: string[] = [];
    const slow = writer.use(async () => {
      log.push('slow start');
      await new Promise((r) => setTimeout(r, 20));
      log.push('slow end');
    });
    const fast = writer.use(async () => {
      log.push('fast');
    });
    await Promise.all([slow, fast]);
    expect(log).toEqual(['slow start', 'slow end', 'fast']);
  });
});
