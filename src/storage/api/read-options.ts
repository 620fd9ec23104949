/**
 * Options of a read that may be abandoned (an API query past `query.queryTimeoutMs`).
 *
 * When `signal` aborts, the backend stops that read's running query where it can (DuckDB
 * interrupts the connection the query runs on, ClickHouse cancels its HTTP request, which makes
 * the server cancel the query) and skips it when it has not started yet; the read then rejects
 * with a `StorageError` whose `cause` is the signal's reason. A read that already finished
 * resolves as usual. Other reads, running or queued, are not affected. A backend that cannot stop
 * a query (memory: nothing runs long) may ignore the signal.
 */
export interface ReadOptions {
  readonly signal?: AbortSignal;
}
