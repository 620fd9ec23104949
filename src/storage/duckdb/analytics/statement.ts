/** A built analytics statement and how it runs. */
import type { DuckDBValue } from '@duckdb/node-api';
import type { SerialConnection } from '../connection.js';
import type { SqlParams } from './sql-params.js';

export interface Statement {
  readonly sql: string;
  readonly params: SqlParams;
}

export type Rows = readonly (readonly DuckDBValue[])[];

/** Runs `statement` on `conn` (prepared once per connection and SQL text, see `connection.ts`) and reads every row. */
export async function runStatement(conn: SerialConnection, statement: Statement): Promise<Rows> {
  return (await conn.query(statement.sql, statement.params.values, statement.params.types)).getRows();
}
