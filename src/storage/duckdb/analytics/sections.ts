/**
 * Several small aggregates of one focal set in one statement: each is a `SELECT` tagged with its
 * section name, padded with typed NULLs to a common set of columns and joined by `UNION ALL`, so
 * the focal calls (a `MATERIALIZED` CTE) are found once and the store answers in one round trip.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { Rows } from './statement.js';

/** One part of the union: `values` maps column names to SQL expressions; `from` is the rest of the SELECT. */
export interface Section {
  readonly tag: string;
  readonly values: Readonly<Record<string, string>>;
  readonly from: string;
}

/** Columns as [name, SQL type], in result order after the leading `section` column. */
export type SectionColumns = readonly (readonly [name: string, type: string])[];

export function unionSql(columns: SectionColumns, sections: readonly Section[]): string {
  return sections
    .map((section) => {
      const unknown = Object.keys(section.values).filter((name) => !columns.some(([c]) => c === name));
      if (unknown.length > 0) throw new Error(`section ${section.tag} names unknown columns ${unknown.join(', ')}`);
      const list = columns.map(([name, type]) => `${section.values[name] ?? `NULL::${type}`} AS ${name}`);
      return `(SELECT '${section.tag}' AS section, ${list.join(', ')}\n ${section.from})`;
    })
    .join('\nUNION ALL\n');
}

/** The rows of each section, without the leading `section` column. */
export function splitSections(rows: Rows): Map<string, (readonly DuckDBValue[])[]> {
  const out = new Map<string, (readonly DuckDBValue[])[]>();
  for (const row of rows) {
    const tag = row[0] as string;
    let list = out.get(tag);
    if (list === undefined) out.set(tag, (list = []));
    list.push(row.slice(1));
  }
  return out;
}
