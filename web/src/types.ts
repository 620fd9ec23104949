/**
 * The REST API's response types, imported from the server's own declarations so the UI and the
 * API cannot drift apart (type-only: nothing of the server ends up in the bundle).
 */
export type {
  BacktraceDetailsJson,
  BacktraceJson,
  FailuresJson,
  FlowJson,
  ServiceListJson,
  ServiceOverviewJson,
  TraceListJson,
} from '../../src/query/analyses.js';
export type { CallJson, TraceJson } from '../../src/query/trace.js';
export type { BacktraceNode, RequestCount } from '../../src/analysis/backtrace.js';
export type { FlowNode } from '../../src/analysis/flow.js';
export type { CallerKind, KubernetesContext, ServiceKind } from '../../src/model/service.js';

/** `GET /api/v1/zones` (src/api/handlers.ts). */
export interface ZonesJson {
  readonly zones: readonly { readonly name: string; readonly match: string; readonly rules: readonly unknown[] }[];
}

import type { ServiceListJson } from '../../src/query/analyses.js';

/** One row of the services list. */
export type ServiceRow = ServiceListJson['services'][number];
