/**
 * `backtraceGroups` in DuckDB: the focal calls grouped by their whole materialized path (the three
 * parallel lists, root first) and request name. The tree is folded in `analysis/backtrace.ts`.
 *
 * The group key is the three lists concatenated into one (`kinds ++ names ++ requests`, which
 * splits back exactly: each third has `depth` entries). Hashing one list is cheaper than three:
 * on 1M spans (56K focal calls) the statement takes ~55 ms instead of ~75 ms. Most of what is left
 * is reading the list columns themselves (~39 ms: DuckDB reads every row's lists, whatever the
 * filter). A path key stored with each call (a 64-bit hash of the path, written by the call
 * writer) would leave only that column to group by, plus one row per group for the lists:
 * measured ~10 ms on the same store. That needs a schema migration, not done here.
 */
import type { DuckDBListValue } from '@duckdb/node-api';
import type { CallerKind } from '../../../model/service.js';
import type { BacktraceGroup, FocalFilter } from '../../api/call-queries.js';
import { focalCte } from './focal-sql.js';
import { toNumber, toText } from './rows.js';
import { SqlParams } from './sql-params.js';
import type { Rows, Statement } from './statement.js';

export function backtraceGroupsSql(filter: FocalFilter): Statement {
  const params = new SqlParams();
  const sql = `WITH ${focalCte(params, filter, 'list_concat(c.path_kinds, c.path_names, c.path_requests) AS path_key, c.request, c.failed')}
SELECT path_key, request, count(*) AS calls, count(*) FILTER (WHERE failed) AS failed
FROM focal
GROUP BY path_key, request`;
  return { sql, params };
}

export function backtraceGroupsFromRows(rows: Rows): BacktraceGroup[] {
  return rows.map(([key, request, calls, failed]) => {
    const items = (key as DuckDBListValue).items as string[];
    const depth = items.length / 3;
    return {
      path: Array.from({ length: depth }, (_, i) => ({ kind: items[i] as CallerKind, name: items[depth + i]!, request: items[2 * depth + i]! })),
      request: toText(request),
      calls: toNumber(calls),
      failed: toNumber(failed),
    };
  });
}
