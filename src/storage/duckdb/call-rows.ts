/**
 * Reading `calls` rows back into `ServiceCall`s (written by `call-chunks.ts`). The path is
 * stored as parallel lists (see `schema.ts`); call ids are trace-local ordinals into the trace's
 * `derivations.call_ids` (`trace-call-ids.ts`), and a NULL in `path_call_ids` stands for the ''
 * call id of the `unknown` caller.
 */
import type { DuckDBListValue, DuckDBValue } from '@duckdb/node-api';
import type { PathEntry, ServiceCall } from '../../model/call.js';
import type { CallerKind, ServiceKind } from '../../model/service.js';
import { StorageError } from '../api/storage.js';
import { id64Hex } from './id-codec.js';

/**
 * What `getTraceCalls` selects from `calls c` joined with its path's `call_paths p` row;
 * `callFromRow` reads rows in this order.
 */
export const CALL_SELECT_COLUMNS = [
  ...['call_id', 'synthetic', 'kind', 'service', 'request', 'resource_id', 'instance', 'k8s_cluster', 'k8s_node', 'k8s_namespace', 'k8s_pod', 'k8s_workload', 'start_time_ns', 'duration_ns', 'failed', 'failure_reason', 'stack_traces'].map((name) => `c.${name}`),
  'p.path_kinds',
  'p.path_names',
  'p.path_requests',
  ...['path_call_ids', 'referring_page', 'proxies'].map((name) => `c.${name}`),
].join(', ');

/** The FROM clause `CALL_SELECT_COLUMNS` reads. */
export const CALL_SELECT_FROM = 'calls c JOIN call_paths p ON p.path_key = c.path_key';

/**
 * A row of `CALL_SELECT_COLUMNS` back into the `ServiceCall` it was made from; `ids` is its
 * trace's `derivations.call_ids` (`idsOfBlob`), what its ordinals stand for.
 */
export function callFromRow(traceHex: string, row: readonly DuckDBValue[], ids: readonly bigint[]): ServiceCall {
  const idOf = (ordinal: DuckDBValue): string => {
    const id = ids[(ordinal as number) - 1];
    if (id === undefined) throw new StorageError(`trace ${traceHex} names call ordinal ${String(ordinal)}, but its derivation holds ${ids.length} ids`);
    return id64Hex(id);
  };
  const [callId, synthetic, kind, service, request, resourceId, instance, cluster, node, namespace, pod, workload, start, duration, failed, failureReason, stackTraces, pathKinds, pathNames, pathRequests, pathCallIds, referringPage, proxies] = row;
  const kinds = strings(pathKinds);
  const names = strings(pathNames);
  const requests = strings(pathRequests);
  const callIds = (pathCallIds as DuckDBListValue).items;
  const path: PathEntry[] = kinds.map((k, i) => ({
    kind: k as CallerKind,
    name: names[i]!,
    request: requests[i]!,
    callId: callIds[i] === null ? '' : idOf(callIds[i]!),
  }));
  return {
    traceId: traceHex,
    callId: idOf(callId!),
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
