/**
 * `ServiceCall` ↔ rows of `calls`: `INSERT … VALUES` rows on the way in, JSON rows of
 * `CALL_SELECT` on the way out. The path is stored as parallel arrays, root first (see
 * `001_init.sql`); a 0 in `path_call_ids` stands for the '' call id of the `unknown` caller (span
 * id 0 is invalid in OTLP, so no real call has it).
 */
import { StorageError } from '../api/storage.js';
import type { PathEntry, ServiceCall } from '../../model/call.js';
import type { CallerKind, ServiceKind } from '../../model/service.js';
import { SERVICE_KINDS } from '../../model/service.js';
import { int64Literal, nullableStringLiteral, parseId64, stringArrayLiteral, stringLiteral } from './sql-literal.js';
import type { ValuesWriter } from './values-writer.js';

const CALLER_KINDS: ReadonlySet<string> = new Set<CallerKind>([...SERVICE_KINDS, 'unknown']);
const SERVICE_KIND_SET: ReadonlySet<string> = new Set<ServiceKind>(SERVICE_KINDS);

export const CALL_COLUMNS = [
  'trace_id',
  'call_id',
  'synthetic',
  'kind',
  'service',
  'request',
  'resource_id',
  'instance',
  'k8s_cluster',
  'k8s_node',
  'k8s_namespace',
  'k8s_pod',
  'k8s_workload',
  'start_time_ns',
  'duration_ns',
  'failed',
  'failure_reason',
  'stack_traces',
  'depth',
  'path_kinds',
  'path_names',
  'path_requests',
  'path_call_ids',
  'referring_page',
  'proxies',
  'derived_seq',
  'write_id',
] as const;

/**
 * One call as the text of a `VALUES` row after its trace id (which the writer puts in as raw
 * bytes: `writeCallRow`); rejects what the table cannot hold exactly.
 */
export function callRowText(traceHex: string, call: ServiceCall, derivedSeq: bigint, writeId: bigint): string {
  if (call.traceId !== traceHex) throw new StorageError(`call ${call.callId} belongs to trace ${call.traceId}, not ${traceHex}`);
  if (!SERVICE_KIND_SET.has(call.kind)) throw new StorageError(`call ${call.callId} has unknown kind ${JSON.stringify(call.kind)}`);
  for (const entry of call.path) {
    if (!CALLER_KINDS.has(entry.kind)) throw new StorageError(`call ${call.callId} has a path entry of unknown kind ${JSON.stringify(entry.kind)}`);
  }
  const pathCallIds = call.path.map((e) => (e.callId === '' ? 0n : parseId64(e.callId, 'path call id')));
  const values = [
    parseId64(call.callId, 'call id').toString(),
    call.synthetic ? '1' : '0',
    stringLiteral(call.kind),
    stringLiteral(call.service),
    stringLiteral(call.request),
    call.resourceId === null ? 'NULL' : parseId64(call.resourceId, 'resource id').toString(),
    nullableStringLiteral(call.instance),
    nullableStringLiteral(call.k8s.cluster),
    nullableStringLiteral(call.k8s.node),
    nullableStringLiteral(call.k8s.namespace),
    nullableStringLiteral(call.k8s.pod),
    nullableStringLiteral(call.k8s.workload),
    int64Literal(call.startTimeUnixNano),
    int64Literal(call.durationNanos),
    call.failed ? '1' : '0',
    nullableStringLiteral(call.failureReason),
    stringArrayLiteral(call.stackTraces),
    String(call.path.length),
    stringArrayLiteral(call.path.map((e) => e.kind)),
    stringArrayLiteral(call.path.map((e) => e.name)),
    stringArrayLiteral(call.path.map((e) => e.request)),
    `[${pathCallIds.join(',')}]`,
    nullableStringLiteral(call.referringPage),
    stringArrayLiteral(call.proxies),
    derivedSeq.toString(),
    writeId.toString(),
  ];
  return `,${values.join(',')}`;
}

export function writeCallRow(traceBytes: Uint8Array, rowText: string, out: ValuesWriter): void {
  out.openRow().bytes(traceBytes).text(rowText).closeRow();
}

/** What `getTraceCalls` selects; `callFromRow` reads these keys. */
export const CALL_SELECT = `call_id, synthetic, kind, service, request, resource_id, instance, k8s_cluster, k8s_node, k8s_namespace,
  k8s_pod, k8s_workload, start_time_ns, duration_ns, failed, failure_reason, stack_traces, path_kinds, path_names, path_requests,
  path_call_ids, referring_page, proxies`;

/** A JSON row of `CALL_SELECT` back into the `ServiceCall` it was made from. */
export function callFromRow(traceHex: string, row: Record<string, unknown>): ServiceCall {
  const kinds = strings(row['path_kinds']);
  const names = strings(row['path_names']);
  const requests = strings(row['path_requests']);
  const callIds = strings(row['path_call_ids']).map(BigInt);
  const path: PathEntry[] = kinds.map((kind, i) => ({
    kind: kind as CallerKind,
    name: names[i]!,
    request: requests[i]!,
    callId: callIds[i] === 0n ? '' : id64Hex(callIds[i]!),
  }));
  return {
    traceId: traceHex,
    callId: id64Hex(BigInt(String(row['call_id']))),
    synthetic: Number(row['synthetic']) === 1,
    kind: row['kind'] as ServiceKind,
    service: String(row['service']),
    request: String(row['request']),
    resourceId: row['resource_id'] === null ? null : id64Hex(BigInt(String(row['resource_id']))),
    instance: nullableString(row['instance']),
    k8s: {
      cluster: nullableString(row['k8s_cluster']),
      node: nullableString(row['k8s_node']),
      namespace: nullableString(row['k8s_namespace']),
      pod: nullableString(row['k8s_pod']),
      workload: nullableString(row['k8s_workload']),
    },
    startTimeUnixNano: BigInt(String(row['start_time_ns'])),
    durationNanos: BigInt(String(row['duration_ns'])),
    failed: Number(row['failed']) === 1,
    failureReason: nullableString(row['failure_reason']),
    stackTraces: strings(row['stack_traces']),
    path,
    referringPage: nullableString(row['referring_page']),
    proxies: strings(row['proxies']),
  };
}

export function id64Hex(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}

function strings(value: unknown): string[] {
  if (!Array.isArray(value)) throw new StorageError(`expected an array in a ClickHouse row, got ${JSON.stringify(value)}`);
  return value.map(String);
}

function nullableString(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
