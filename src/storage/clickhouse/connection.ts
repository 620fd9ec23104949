/**
 * The one door to ClickHouse: `@clickhouse/client` over HTTP, with the statement kept on every
 * failure (as a `StorageError`). Values reach SQL only through `sql-literal.ts`.
 *
 * Reads use `JSONEachRow`: 64-bit integers arrive as decimal strings (the server's default
 * `output_format_json_quote_64bit_integers=1`, also on 18.16) and binary columns must be selected
 * as `hex(…)`, because JSON output cannot carry arbitrary bytes. Inserts send a body we build:
 * RowBinary for spans (`insertRowBinary`), `VALUES` literals for the rest (`insertValues`). The
 * client's `insert()` refuses both formats, but `exec()` streams any body after a statement
 * given in the URL.
 *
 * 18.16 quirks handled here: `max_query_size` (256 KiB by default) limits every statement but an
 * INSERT's data, so it is raised per query for statements with long id lists; the client's default
 * request settings are all accepted by 18.16 (checked: none needed turning off).
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { StorageError } from '../api/storage.js';
import { identifier, stringLiteral } from './sql-literal.js';
import type { RowBinaryWriter } from './row-binary.js';
import type { ValuesWriter } from './values-writer.js';

/** What `ClickHouseAnalytics` needs: run a SELECT, get rows as JSON objects. */
export interface ClickHouseQueryRunner {
  query(sql: string): Promise<Record<string, unknown>[]>;
}

export interface ClickHouseConnectionOptions {
  /** HTTP(S) endpoint, e.g. `http://127.0.0.1:8123`; credentials may be in the URL. */
  readonly url: string;
  /** The default database of every statement; must exist (see `ensureDatabase`). */
  readonly database: string;
  readonly requestTimeoutMs?: number;
  /**
   * Set when the tables are Distributed over this cluster: inserts then wait until every shard
   * stored its rows (`insert_distributed_sync=1`), instead of resolving once the rows are queued
   * on this node for sending later, so an acknowledged write is durable on its shard and visible
   * to the next read.
   */
  readonly cluster?: string;
  /**
   * Set when the cluster has replicated shards: every read and insert then goes to the first
   * healthy replica of its shard in `remote_servers` order (`load_balancing = in_order`, and no
   * preference for a replica on this server), so all processes read where they all write and see
   * each other's acknowledged writes; replication is asynchronous, so another replica may lag.
   * Only when that replica is down do they move to the next one.
   */
  readonly replicated?: boolean;
}

/** Statements up to this size are accepted (`max_query_size`), INSERT data excluded. */
const MAX_QUERY_BYTES = 64 * 1024 * 1024;
/** Parsed statements up to this many elements are accepted (`max_ast_elements`). */
const MAX_AST_ELEMENTS = 10_000_000;

export class ClickHouseConnection implements ClickHouseQueryRunner {
  private readonly client: ClickHouseClient;
  private closed = false;

  constructor(readonly options: ClickHouseConnectionOptions) {
    identifier(options.database, 'database name');
    const endpoint = parseEndpoint(options.url);
    this.client = createClient({
      url: endpoint.url,
      ...(endpoint.username === undefined ? {} : { username: endpoint.username, password: endpoint.password }),
      database: options.database,
      request_timeout: options.requestTimeoutMs ?? 60_000,
      clickhouse_settings: {
        max_query_size: String(MAX_QUERY_BYTES),
        // A statement naming many trace ids (derivedTraces of every live trace at shutdown, a big
        // settle chunk) is one `IN (…)` list: 18.16 refuses past 50,000 AST elements (~8,300 ids).
        max_ast_elements: String(MAX_AST_ELEMENTS),
        max_expanded_ast_elements: String(MAX_AST_ELEMENTS),
        ...(options.cluster === undefined ? {} : { insert_distributed_sync: 1 }),
        ...(options.replicated === true ? { load_balancing: 'in_order', prefer_localhost_replica: 0 } : {}),
      },
      // Failures reach the caller as StorageErrors; the client's own error log would only repeat them.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  /**
   * Runs a SELECT; resolves with its rows as parsed JSON objects. When `signal` aborts, the
   * request is abandoned and the server told to stop the query (`KILL QUERY … ASYNC` by its
   * query id: the server does not notice a closed HTTP connection until it sends the result).
   */
  async query(sql: string, options: { readonly signal?: AbortSignal } = {}): Promise<Record<string, unknown>[]> {
    const { signal } = options;
    if (signal === undefined) {
      return this.run(sql, async () => {
        const result = await this.client.query({ query: sql, format: 'JSONEachRow' });
        return result.json<Record<string, unknown>>();
      });
    }
    const queryId = randomUUID();
    const kill = () => {
      this.client.command({ query: `KILL QUERY WHERE query_id = ${stringLiteral(queryId)} ASYNC` }).catch(() => undefined);
    };
    if (signal.aborted) throw cancelled(signal, sql);
    signal.addEventListener('abort', kill, { once: true });
    try {
      return await this.run(sql, async () => {
        const result = await this.client.query({ query: sql, format: 'JSONEachRow', query_id: queryId, abort_signal: signal });
        return result.json<Record<string, unknown>>();
      });
    } catch (error: unknown) {
      throw signal.aborted ? cancelled(signal, sql) : error;
    } finally {
      signal.removeEventListener('abort', kill);
    }
  }

  /** Runs a statement that returns nothing (DDL, ALTER, INSERT … SELECT). */
  async command(sql: string): Promise<void> {
    await this.run(sql, () => this.client.command({ query: sql }));
  }

  /**
   * `INSERT INTO table (columns) VALUES` with the writer's rows as the body (bytes: binary values
   * are raw inside quotes). Resolves when the server acknowledged the whole insert; no-op without rows.
   */
  async insertValues(table: string, columns: readonly string[], rows: ValuesWriter): Promise<void> {
    if (rows.rows === 0) return;
    const statement = `INSERT INTO ${table} (${columns.join(', ')}) VALUES`;
    await this.run(statement, async () => {
      const result = await this.client.exec({ query: statement, values: Readable.from(chunks(rows.finish())) });
      // The response is empty; draining it returns the socket to the pool.
      for await (const _ of result.stream) void _;
    });
  }

  /**
   * `INSERT INTO table (columns) FORMAT RowBinary` with the writer's rows as the body. No-op
   * without rows.
   */
  async insertRowBinary(table: string, columns: readonly string[], rows: RowBinaryWriter): Promise<void> {
    if (rows.rows === 0) return;
    const statement = `INSERT INTO ${table} (${columns.join(', ')}) FORMAT RowBinary`;
    await this.run(statement, async () => {
      const result = await this.client.exec({ query: statement, values: Readable.from(chunks(rows.finish())) });
      for await (const _ of result.stream) void _;
    });
  }

  /** The server's version, e.g. `18.16.1` or `24.8.4.13`. */
  async serverVersion(): Promise<ServerVersion> {
    const rows = await this.query('SELECT version() AS v');
    return parseVersion(String(rows[0]?.['v'] ?? ''));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  private async run<T>(sql: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StorageError('the ClickHouse connection is closed', sql);
    try {
      return await fn();
    } catch (cause: unknown) {
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new StorageError(`clickhouse: ${firstLine(message)}`, sql.length > 2000 ? `${sql.slice(0, 2000)}…` : sql, { cause });
    }
  }
}

/** Creates `database` if missing, through a connection to `default`. */
export async function ensureDatabase(url: string, database: string, cluster?: string): Promise<void> {
  const conn = new ClickHouseConnection({ url, database: 'default' });
  try {
    const onCluster = cluster === undefined ? '' : ` ON CLUSTER ${identifier(cluster, 'cluster name')}`;
    await conn.command(`CREATE DATABASE IF NOT EXISTS ${identifier(database, 'database name')}${onCluster}`);
  } finally {
    await conn.close();
  }
}

/** Whether a database exists; for tests and diagnostics. */
export async function databaseExists(conn: ClickHouseQueryRunner, database: string): Promise<boolean> {
  const rows = await conn.query(`SELECT count() AS n FROM system.databases WHERE name = ${stringLiteral(database)}`);
  return Number(rows[0]?.['n']) > 0;
}

export interface ServerVersion {
  readonly text: string;
  readonly major: number;
  readonly minor: number;
}

export function parseVersion(text: string): ServerVersion {
  const [major, minor] = text.split('.').map((part) => Number.parseInt(part, 10));
  if (!Number.isFinite(major) || !Number.isFinite(minor)) throw new StorageError(`unrecognized ClickHouse version ${JSON.stringify(text)}`);
  return { text, major: major!, minor: minor! };
}

/** A body in 1 MiB slices, so the request streams. */
function* chunks(body: Buffer): Generator<Buffer> {
  for (let from = 0; from < body.length; from += 1 << 20) yield body.subarray(from, from + (1 << 20));
}

/**
 * Where `--clickhouse-url` says the store is: `http(s)://[user[:password]@]host:port[/database]`,
 * or `?database=name`; `tributary` when neither names one.
 */
export function databaseFromUrl(url: string, fallback: string): string {
  const parsed = new URL(url);
  const fromQuery = parsed.searchParams.get('database');
  const fromPath = decodeURIComponent(parsed.pathname.replace(/^\/+|\/+$/g, ''));
  return fromQuery || fromPath || fallback;
}

/** The endpoint without path, query or credentials (the client takes those as options). */
function parseEndpoint(url: string): { url: string; username?: string; password: string } {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new StorageError(`the ClickHouse URL must be http(s)://…, got ${parsed.protocol}`);
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  parsed.pathname = '/';
  parsed.search = '';
  return { url: parsed.toString(), ...(username === undefined ? {} : { username }), password };
}

/** The rejection of a read stopped by its `ReadOptions.signal` (storage/api/read-options.ts). */
function cancelled(signal: AbortSignal, sql: string): StorageError {
  const reason: unknown = signal.reason;
  return new StorageError(`read cancelled: ${reason instanceof Error ? reason.message : String(reason)}`, sql, { cause: reason });
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
