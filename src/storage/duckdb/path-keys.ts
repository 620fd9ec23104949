/**
 * Path keys: each distinct call path (the three lists `path_kinds`, `path_names`,
 * `path_requests`) gets a 64-bit key, stored with every call (`calls.path_key`) and once in the
 * dictionary `call_paths (path_key PRIMARY KEY, the three lists)`. Queries that group calls by
 * their whole path group by the key and read the lists from the dictionary for the few groups
 * (see `analytics/backtrace.ts`), instead of reading three list columns of every call.
 *
 * Exactness does not rest on the hash. The invariant is: **a call's `path_key` names the
 * dictionary row that holds exactly the call's path.** The primary key gives one path per key;
 * the writer gives a call a key only after it compared that key's dictionary row with the call's
 * path, inside the transaction that appends the call (a key whose row holds another path — a
 * 64-bit collision — is skipped: the path probes on to the next key, as in open addressing).
 * Rows are never deleted, so a probe sequence never loses a link. The key a path starts probing
 * at is the first 8 bytes of SHA-256 of its canonical text, so it is the same in every process
 * and every DuckDB version (DuckDB's own `hash()` promises neither).
 *
 * Queries also re-group by the dictionary's lists after joining (a few rows), so even if one
 * path held two keys (which the writer avoids), no answer would split a group.
 */
import { createHash } from 'node:crypto';
import { LIST, UBIGINT, VARCHAR, listValue } from '@duckdb/node-api';
import type { DuckDBListValue } from '@duckdb/node-api';
import type { PathEntry } from '../../model/call.js';
import type { SerialConnection } from './connection.js';
import { chunksOfColumns } from './connection.js';

const KEY_MASK = (1n << 64n) - 1n;

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

/** Where a path's probe sequence starts: the first 8 bytes of SHA-256 of its canonical text. */
export function pathHash(text: string): bigint {
  return createHash('sha256').update(text, 'utf8').digest().readBigUInt64BE(0);
}

export interface PathKeyOptions {
  /** The probe start of a path (tests inject a colliding one). Default `pathHash`. */
  readonly hash?: (text: string) => bigint;
  /** Paths whose keys are remembered between writes; past it the memory starts over. Default 100,000. */
  readonly maxRemembered?: number;
}

/** Keys found for one write; `PathKeys.remember` them once the write committed. */
export type ResolvedKeys = ReadonlyMap<string, bigint>;

const FIND_ROWS = `SELECT p.path_key, p.path_kinds, p.path_names, p.path_requests
FROM call_paths p JOIN (SELECT DISTINCT unnest($1::UBIGINT[]) AS path_key) q ON p.path_key = q.path_key`;
const DICTIONARY_TYPES = [UBIGINT, LIST(VARCHAR), LIST(VARCHAR), LIST(VARCHAR)];

/**
 * Assigns path keys against the `call_paths` dictionary of one store. One instance per open
 * store, used by its writer only (one write at a time). It remembers keys of committed paths, so
 * a write whose paths are all known touches the dictionary not at all.
 */
export class PathKeys {
  private remembered = new Map<string, bigint>();
  private readonly hash: (text: string) => bigint;
  private readonly maxRemembered: number;

  constructor(options: PathKeyOptions = {}) {
    this.hash = options.hash ?? pathHash;
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
    const probing = new Map<string, bigint>();
    for (const text of paths.keys()) {
      const key = this.remembered.get(text);
      if (key !== undefined) keys.set(text, key);
      else probing.set(text, this.hash(text) & KEY_MASK);
    }
    const claimed = new Map<bigint, string>();
    while (probing.size > 0) {
      const stored = await this.storedTexts(conn, [...new Set(probing.values())]);
      for (const [text, slot] of probing) {
        const holder = stored.get(slot) ?? claimed.get(slot);
        if (holder === undefined) {
          claimed.set(slot, text);
          keys.set(text, slot);
          probing.delete(text);
        } else if (holder === text) {
          keys.set(text, slot);
          probing.delete(text);
        } else {
          probing.set(text, (slot + 1n) & KEY_MASK); // a collision: try the next key
        }
      }
    }
    if (claimed.size > 0) await this.insert(conn, [...claimed].map(([key, text]) => [key, paths.get(text)!] as const));
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

  private async storedTexts(conn: SerialConnection, slots: readonly bigint[]): Promise<Map<bigint, string>> {
    const rows = (await conn.query(FIND_ROWS, [listValue([...slots])], [LIST(UBIGINT)])).getRows();
    const out = new Map<bigint, string>();
    for (const [key, kinds, names, requests] of rows) {
      out.set(key as bigint, pathText({ kinds: strings(kinds), names: strings(names), requests: strings(requests) }));
    }
    return out;
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
 * Migration step: gives the calls of a store written before path keys their keys. Every distinct
 * stored path gets a dictionary row (through `PathKeys`, as the writer would), then each call is
 * updated in place (rows keep their order, which the time zone maps rely on).
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
