/**
 * A DuckDB connection used by one caller at a time. A connection runs one statement at a time and
 * holds one transaction, so everything that touches it is serialized here. Every failure becomes a
 * `StorageError` that carries the statement.
 *
 * Statements with parameters are prepared once per connection and reused with new bindings.
 * Statements without parameters are not cached, and cached statements must not compare columns
 * with literals: DuckDB plans a prepared statement once, and its plan-time statistics can fold a
 * literal filter into "no rows" — measured on 1.5: `SELECT value FROM meta WHERE key = 'x'`,
 * prepared while the table was empty, still returned nothing after a row was committed. A `$n`
 * parameter is not folded, so bind every value that filters.
 */
import { DuckDBDataChunk } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection, DuckDBMaterializedResult, DuckDBPreparedStatement, DuckDBResultReader, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { StorageError } from '../api/storage.js';

/** DuckDB's vector size: the most rows one data chunk holds. */
export const CHUNK_ROWS = 2048;

/** Whole columns (`columns[c][row]`, all of one length) as appender chunks of at most `CHUNK_ROWS` rows. */
export function chunksOfColumns(types: readonly DuckDBType[], columns: readonly (readonly DuckDBValue[])[]): DuckDBDataChunk[] {
  const rows = columns[0]?.length ?? 0;
  const chunks: DuckDBDataChunk[] = [];
  for (let from = 0; from < rows; from += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, rows - from);
    const chunk = DuckDBDataChunk.create([...types], count);
    columns.forEach((values, column) => chunk.setColumnValues(column, count === values.length ? values : values.slice(from, from + count)));
    chunks.push(chunk);
  }
  return chunks;
}

export class SerialConnection {
  private tail: Promise<unknown> = Promise.resolve();
  private pendingCount = 0;
  private readonly prepared = new Map<string, DuckDBPreparedStatement>();

  constructor(readonly raw: DuckDBConnection) {}

  /** How many `use` calls are queued or running: lets a pool pick the least busy connection. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Runs `fn` when every earlier `use` on this connection has settled. */
  use<T>(fn: (conn: SerialConnection) => Promise<T>): Promise<T> {
    this.pendingCount++;
    const result = this.tail.then(() => fn(this));
    this.tail = result.then(
      () => this.pendingCount--,
      () => this.pendingCount--,
    );
    return result;
  }

  /** Runs a prepared statement and reads every row. Call only inside `use`. */
  async query(sql: string, values: readonly DuckDBValue[] = [], types?: readonly DuckDBType[]): Promise<DuckDBResultReader> {
    try {
      if (values.length === 0) return await this.raw.runAndReadAll(sql);
      const statement = await this.statement(sql);
      statement.bind([...values], types ? [...types] : undefined);
      return await statement.runAndReadAll();
    } catch (cause: unknown) {
      throw asStorageError(cause, sql);
    }
  }

  /** Runs a prepared statement for its effect; resolves with the number of rows it changed. */
  async execute(sql: string, values: readonly DuckDBValue[] = [], types?: readonly DuckDBType[]): Promise<number> {
    try {
      if (values.length === 0) return (await this.raw.run(sql)).rowsChanged;
      const statement = await this.statement(sql);
      statement.bind([...values], types ? [...types] : undefined);
      const result: DuckDBMaterializedResult = await statement.run();
      return result.rowsChanged;
    } catch (cause: unknown) {
      throw asStorageError(cause, sql);
    }
  }

  /** Runs SQL text without preparing it (transaction control, DDL, several statements). */
  async run(sql: string): Promise<void> {
    try {
      await this.raw.run(sql);
    } catch (cause: unknown) {
      throw asStorageError(cause, sql);
    }
  }

  /**
   * Appends data chunks (columns in table order) to `table`, inside the current transaction.
   * `temporary`: the table is one of this connection's temporary tables.
   */
  async appendChunks(table: string, chunks: readonly DuckDBDataChunk[], options: { temporary?: boolean } = {}): Promise<void> {
    if (chunks.length === 0) return;
    const statement = `APPEND ${table}`;
    let appender: DuckDBAppender;
    try {
      appender = options.temporary ? await this.raw.createAppender(table, 'main', 'temp') : await this.raw.createAppender(table);
    } catch (cause: unknown) {
      throw asStorageError(cause, statement);
    }
    let closing = false;
    try {
      for (const chunk of chunks) appender.appendDataChunk(chunk);
      closing = true;
      appender.closeSync(); // flushes into the transaction
    } catch (cause: unknown) {
      if (!closing) {
        try {
          appender.closeSync();
        } catch {
          // The append error above is the one worth reporting; the transaction rolls back anyway.
        }
      }
      throw asStorageError(cause, statement);
    }
  }

  /**
   * Runs `body` in a transaction: commits when it resolves, rolls back when it throws. The commit
   * is the durability point: DuckDB writes the transaction to its WAL and fsyncs it in COMMIT.
   */
  async transaction<T>(body: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    let result: T;
    try {
      result = await body();
    } catch (error: unknown) {
      await this.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await this.run('COMMIT').catch(async (error: unknown) => {
      // A failed COMMIT has already rolled back in DuckDB; this only clears a still-open transaction.
      await this.run('ROLLBACK').catch(() => undefined);
      throw error;
    });
    return result;
  }

  close(): void {
    for (const statement of this.prepared.values()) statement.destroySync();
    this.prepared.clear();
    this.raw.closeSync();
  }

  private async statement(sql: string): Promise<DuckDBPreparedStatement> {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = await this.raw.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }
}

/** Wraps anything thrown by DuckDB in a `StorageError` naming the statement; keeps StorageErrors as they are. */
export function asStorageError(cause: unknown, statement: string | undefined, context = 'DuckDB'): StorageError {
  if (cause instanceof StorageError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new StorageError(`${context}: ${message}`, statement, { cause });
}
