/**
 * Which `calls` rows are alive. `replaceTraceCalls` never updates rows in place (ClickHouse has no
 * transactions): it inserts the new generation of a trace's calls under a fresh `write_id`, then
 * lists the trace's older generations in `superseded_calls`. Every read of `calls` must apply this
 * filter, so dead generations stay invisible until a purge removes them
 * (docs/adr/0004-clickhouse-call-replacement.md has the crash windows).
 *
 * The key is `write_id` (unique per replace, never reused), not `derived_seq`: a re-derivation
 * after a crash can carry the same `derived_seq` as the half-written attempt it must hide.
 */
import type { ClickHouseTables } from './tables.js';
import { SINGLE_NODE_TABLES } from './tables.js';

/**
 * A boolean SQL expression that is true for live rows of `calls` referenced as `alias`
 * (e.g. `liveCallsFilter('c')` for `FROM calls AS c`). Reads the shard-local `superseded_calls`,
 * which is exact because both tables are sharded by trace id.
 */
export function liveCallsFilter(alias: string, tables: ClickHouseTables = SINGLE_NODE_TABLES): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) throw new Error(`liveCallsFilter: bad alias ${JSON.stringify(alias)}`);
  return `((${alias}.trace_id, ${alias}.write_id) NOT IN (SELECT trace_id, write_id FROM ${tables.local.superseded_calls}))`;
}
