/**
 * `backtraceGroups` in ClickHouse: the focal calls grouped by their whole materialized path (the
 * three parallel arrays) and request name. The tree is folded in `analysis/backtrace.ts`. Counts
 * merge exactly across shards.
 */
import type { CallerKind } from '../../../model/service.js';
import type { BacktraceGroup, FocalFilter } from '../../api/call-queries.js';
import { StorageError } from '../../api/storage.js';
import type { ClickHouseTables } from '../tables.js';
import type { Row } from './connection.js';
import { focalWhere } from './focal-sql.js';
import { column, toNumber, toText, toTexts } from './rows.js';

export function backtraceGroupsSql(tables: ClickHouseTables, filter: FocalFilter): string {
  return `SELECT c.path_kinds AS kinds, c.path_names AS names, c.path_requests AS requests, c.request AS request,
  count() AS calls, countIf(c.failed = 1) AS n_failed
FROM ${tables.calls} AS c
WHERE ${focalWhere(tables, filter, 'c')}
GROUP BY kinds, names, requests, request`;
}

export function backtraceGroupsFromRows(rows: readonly Row[]): BacktraceGroup[] {
  return rows.map((row) => {
    const kinds = toTexts(column(row, 'kinds'));
    const names = toTexts(column(row, 'names'));
    const requests = toTexts(column(row, 'requests'));
    if (names.length !== kinds.length || requests.length !== kinds.length) throw new StorageError('a calls row whose path arrays differ in length');
    return {
      path: kinds.map((kind, i) => ({ kind: kind as CallerKind, name: names[i]!, request: requests[i]! })),
      request: toText(column(row, 'request')),
      calls: toNumber(column(row, 'calls')),
      failed: toNumber(column(row, 'n_failed')),
    };
  });
}
