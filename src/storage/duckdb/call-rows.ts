/**
 * `ServiceCall` ↔ rows of the `calls` table: data chunks for the appender on the way in, and the
 * column list plus row mapping for reads on the way out. The path is stored as parallel lists (see
 * `schema.ts`); a NULL in `path_call_ids` stands for the '' call id of the `unknown` caller. The
 * last column, `path_key`, is known only once the writer resolved it against the dictionary
 * (`path-keys.ts`), so a row is built without it and gets it in `callChunks`.
 */
import { BIGINT, BOOLEAN, DuckDBDataChunk, LIST, UBIGINT, UHUGEINT, UINTEGER, VARCHAR, listValue } from '@duckdb/node-api';
import type { DuckDBListValue, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { StorageError } from '../api/storage.js';
import type { PathEntry, ServiceCall } from '../../model/call.js';
import type { CallerKind, ServiceKind } from '../../model/service.js';
import { SERVICE_KINDS } from '../../model/service.js';
import { CHUNK_ROWS } from './span-chunks.js';
import { id64Hex, parseId64 } from './id-codec.js';
import { callPathText } from './path-keys.js';

const CALLER_KINDS: ReadonlySet<string> = new Set<CallerKind>([...SERVICE_KINDS, 'unknown']);
const SERVICE_KIND_SET: ReadonlySet<string> = new Set<ServiceKind>(SERVICE_KINDS);

/** The `calls` columns in table order, with their types. */
export const CALL_COLUMNS: ReadonlyArray<readonly [name: string, type: DuckDBType]> = [
  ['trace_id', UHUGEINT],
  ['call_id', UBIGINT],
  ['synthetic', BOOLEAN],
  ['kind', VARCHAR],
  ['service', VARCHAR],
  ['request', VARCHAR],
  ['resource_id', UBIGINT],
  ['instance', VARCHAR],
  ['k8s_cluster', VARCHAR],
  ['k8s_node', VARCHAR],
  ['k8s_namespace', VARCHAR],
  ['k8s_pod', VARCHAR],
  ['k8s_workload', VARCHAR],
  ['start_time_ns', BIGINT],
  ['duration_ns', BIGINT],
  ['failed', BOOLEAN],
  ['failure_reason', VARCHAR],
  ['stack_traces', LIST(VARCHAR)],
  ['depth', UINTEGER],
  ['path_kinds', LIST(VARCHAR)],
  ['path_names', LIST(VARCHAR)],
  ['path_requests', LIST(VARCHAR)],
  ['path_call_ids', LIST(UBIGINT)],
  ['referring_page', VARCHAR],
  ['proxies', LIST(VARCHAR)],
  ['derived_seq', UBIGINT],
  ['path_key', UBIGINT],
];
const CALL_TYPES = CALL_COLUMNS.map(([, type]) => type);
const KEY_COLUMN = CALL_COLUMNS.length - 1;

/** One call's `calls` values in table order, but for `path_key`; and its path's canonical text. */
export interface CallRow {
  readonly values: readonly DuckDBValue[];
  readonly pathText: string;
}

/**
 * One call as a row of `calls` values, in table order; rejects what the table cannot hold exactly.
 * `pathTexts` remembers canonical path texts by path array for one write: the calls a call makes
 * share one path array (analysis/derive/call-line.ts), so siblings compute it once.
 */
export function callRow(traceId: bigint, traceHex: string, call: ServiceCall, derivedSeq: bigint, pathTexts?: Map<readonly PathEntry[], string>): CallRow {
  if (call.traceId !== traceHex) {
    throw new StorageError(`call ${call.callId} belongs to trace ${call.traceId}, not ${traceHex}`);
  }
  if (!SERVICE_KIND_SET.has(call.kind)) throw new StorageError(`call ${call.callId} has unknown kind ${JSON.stringify(call.kind)}`);
  for (const entry of call.path) {
    if (!CALLER_KINDS.has(entry.kind)) throw new StorageError(`call ${call.callId} has a path entry of unknown kind ${JSON.stringify(entry.kind)}`);
  }
  const values: DuckDBValue[] = [
    traceId,
    parseId64(call.callId, 'call id'),
    call.synthetic,
    call.kind,
    call.service,
    call.request,
    call.resourceId === null ? null : parseId64(call.resourceId, 'resource id'),
    call.instance,
    call.k8s.cluster,
    call.k8s.node,
    call.k8s.namespace,
    call.k8s.pod,
    call.k8s.workload,
    checkInt64(call.startTimeUnixNano, 'start time'),
    checkInt64(call.durationNanos, 'duration'),
    call.failed,
    call.failureReason,
    listValue([...call.stackTraces]),
    call.path.length,
    listValue(call.path.map((e) => e.kind)),
    listValue(call.path.map((e) => e.name)),
    listValue(call.path.map((e) => e.request)),
    listValue(call.path.map((e) => (e.callId === '' ? null : parseId64(e.callId, 'path call id')))),
    call.referringPage,
    listValue([...call.proxies]),
    derivedSeq,
  ];
  let pathText = pathTexts?.get(call.path);
  if (pathText === undefined) {
    pathText = callPathText(call.path);
    pathTexts?.set(call.path, pathText);
  }
  return { values, pathText };
}

/**
 * Rows → ≤2048-row data chunks for the `calls` appender, each row with the key of its path
 * (`keys`: canonical path text → key; every row's path must be in it).
 */
export function callChunks(rows: readonly CallRow[], keys: ReadonlyMap<string, bigint>): DuckDBDataChunk[] {
  const chunks: DuckDBDataChunk[] = [];
  for (let from = 0; from < rows.length; from += CHUNK_ROWS) {
    const slice = rows.slice(from, from + CHUNK_ROWS);
    const chunk = DuckDBDataChunk.create(CALL_TYPES, slice.length);
    for (let column = 0; column < KEY_COLUMN; column++) {
      chunk.setColumnValues(column, slice.map((row) => row.values[column]!));
    }
    chunk.setColumnValues(KEY_COLUMN, slice.map((row) => pathKeyOf(row, keys)));
    chunks.push(chunk);
  }
  return chunks;
}

function pathKeyOf(row: CallRow, keys: ReadonlyMap<string, bigint>): bigint {
  const key = keys.get(row.pathText);
  if (key === undefined) throw new StorageError(`no path key resolved for the path ${row.pathText}`);
  return key;
}

/** What `getTraceCalls` selects; `callFromRow` reads rows in this order. */
export const CALL_SELECT_COLUMNS = CALL_COLUMNS.map(([name]) => name)
  .filter((name) => !['trace_id', 'depth', 'derived_seq', 'path_key'].includes(name))
  .join(', ');

/** A row of `CALL_SELECT_COLUMNS` back into the `ServiceCall` it was made from. */
export function callFromRow(traceHex: string, row: readonly DuckDBValue[]): ServiceCall {
  const [callId, synthetic, kind, service, request, resourceId, instance, cluster, node, namespace, pod, workload, start, duration, failed, failureReason, stackTraces, pathKinds, pathNames, pathRequests, pathCallIds, referringPage, proxies] = row;
  const kinds = strings(pathKinds);
  const names = strings(pathNames);
  const requests = strings(pathRequests);
  const callIds = (pathCallIds as DuckDBListValue).items;
  const path: PathEntry[] = kinds.map((k, i) => ({
    kind: k as CallerKind,
    name: names[i]!,
    request: requests[i]!,
    callId: callIds[i] === null ? '' : id64Hex(callIds[i] as bigint),
  }));
  return {
    traceId: traceHex,
    callId: id64Hex(callId as bigint),
    synthetic: synthetic as boolean,
    kind: kind as ServiceKind,
    service: service as string,
    request: request as string,
    resourceId: resourceId === null ? null : id64Hex(resourceId as bigint),
    instance: instance as string | null,
    k8s: {
      cluster: cluster as string | null,
      node: node as string | null,
      namespace: namespace as string | null,
      pod: pod as string | null,
      workload: workload as string | null,
    },
    startTimeUnixNano: start as bigint,
    durationNanos: duration as bigint,
    failed: failed as boolean,
    failureReason: failureReason as string | null,
    stackTraces: strings(stackTraces),
    path,
    referringPage: referringPage as string | null,
    proxies: strings(proxies),
  };
}

function strings(list: DuckDBValue | undefined): string[] {
  return (list as DuckDBListValue).items as string[];
}

function checkInt64(value: bigint, what: string): bigint {
  if (BigInt.asIntN(64, value) !== value) throw new StorageError(`${what} ${value} does not fit a signed 64-bit integer`);
  return value;
}
