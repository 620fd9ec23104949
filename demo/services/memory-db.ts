/**
 * The demo's database: rows kept in the service's memory, each query wrapped in a CLIENT span with
 * the OpenTelemetry database conventions (`db.system`, `db.name`, `db.statement`), which is what a
 * database client instrumentation emits. Tributary has no way to tell it from a real database, and
 * shows it as the database callee `db.name`. It stands in for one because Node 20 has no built-in
 * SQLite and the demo installs nothing.
 */
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { pause } from './http-kit.js';

export class MemoryTable<Row extends { readonly id: string }> {
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly tracer: Tracer,
    /** The database name (`db.name`): what Tributary names the callee. */
    private readonly database: string,
    private readonly table: string,
    rows: readonly Row[] = [],
  ) {
    for (const row of rows) this.rows.set(row.id, row);
  }

  select(where: (row: Row) => boolean, condition: string): Promise<Row[]> {
    return this.query('SELECT', `SELECT * FROM ${this.table} WHERE ${condition}`, () => [...this.rows.values()].filter(where));
  }

  insert(row: Row): Promise<Row> {
    return this.query('INSERT', `INSERT INTO ${this.table} VALUES (?)`, () => {
      this.rows.set(row.id, row);
      return row;
    });
  }

  update(id: string, change: (row: Row) => Row): Promise<Row | undefined> {
    return this.query('UPDATE', `UPDATE ${this.table} SET … WHERE id = ?`, () => {
      const row = this.rows.get(id);
      if (row === undefined) return undefined;
      const changed = change(row);
      this.rows.set(id, changed);
      return changed;
    });
  }

  get size(): number {
    return this.rows.size;
  }

  private query<T>(operation: string, statement: string, run: () => T): Promise<T> {
    const attributes = {
      // `other_sql` is the conventions' value for a SQL database without a registered name.
      'db.system': 'other_sql',
      'db.name': this.database,
      'db.operation': operation,
      'db.sql.table': this.table,
      'db.statement': statement,
    };
    return this.tracer.startActiveSpan(`${operation} ${this.database}.${this.table}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        await pause(1, 6);
        return run();
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        throw error;
      } finally {
        span.end();
      }
    });
  }
}
