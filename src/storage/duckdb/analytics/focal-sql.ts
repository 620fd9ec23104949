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
 * (its first path call id is NULL).
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
 *
 * With a chain, the plain conditions first select candidates (a materialized CTE, so DuckDB pushes
 * them into the scan) and the chain's semi-join runs on those only: written as one `WHERE`, the
 * decorrelated EXISTS numbered every row of `calls` before filtering, so the scan read every
 * column of every row (measured on 1M spans: 175 ms, against ~50 ms this way).
 */
export function focalCte(params: SqlParams, filter: FocalFilter, columns: string, options: FocalOptions = {}): string {
  const conditions = [
    `c.kind = ${params.text(filter.service.kind)}`,
    `c.service = ${params.text(filter.service.name)}`,
    windowSql(params, 'c.start_time_ns', filter),
  ];
  if (filter.request !== undefined) conditions.push(`c.request = ${params.text(filter.request)}`);
  conditions.push(...(options.where ?? []));
  const materialized = options.materialized === true ? 'MATERIALIZED ' : '';
  const chain = filter.chain;
  if (chain === undefined || chain.length === 0) {
    return `focal AS ${materialized}(
  SELECT ${columns}
  FROM calls c
  WHERE ${conditions.join('\n    AND ')}
)`;
  }
  const extra = Object.entries(CANDIDATE_COLUMNS);
  return `focal_candidates AS MATERIALIZED (
  SELECT ${columns}, ${extra.map(([name, expression]) => `${expression} AS ${name}`).join(', ')}
  FROM calls c
  WHERE ${conditions.join('\n    AND ')}
),
focal AS ${materialized}(
  SELECT * EXCLUDE (${extra.map(([name]) => name).join(', ')})
  FROM focal_candidates f
  WHERE ${chainThroughSql(params, chain, CANDIDATE_REFS)}
)`;
}

/** The columns of one call row that the chain condition reads. */
export interface CallRefs {
  readonly traceId: string;
  readonly callId: string;
  readonly synthetic: string;
  readonly pathCallIds: string;
  readonly depth: string;
}

/** What `focal_candidates` carries for the chain condition, beyond the caller's columns. */
const CANDIDATE_COLUMNS = {
  chain_trace_id: 'c.trace_id',
  chain_call_id: 'c.call_id',
  chain_synthetic: 'c.synthetic',
  chain_path_call_ids: 'c.path_call_ids',
  chain_depth: 'c.depth',
} as const;

const CANDIDATE_REFS: CallRefs = {
  traceId: 'f.chain_trace_id',
  callId: 'f.chain_call_id',
  synthetic: 'f.chain_synthetic',
  pathCallIds: 'f.chain_path_call_ids',
  depth: 'f.chain_depth',
};

/** A condition on the call `f`: some root-to-leaf line through it contains `chain`. */
export function chainThroughSql(params: SqlParams, chain: readonly ChainStep[], f: CallRefs): string {
  const ends = chainEndsSql(params, chain, 'e');
  const related = `(e.call_id = ${f.callId} AND e.synthetic = ${f.synthetic})
        OR (NOT e.synthetic AND list_contains(${f.pathCallIds}, e.call_id))
        OR (NOT ${f.synthetic} AND list_contains(e.path_call_ids, ${f.callId}))`;
  const viaCall = `EXISTS (SELECT 1 FROM calls e
      WHERE e.trace_id = ${f.traceId} AND ${ends}
        AND (${related}))`;
  if (!matchesUnknownAlone(chain)) return viaCall;
  // Only the `unknown` caller has no call id (schema.ts), so a NULL first id is an `unknown` root.
  return `(${f.depth} > 0 AND ${f.pathCallIds}[1] IS NULL OR ${viaCall})`;
}

/** The trace ids (with repeats) in which some root-to-leaf line contains `chain` (the traces list without a service). */
export function chainTracesSql(params: SqlParams, chain: readonly ChainStep[]): string {
  const viaCall = `SELECT e.trace_id FROM calls e WHERE ${chainEndsSql(params, chain, 'e')}`;
  if (!matchesUnknownAlone(chain)) return viaCall;
  return `${viaCall} UNION ALL SELECT o.trace_id FROM calls o WHERE o.depth = 1 AND o.path_call_ids[1] IS NULL`;
}

/**
 * A condition on the call row `alias`: `path(alias) + alias` ends with `chain` (non-empty). The
 * steps before the last are conditions on the path, so they are matched once per distinct path in
 * the `call_paths` dictionary, and the call row is tested by its `path_key` only (reading the
 * path lists of every call of every candidate's trace is what this avoids).
 */
export function chainEndsSql(params: SqlParams, chain: readonly ChainStep[], alias: string): string {
  const k = chain.length;
  const last = chain[k - 1]!;
  const conditions = [`${alias}.service = ${params.text(last.name)}`];
  if (last.kind !== undefined) conditions.push(`${alias}.kind = ${params.text(last.kind)}`);
  if (last.request !== undefined) conditions.push(`${alias}.request = ${params.text(last.request)}`);
  if (k > 1) conditions.push(`${alias}.path_key IN (${pathsEndingWithSql(params, chain.slice(0, -1))})`);
  return conditions.join(' AND ');
}

/**
 * A condition on the call row `alias`: its path ends with `nodePath` (kinds and names), i.e. the
 * call lies under the backtrace node at `nodePath`. Empty `nodePath`: always true. Matched on the
 * dictionary, as in `chainEndsSql`.
 */
export function pathEndsWithSql(params: SqlParams, nodePath: readonly NodeRef[], alias: string): string {
  if (nodePath.length === 0) return 'true';
  return `${alias}.path_key IN (${pathsEndingWithSql(params, nodePath)})`;
}

/** A step of a path suffix: a name, and a kind and a request name when given. */
interface SuffixStep {
  readonly name: string;
  readonly kind?: string;
  readonly request?: string;
}

/** The keys of the dictionary paths that end with `steps`. */
function pathsEndingWithSql(params: SqlParams, steps: readonly SuffixStep[]): string {
  const n = steps.length;
  // BIGINT arithmetic: a negative list index would count from the end; the length condition
  // makes such rows false whatever they read.
  const conditions = [`len(p.path_kinds) >= ${n}`];
  steps.forEach((step, i) => {
    const index = `len(p.path_kinds)::BIGINT - ${n - 1 - i}`;
    conditions.push(`p.path_names[${index}] = ${params.text(step.name)}`);
    if (step.kind !== undefined) conditions.push(`p.path_kinds[${index}] = ${params.text(step.kind)}`);
    if (step.request !== undefined) conditions.push(`p.path_requests[${index}] = ${params.text(step.request)}`);
  });
  return `SELECT p.path_key FROM call_paths p WHERE ${conditions.join(' AND ')}`;
}

/** A one-step chain that the `unknown` caller (name `unknown`, no kind, request '') satisfies. */
function matchesUnknownAlone(chain: readonly ChainStep[]): boolean {
  const step = chain[0];
  return chain.length === 1 && step !== undefined && step.name === 'unknown' && step.kind === undefined && (step.request === undefined || step.request === '');
}
