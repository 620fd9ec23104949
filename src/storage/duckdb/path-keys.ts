/**
 * Path keys: each distinct call path (the three lists `path_kinds`, `path_names`,
 * `path_requests`) gets a key, stored with every call (`calls.path_key`) and once in the
 * dictionary `call_paths (path_key PRIMARY KEY, the three lists)`. Queries that group calls by
 * their whole path group by the key and read the lists from the dictionary for the few groups
 * (see `analytics/backtrace.ts`), instead of reading three list columns of every call.
 *
 * Keys are dense: numbered from 1 as paths are first written (since schema 10, whose migration
 * renumbers a store's keys; before, a key was a 64-bit hash of the path). A hash is as random as
 * a span id, and DuckDB stored each at ~9 bytes; small keys bit-pack into one or two (ADR 0009).
 *
 * The invariant: **a call's `path_key` names the dictionary row that holds exactly the call's
 * path, and no two rows hold the same path.** The writer finds a path's row by comparing the
 * lists themselves (a join on the three columns), inside the transaction that appends the call,
 * and gives a path that has none the next key after the largest stored. One writer per store
 * (`duckdb-storage.ts`), so no two writes claim a key at once. Rows are never deleted.
 *
 * Queries also re-group by the dictionary's lists after joining (a few rows), so even if one
 * path held two keys (which the writer avoids), no answer would split a group.
 */
import { LIST, UBIGINT, VARCHAR, listValue } from '@duckdb/node-api';
import type { DuckDBListValue } from '@duckdb/node-api';
import type { PathEntry } from '../../model/call.js';
import type { SerialConnection } from './connection.js';
import { chunksOfColumns } from './connection.js';

/** A path as the three parallel lists the tables store, root first. */
export interface PathLists {
  readonly kinds: readonly string[];
  readonly names: readonly string[];
  readonly requests: readonly string[];
}

/**
 * The canonical text of a path: equal texts exactly when the stored paths are equal. It is the
 * JSON of the lists' concatenation (its length gives the split back), with lone UTF-16 surrogates
 * as U+FFFD, which is what DuckDB stores for them.
 */
export function pathText(lists: PathLists): string {
  const flat = [...lists.kinds, ...lists.names, ...lists.requests];
  const text = JSON.stringify(flat);
  // JSON.stringify writes a lone surrogate as the escape `\udXXX`; only then normalize (rare).
  return text.includes('\\ud') ? JSON.stringify(flat.map(wellFormed)) : text;
}

/** `pathText` of a call's path, without building the lists first (the writer's hot path). */
export function callPathText(path: readonly PathEntry[]): string {
  const n = path.length;
  const flat = new Array<string>(3 * n);
  for (let i = 0; i < n; i++) {
    const entry = path[i]!;
    flat[i] = entry.kind;
    flat[n + i] = entry.name;
    flat[2 * n + i] = entry.request;
  }
  const text = JSON.stringify(flat);
  return text.includes('\\ud') ? JSON.stringify(flat.map(wellFormed)) : text;
}

export function callPathLists(path: readonly PathEntry[]): PathLists {
  return { kinds: path.map((e) => e.kind), names: path.map((e) => e.name), requests: path.map((e) => e.request) };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}

export interface PathKeyOptions {
  /** Paths whose keys are remembered between writes; past it the memory starts over. Default 100,000. */
  readonly maxRemembered?: number;
}

/** Keys found for one write; `PathKeys.remember` them once the write committed. */
export type ResolvedKeys = ReadonlyMap<string, bigint>;

const FIND_ROWS = `SELECT p.path_key, p.path_kinds, p.path_names, p.path_requests
FROM call_paths p JOIN (
  SELECT unnest($1::VARCHAR[][]) AS kinds, unnest($2::VARCHAR[][]) AS names, unnest($3::VARCHAR[][]) AS requests
) q ON p.path_kinds = q.kinds AND p.path_names = q.names AND p.path_requests = q.requests`;
const NEXT_KEY = 'SELECT coalesce(max(path_key), 0) + 1 FROM call_paths';
const DICTIONARY_TYPES = [UBIGINT, LIST(VARCHAR), LIST(VARCHAR), LIST(VARCHAR)];
const LISTS = LIST(LIST(VARCHAR));

/**
 * Assigns path keys against the `call_paths` dictionary of one store. One instance per open
 * store, used by its writer only (one write at a time). It remembers keys of committed paths, so
 * a write whose paths are all known touches the dictionary not at all.
 */
export class PathKeys {
  private remembered = new Map<string, bigint>();
  private readonly maxRemembered: number;

  constructor(options: PathKeyOptions = {}) {
    this.maxRemembered = options.maxRemembered ?? 100_000;
  }

  /**
   * The keys of `paths` (canonical text → lists), adding dictionary rows for paths it has none
   * for; remembered paths cost no I/O. Call inside the transaction that writes the calls, so the
   * rows commit or roll back with them; then `remember` the result after the commit (never
   * before: a rolled-back row must not be remembered).
   */
  async resolve(conn: SerialConnection, paths: ReadonlyMap<string, PathLists>): Promise<ResolvedKeys> {
    const keys = new Map<string, bigint>();
    const unknown: [string, PathLists][] = [];
    for (const [text, lists] of paths) {
      const key = this.remembered.get(text);
      if (key !== undefined) keys.set(text, key);
      else unknown.push([text, lists]);
    }
    if (unknown.length === 0) return keys;
    const column = (pick: (lists: PathLists) => readonly string[]) => listValue(unknown.map(([, lists]) => listValue([...pick(lists)])));
    const rows = (await conn.query(FIND_ROWS, [column((l) => l.kinds), column((l) => l.names), column((l) => l.requests)], [LISTS, LISTS, LISTS])).getRows();
    for (const [key, kinds, names, requests] of rows) {
      keys.set(pathText({ kinds: strings(kinds), names: strings(names), requests: strings(requests) }), key as bigint);
    }
    const added: (readonly [bigint, PathLists])[] = [];
    let next: bigint | undefined;
    for (const [text, lists] of unknown) {
      if (keys.has(text)) continue;
      next ??= (await conn.query(NEXT_KEY)).getRows()[0]![0] as bigint;
      keys.set(text, next);
      added.push([next, lists]);
      next++;
    }
    if (added.length > 0) await this.insert(conn, added);
    return keys;
  }

  /** Remembers keys that are committed. */
  remember(keys: ResolvedKeys): void {
    for (const [text, key] of keys) {
      if (this.remembered.has(text)) continue;
      if (this.remembered.size >= this.maxRemembered) this.remembered = new Map();
      this.remembered.set(text, key);
    }
  }

  private async insert(conn: SerialConnection, rows: readonly (readonly [bigint, PathLists])[]): Promise<void> {
    const columns = [
      rows.map(([key]) => key),
      rows.map(([, p]) => listValue([...p.kinds])),
      rows.map(([, p]) => listValue([...p.names])),
      rows.map(([, p]) => listValue([...p.requests])),
    ];
    await conn.appendChunks('call_paths', chunksOfColumns(DICTIONARY_TYPES, columns));
  }
}

/**
 * Migration step (version 2): gives the calls of a store written before path keys their keys.
 * Every distinct stored path gets a dictionary row (through `PathKeys`, as the writer would), then
 * each call is updated in place (rows keep their order, which the time zone maps rely on).
 */
export async function backfillPathKeys(conn: SerialConnection): Promise<void> {
  const rows = (await conn.query('SELECT DISTINCT path_kinds, path_names, path_requests FROM calls')).getRows();
  const paths = new Map<string, PathLists>();
  for (const [kinds, names, requests] of rows) {
    const lists = { kinds: strings(kinds), names: strings(names), requests: strings(requests) };
    paths.set(pathText(lists), lists);
  }
  await new PathKeys().resolve(conn, paths);
  await conn.run(`UPDATE calls SET path_key = p.path_key FROM call_paths p
WHERE calls.path_kinds = p.path_kinds AND calls.path_names = p.path_names AND calls.path_requests = p.path_requests`);
}

function strings(list: unknown): string[] {
  return (list as DuckDBListValue).items as string[];
}
