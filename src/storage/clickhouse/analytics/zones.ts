/**
 * Zones in ClickHouse: the resources zone rules are matched against (`listResources`), and the
 * zone conditions on call rows (`ZoneFilter`: a real call by its resource, a synthetic call by the
 * resource of the call that made it, its last path entry, looked up in the same trace).
 */
import type { ZoneFilter } from '../../api/call-queries.js';
import { StorageError } from '../../api/storage.js';
import { liveCallsFilter } from '../live-calls.js';
import type { ClickHouseTables } from '../tables.js';
import type { Row } from './connection.js';
import { id64Literal } from '../sql-literal.js';
import { column, toBigInt, toTexts } from './rows.js';

/** `expr IN (ids…)` for the zone's resource ids (validated hex; a malformed one rejects the query); false for an empty zone. */
export function resourceIdsInSql(expr: string, zone: ZoneFilter): string {
  if (zone.resourceIds.length === 0) return '0';
  return `${expr} IN (${[...new Set(zone.resourceIds)].map((id) => id64Literal(id, 'resource id')).join(', ')})`;
}

/** The live, real calls of the zone as `(trace_id, call_id)` pairs, from the shard-local table. */
function realCallsInZoneSql(tables: ClickHouseTables, zone: ZoneFilter): string {
  return `SELECT o.trace_id, o.call_id FROM ${tables.local.calls} AS o WHERE o.synthetic = 0 AND ${resourceIdsInSql('o.resource_id', zone)} AND ${liveCallsFilter('o', tables)}`;
}

/** A condition on the calls row `alias`: the call is in the zone (call-queries.ts `ZoneFilter`). */
export function callInZoneSql(tables: ClickHouseTables, zone: ZoneFilter, alias: string): string {
  return `(${alias}.synthetic = 0 AND ${resourceIdsInSql(`${alias}.resource_id`, zone)}
    OR ${alias}.synthetic = 1 AND (${alias}.trace_id, ${alias}.path_call_ids[-1]) IN (${realCallsInZoneSql(tables, zone)}))`;
}

export function listResourcesSql(tables: ClickHouseTables): string {
  return `SELECT toString(r.id) AS resource, r.attribute_keys AS attribute_keys, r.attribute_values AS attribute_values FROM ${tables.resources} AS r`;
}

/** Hex id → attributes; a resource stored more than once (the table does not deduplicate) is listed once. */
export function resourcesFromRows(rows: readonly Row[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const row of rows) {
    const id = toBigInt(column(row, 'resource')).toString(16).padStart(16, '0');
    const keys = toTexts(column(row, 'attribute_keys'));
    const values = toTexts(column(row, 'attribute_values'));
    if (keys.length !== values.length) throw new StorageError(`resource ${id} has ${keys.length} attribute keys but ${values.length} values`);
    // fromEntries defines own properties, so a key such as `__proto__` stays an attribute.
    out.set(id, Object.fromEntries(keys.map((key, i) => [key, values[i]!])));
  }
  return out;
}
