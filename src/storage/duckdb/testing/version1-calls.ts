/**
 * Call rows as a version-1 store held them (every `calls` column but `path_key`, texts as text),
 * for the migration tests, which write such a store by hand and open it with today's code.
 */
import { BIGINT, BOOLEAN, LIST, UBIGINT, UHUGEINT, UINTEGER, VARCHAR, listValue } from '@duckdb/node-api';
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { ServiceCall } from '../../../model/call.js';
import { parseId64 } from '../id-codec.js';

/** The version-1 `calls` column types, in table order. */
export const VERSION_1_CALL_TYPES: readonly DuckDBType[] = [
  UHUGEINT, UBIGINT, BOOLEAN, VARCHAR, VARCHAR, VARCHAR, UBIGINT, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR,
  BIGINT, BIGINT, BOOLEAN, VARCHAR, LIST(VARCHAR), UINTEGER, LIST(VARCHAR), LIST(VARCHAR), LIST(VARCHAR), LIST(UBIGINT),
  VARCHAR, LIST(VARCHAR), UBIGINT,
];

export function version1CallValues(traceId: bigint, call: ServiceCall, derivedSeq: bigint): DuckDBValue[] {
  return [
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
    call.startTimeUnixNano,
    call.durationNanos,
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
}
