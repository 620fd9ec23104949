/**
 * The focal calls of a `FocalFilter` (call-queries.ts) as SQL over the `calls` table, and the
 * chain filter that selects among them.
 *
 * Chain match, restated for a table of materialized paths: a run matching the chain that lies on
 * a root-to-leaf line through F ends at some call E of that line, so E is F, an ancestor of F or a
 * descendant of F, and `path(E) + E` *ends with* the chain. "Ends with" is cheap in SQL: the last
 * step compares E's own columns (which DuckDB filters column by column), step `i` of `k` compares
 * E's path entry `depth − k + 2 + i`. Then F matches when such an E of F's trace is F itself
 * (same id and synthetic flag), has its id in F's `path_call_ids` (an ancestor), or has F's id in
 * its own `path_call_ids` (a descendant). The one run that ends at no call: a one-step chain that
 * matches the `unknown` caller, which heads the line of every call under an orphan
 * (`path_kinds[1] = 'unknown'`).
 *
 * Paths keep their nearest 128 entries (`ServiceCall.path`): relations and runs deeper than that
 * are not seen, a limit the materialization imposes on every path-based query.
 */
import type { ChainStep, FocalFilter, NodeRef } from '../../api/call-queries.js';
import { windowSql, type SqlParams } from './sql-params.js';

export interface FocalOptions {
  /** Compute the CTE once (`MATERIALIZED`) when the statement reads it several times. */
  readonly materialized?: boolean;
  /** More conditions on `c`, AND-ed to the focal ones. */
  readonly where?: readonly string[];
}

/**
 * `focal AS (…)`: the focal calls of `filter`, one row each, with the columns `columns` (SQL
 * expressions over the alias `c`, the `calls` row).
 */
export function focalCte(params: SqlParams, filter: FocalFilter, columns: string, options: FocalOptions = {}): string {
  const conditions = [
    `c.kind = ${params.text(filter.service.kind)}`,
    `c.service = ${params.text(filter.service.name)}`,
    windowSql(params, 'c.start_time_ns', filter),
  ];
  if (filter.request !== undefined) conditions.push(`c.request = ${params.text(filter.request)}`);
  if (filter.chain !== undefined && filter.chain.length > 0) conditions.push(chainThroughSql(params, filter.chain, 'c'));
  conditions.push(...(options.where ?? []));
  return `focal AS ${options.materialized === true ? 'MATERIALIZED ' : ''}(
  SELECT ${columns}
  FROM calls c
  WHERE ${conditions.join('\n    AND ')}
)`;
}

/** A condition on the call row `alias`: some root-to-leaf line through it contains `chain`. */
export function chainThroughSql(params: SqlParams, chain: readonly ChainStep[], alias: string): string {
  const ends = chainEndsSql(params, chain, 'e');
  const related = `(e.call_id = ${alias}.call_id AND e.synthetic = ${alias}.synthetic)
        OR (NOT e.synthetic AND list_contains(${alias}.path_call_ids, e.call_id))
        OR (NOT ${alias}.synthetic AND list_contains(e.path_call_ids, ${alias}.call_id))`;
  const viaCall = `EXISTS (SELECT 1 FROM calls e
      WHERE e.trace_id = ${alias}.trace_id AND ${ends}
        AND (${related}))`;
  if (!matchesUnknownAlone(chain)) return viaCall;
  return `(${alias}.depth > 0 AND ${alias}.path_kinds[1] = ${params.text('unknown')} OR ${viaCall})`;
}

/** A condition on the call row `alias`: some line of its trace contains `chain` (the traces list without a service). */
export function chainInTraceSql(params: SqlParams, chain: readonly ChainStep[], traceIdColumn: string): string {
  const ends = chainEndsSql(params, chain, 'e');
  const viaCall = `EXISTS (SELECT 1 FROM calls e WHERE e.trace_id = ${traceIdColumn} AND ${ends})`;
  if (!matchesUnknownAlone(chain)) return viaCall;
  return `(${viaCall} OR EXISTS (SELECT 1 FROM calls o WHERE o.trace_id = ${traceIdColumn} AND o.depth > 0 AND o.path_kinds[1] = ${params.text('unknown')}))`;
}

/** A condition on the call row `alias`: `path(alias) + alias` ends with `chain` (non-empty). */
export function chainEndsSql(params: SqlParams, chain: readonly ChainStep[], alias: string): string {
  const k = chain.length;
  const last = chain[k - 1]!;
  const conditions = [`${alias}.service = ${params.text(last.name)}`];
  if (last.kind !== undefined) conditions.push(`${alias}.kind = ${params.text(last.kind)}`);
  if (last.request !== undefined) conditions.push(`${alias}.request = ${params.text(last.request)}`);
  if (k > 1) {
    // BIGINT arithmetic: a UINTEGER `depth - n` below zero would be an error, and a negative list
    // index counts from the end; the depth condition makes such rows false whatever they read.
    conditions.push(`${alias}.depth >= ${k - 1}`);
    for (let i = 0; i < k - 1; i++) {
      conditions.push(...pathEntrySql(params, chain[i]!, alias, `${alias}.depth::BIGINT - ${k - 2 - i}`));
    }
  }
  return conditions.join(' AND ');
}

/**
 * A condition on the call row `alias`: its path ends with `nodePath` (kinds and names), i.e. the
 * call lies under the backtrace node at `nodePath`. Empty `nodePath`: always true.
 */
export function pathEndsWithSql(params: SqlParams, nodePath: readonly NodeRef[], alias: string): string {
  const m = nodePath.length;
  if (m === 0) return 'true';
  const conditions = [`${alias}.depth >= ${m}`];
  nodePath.forEach((node, i) => {
    const index = `${alias}.depth::BIGINT - ${m - 1 - i}`;
    conditions.push(`${alias}.path_kinds[${index}] = ${params.text(node.kind)}`, `${alias}.path_names[${index}] = ${params.text(node.name)}`);
  });
  return conditions.join(' AND ');
}

function pathEntrySql(params: SqlParams, step: ChainStep, alias: string, index: string): string[] {
  const out = [`${alias}.path_names[${index}] = ${params.text(step.name)}`];
  if (step.kind !== undefined) out.push(`${alias}.path_kinds[${index}] = ${params.text(step.kind)}`);
  if (step.request !== undefined) out.push(`${alias}.path_requests[${index}] = ${params.text(step.request)}`);
  return out;
}

/** A one-step chain that the `unknown` caller (name `unknown`, no kind, request '') satisfies. */
function matchesUnknownAlone(chain: readonly ChainStep[]): boolean {
  const step = chain[0];
  return chain.length === 1 && step !== undefined && step.name === 'unknown' && step.kind === undefined && (step.request === undefined || step.request === '');
}
