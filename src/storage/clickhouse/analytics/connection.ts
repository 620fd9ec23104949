/** What the analytics need from a ClickHouse connection (H11's `connection.ts` satisfies it). */

/** One result row: column alias → JSON value. */
export type Row = Readonly<Record<string, unknown>>;

export interface AnalyticsConnection {
  /**
   * Runs one `SELECT` (no `FORMAT` clause; the connection chooses a JSON row format) and resolves
   * with its rows in result order, keyed by the column aliases. 64-bit integers may arrive as
   * JSON strings or numbers; Nullable NULLs as `null`; arrays as arrays. Rejects on a server error.
   */
  query(sql: string): Promise<Row[]>;
}
