/**
 * `backtraceGroups` in DuckDB: the focal calls grouped by their whole materialized path (the three
 * parallel lists, root first) and request name. The tree is folded in `analysis/backtrace.ts`.
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
  const sql = `WITH ${focalCte(params, filter, 'c.path_kinds, c.path_names, c.path_requests, c.request, c.failed')}
SELECT path_kinds, path_names, path_requests, request, count(*) AS calls, count(*) FILTER (WHERE failed) AS failed
FROM focal
GROUP BY path_kinds, path_names, path_requests, request`;
  return { sql, params };
}

export function backtraceGroupsFromRows(rows: Rows): BacktraceGroup[] {
  return rows.map(([kinds, names, requests, request, calls, failed]) => {
    const kindItems = (kinds as DuckDBListValue).items as CallerKind[];
    const nameItems = (names as DuckDBListValue).items as string[];
    const requestItems = (requests as DuckDBListValue).items as string[];
    return {
      path: kindItems.map((kind, i) => ({ kind, name: nameItems[i]!, request: requestItems[i]! })),
      request: toText(request),
      calls: toNumber(calls),
      failed: toNumber(failed),
    };
  });
}
