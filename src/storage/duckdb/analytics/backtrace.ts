/**
 * `backtraceGroups` in DuckDB: the focal calls grouped by their whole materialized path and
 * request name. The tree is folded in `analysis/backtrace.ts`.
 *
 * The calls are grouped by `path_key` (one UBIGINT column, see `path-keys.ts`), and only the
 * groups — a few dozen rows — are joined with the `call_paths` dictionary for the lists and
 * grouped again by the lists themselves, so the answer is exact whatever the keys: a key names
 * exactly one path, and were a path ever to hold two keys, the second grouping merges them.
 * Grouping by the three list columns instead read every focal row's lists: ~55 ms on 1M spans
 * (56K focal calls), against ~10 ms this way. A call whose key has no dictionary row would break
 * the store's invariant: the LEFT JOIN keeps it, and the mapping rejects the answer.
 */
import type { DuckDBListValue } from '@duckdb/node-api';
import type { CallerKind } from '../../../model/service.js';
import { StorageError } from '../../api/storage.js';
import type { BacktraceGroup, FocalFilter } from '../../api/call-queries.js';
import { focalCte } from './focal-sql.js';
import { toNumber, toText } from './rows.js';
import { SqlParams } from './sql-params.js';
import type { Rows, Statement } from './statement.js';

export function backtraceGroupsSql(filter: FocalFilter): Statement {
  const params = new SqlParams();
  const sql = `WITH ${focalCte(params, filter, 'c.path_key, c.request, c.failed')},
by_key AS (
  SELECT path_key, request, count(*) AS calls, count(*) FILTER (WHERE failed) AS failed
  FROM focal
  GROUP BY path_key, request
)
SELECT list_concat(p.path_kinds, p.path_names, p.path_requests) AS path, g.request, sum(g.calls)::BIGINT AS calls, sum(g.failed)::BIGINT AS failed,
  bool_or(p.path_key IS NULL) AS unkeyed
FROM by_key g LEFT JOIN call_paths p ON p.path_key = g.path_key
GROUP BY path, g.request`;
  return { sql, params };
}

export function backtraceGroupsFromRows(rows: Rows): BacktraceGroup[] {
  return rows.map(([path, request, calls, failed, unkeyed]) => {
    if (unkeyed === true) throw new StorageError('calls whose path key has no row in call_paths: the store is inconsistent');
    // The concatenation splits back exactly: each third has `depth` entries.
    const items = (path as DuckDBListValue).items as string[];
    const depth = items.length / 3;
    return {
      path: Array.from({ length: depth }, (_, i) => ({ kind: items[i] as CallerKind, name: items[depth + i]!, request: items[2 * depth + i]! })),
      request: toText(request),
      calls: toNumber(calls),
      failed: toNumber(failed),
    };
  });
}
