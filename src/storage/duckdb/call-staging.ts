/**
 * How derived calls get into `calls` cheaply: as numbers.
 *
 * A call row has ~10 text values plus three path lists, and the appender costs one native call
 * per text value (`DuckDBVarCharVector.flush`): that made the call writer the slowest part of
 * ingest (~25 µs of CPU per call, ~40K calls per CPU-second, `bench/query-call-writes.ts`).
 * Here every text becomes a 1-based code into one dictionary per write, so the rows go to a
 * temporary table of integers and integer lists (copied into DuckDB a column at a time), and one
 * `INSERT … SELECT` turns codes back into text inside DuckDB (`list_select` against the
 * dictionary, bound as one list parameter). NULL text stays a NULL code. The path's texts are
 * not in the row at all: its `path_key` names them in `call_paths` (schema version 4).
 *
 * The writer runs `STAGING_DDL` (temporary tables are per connection; it is a no-op once the
 * table exists), the append, the insert and the clean-up inside the write's transaction.
 */
import { BIGINT, BOOLEAN, DuckDBDataChunk, LIST, UBIGINT, UHUGEINT, UINTEGER, listValue } from '@duckdb/node-api';
import type { DuckDBListValue, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { StorageError } from '../api/storage.js';
import type { PathEntry, ServiceCall } from '../../model/call.js';
import type { CallerKind, ServiceKind } from '../../model/service.js';
import { SERVICE_KINDS } from '../../model/service.js';
import { chunksOfColumns } from './connection.js';
import { parseId64 } from './id-codec.js';
import { callPathText } from './path-keys.js';

const CALLER_KINDS: ReadonlySet<string> = new Set<CallerKind>([...SERVICE_KINDS, 'unknown']);
const SERVICE_KIND_SET: ReadonlySet<string> = new Set<ServiceKind>(SERVICE_KINDS);

/** The staging columns, in order; `text` columns hold dictionary codes. */
const STAGING_COLUMNS: ReadonlyArray<readonly [name: string, type: DuckDBType, text: boolean]> = [
  ['trace_id', UHUGEINT, false],
  ['call_id', UBIGINT, false],
  ['synthetic', BOOLEAN, false],
  ['kind', UINTEGER, true],
  ['service', UINTEGER, true],
  ['request', UINTEGER, true],
  ['resource_id', UBIGINT, false],
  ['instance', UINTEGER, true],
  ['k8s_cluster', UINTEGER, true],
  ['k8s_node', UINTEGER, true],
  ['k8s_namespace', UINTEGER, true],
  ['k8s_pod', UINTEGER, true],
  ['k8s_workload', UINTEGER, true],
  ['start_time_ns', BIGINT, false],
  ['duration_ns', BIGINT, false],
  ['failed', BOOLEAN, false],
  ['failure_reason', UINTEGER, true],
  ['stack_traces', LIST(UINTEGER), true],
  ['depth', UINTEGER, false],
  ['path_call_ids', LIST(UBIGINT), false],
  ['referring_page', UINTEGER, true],
  ['proxies', LIST(UINTEGER), true],
  ['derived_seq', UBIGINT, false],
  ['path_key', UBIGINT, false],
];
const STAGING_TYPES = STAGING_COLUMNS.map(([, type]) => type);

export const STAGING_DDL = `CREATE TEMPORARY TABLE IF NOT EXISTS calls_staging (${STAGING_COLUMNS.map(([name, type]) => `${name} ${type.toString()}`).join(', ')})`;

/** `$1` is the dictionary (`StagedCalls.dictionary`): code n is its n-th text. */
export const INSERT_STAGED = `INSERT INTO calls (${STAGING_COLUMNS.map(([name]) => name).join(', ')})
SELECT ${STAGING_COLUMNS.map(([name, type, text]) => (!text ? name : type.toString().endsWith('[]') ? `list_select($1, ${name})` : `$1[${name}]`)).join(', ')}
FROM calls_staging`;

export const CLEAR_STAGING = 'DELETE FROM calls_staging';

/**
 * The calls of one write, column by column, with their texts coded. `add` checks each call and
 * rejects what the table cannot hold exactly; nothing touches the store until `chunks`.
 */
export class StagedCalls {
  private readonly codes = new Map<string, number>();
  private readonly texts: string[] = [];
  private readonly columns: DuckDBValue[][] = STAGING_COLUMNS.map(() => []);
  /** Each row's canonical path text, for its key. */
  private readonly pathTexts: string[] = [];
  /** Canonical texts by path array: the calls a call makes share one path array (analysis/derive/call-line.ts). */
  private readonly textOfPath = new Map<readonly PathEntry[], string>();

  get length(): number {
    return this.pathTexts.length;
  }

  add(traceId: bigint, traceHex: string, call: ServiceCall, derivedSeq: bigint): void {
    if (call.traceId !== traceHex) throw new StorageError(`call ${call.callId} belongs to trace ${call.traceId}, not ${traceHex}`);
    if (!SERVICE_KIND_SET.has(call.kind)) throw new StorageError(`call ${call.callId} has unknown kind ${JSON.stringify(call.kind)}`);
    for (const entry of call.path) {
      if (!CALLER_KINDS.has(entry.kind)) throw new StorageError(`call ${call.callId} has a path entry of unknown kind ${JSON.stringify(entry.kind)}`);
    }
    const c = this.columns;
    let i = 0;
    c[i++]!.push(traceId);
    c[i++]!.push(parseId64(call.callId, 'call id'));
    c[i++]!.push(call.synthetic);
    c[i++]!.push(this.code(call.kind));
    c[i++]!.push(this.code(call.service));
    c[i++]!.push(this.code(call.request));
    c[i++]!.push(call.resourceId === null ? null : parseId64(call.resourceId, 'resource id'));
    c[i++]!.push(this.code(call.instance));
    c[i++]!.push(this.code(call.k8s.cluster));
    c[i++]!.push(this.code(call.k8s.node));
    c[i++]!.push(this.code(call.k8s.namespace));
    c[i++]!.push(this.code(call.k8s.pod));
    c[i++]!.push(this.code(call.k8s.workload));
    c[i++]!.push(checkInt64(call.startTimeUnixNano, 'start time'));
    c[i++]!.push(checkInt64(call.durationNanos, 'duration'));
    c[i++]!.push(call.failed);
    c[i++]!.push(this.code(call.failureReason));
    c[i++]!.push(this.codeList(call.stackTraces));
    c[i++]!.push(call.path.length);
    c[i++]!.push(listValue(call.path.map((e) => (e.callId === '' ? null : parseId64(e.callId, 'path call id')))));
    c[i++]!.push(this.code(call.referringPage));
    c[i++]!.push(this.codeList(call.proxies));
    c[i++]!.push(derivedSeq);
    let pathText = this.textOfPath.get(call.path);
    if (pathText === undefined) {
      pathText = callPathText(call.path);
      this.textOfPath.set(call.path, pathText);
    }
    this.pathTexts.push(pathText);
  }

  /** The distinct canonical path texts, each with the first path that has it. */
  paths(): Map<string, readonly PathEntry[]> {
    const out = new Map<string, readonly PathEntry[]>();
    for (const [path, text] of this.textOfPath) if (!out.has(text)) out.set(text, path);
    return out;
  }

  /** The texts the codes stand for, as the list parameter of `INSERT_STAGED`. */
  dictionary(): DuckDBListValue {
    return listValue(this.texts);
  }

  /** ≤2048-row chunks for the `calls_staging` appender, each row with its path's key (`keys`: canonical text → key). */
  chunks(keys: ReadonlyMap<string, bigint>): DuckDBDataChunk[] {
    const pathKeys = this.pathTexts.map((text) => {
      const key = keys.get(text);
      if (key === undefined) throw new StorageError(`no path key resolved for the path ${text}`);
      return key;
    });
    // The last staging column is path_key; `add` filled every other one.
    const columns = [...this.columns.slice(0, -1), pathKeys];
    return chunksOfColumns(STAGING_TYPES, columns);
  }

  private code(text: string | null): number | null {
    if (text === null) return null;
    let code = this.codes.get(text);
    if (code === undefined) {
      code = this.texts.push(text);
      this.codes.set(text, code);
    }
    return code;
  }

  private codeList(texts: readonly string[]): DuckDBListValue {
    return listValue(texts.map((text) => this.code(text)!));
  }
}

function checkInt64(value: bigint, what: string): bigint {
  if (BigInt.asIntN(64, value) !== value) throw new StorageError(`${what} ${value} does not fit a signed 64-bit integer`);
  return value;
}
