import { foldBacktrace, type BacktraceNode } from '../analysis/backtrace.js';
import { foldFlow, type FlowNode } from '../analysis/flow.js';
import type { KubernetesContext, ServiceKind } from '../model/service.js';
import type {
  BacktraceDetails,
  CallAnalytics,
  ChainStep,
  FocalFilter,
  HopCount,
  NodeRef,
  ServiceRef,
  TraceSummary,
  ZoneFilter,
} from '../storage/api/call-queries.js';
import { msToUnixNano, type Window } from './time.js';

/** A service addressed by name and, optionally, kind (DESIGN.md §3). */
export interface ServiceQuery {
  readonly name: string;
  readonly kind?: ServiceKind;
  readonly window: Window;
  readonly request?: string;
  readonly chain?: readonly ChainStep[];
}

export type QueryResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: 404; readonly code: 'not_found'; readonly message: string };

export interface BacktraceJson {
  readonly service: string;
  readonly kind: ServiceKind;
  readonly from: string;
  readonly to: string;
  readonly requests: number;
  readonly failed: number;
  readonly tree: BacktraceNode;
}

export interface FlowJson {
  readonly service: string;
  readonly kind: ServiceKind;
  readonly from: string;
  readonly to: string;
  readonly requests: number;
  readonly failed: number;
  readonly tree: FlowNode;
}

/**
 * Resolves `name` + optional `kind` to a service: an explicit kind must exist; without one, the
 * instrumented service (or browser application) of that name wins over a synthetic callee.
 */
export async function resolveService(store: CallAnalytics, name: string, kind: ServiceKind | undefined): Promise<QueryResult<ServiceRef>> {
  const kinds = await store.serviceKinds(name);
  const preference: ServiceKind[] = ['service', 'application', 'database', 'messaging', 'external'];
  const chosen = kind !== undefined ? (kinds.includes(kind) ? kind : undefined) : preference.find((k) => kinds.includes(k));
  if (chosen === undefined) {
    return { ok: false, status: 404, code: 'not_found', message: `no ${kind ? `${kind} ` : ''}service named ${JSON.stringify(name)}` };
  }
  return { ok: true, value: { kind: chosen, name } };
}

export function focalFilter(service: ServiceRef, query: ServiceQuery): FocalFilter {
  return {
    fromUnixNano: msToUnixNano(query.window.fromMs),
    toUnixNano: msToUnixNano(query.window.toMs),
    service,
    ...(query.request !== undefined ? { request: query.request } : {}),
    ...(query.chain !== undefined && query.chain.length > 0 ? { chain: query.chain } : {}),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The answer shape of backtrace and flow: the focal service, the window, totals and the tree. */
async function treeAnswer<T extends { readonly requests: number; readonly failed: number }>(
  store: CallAnalytics,
  query: ServiceQuery,
  build: (service: ServiceRef, filter: FocalFilter) => Promise<T>,
): Promise<QueryResult<{ service: string; kind: ServiceKind; from: string; to: string; requests: number; failed: number; tree: T }>> {
  const service = await resolveService(store, query.name, query.kind);
  if (!service.ok) return service;
  const tree = await build(service.value, focalFilter(service.value, query));
  return {
    ok: true,
    value: { service: query.name, kind: service.value.kind, from: iso(query.window.fromMs), to: iso(query.window.toMs), requests: tree.requests, failed: tree.failed, tree },
  };
}

export function backtrace(store: CallAnalytics, query: ServiceQuery): Promise<QueryResult<BacktraceJson>> {
  return treeAnswer(store, query, async (service, filter) => foldBacktrace(service, await store.backtraceGroups(filter)));
}

export function flow(store: CallAnalytics, query: ServiceQuery): Promise<QueryResult<FlowJson>> {
  return treeAnswer(store, query, async (service, filter) => foldFlow(service, await store.flowGroups(filter)));
}

export interface BacktraceDetailsJson extends BacktraceDetails {
  readonly service: string;
  readonly kind: ServiceKind;
  readonly path: readonly NodeRef[];
}

export async function backtraceDetails(
  store: CallAnalytics,
  query: ServiceQuery,
  nodePath: readonly ChainStep[],
  exemplarLimit = 20,
): Promise<QueryResult<BacktraceDetailsJson>> {
  const service = await resolveService(store, query.name, query.kind);
  if (!service.ok) return service;
  const filter = focalFilter(service.value, query);
  const path = await resolveNodePath(store, filter, nodePath);
  const details = await store.backtraceDetails(filter, path, exemplarLimit);
  return { ok: true, value: { service: query.name, kind: service.value.kind, path, ...details } };
}

/**
 * A node path names services from the node down to the focal service's caller; a step without a
 * kind takes the kind of the backtrace node with that name at that position (an application, the
 * `unknown` caller, …), so `orders-web > frontend` works without spelling out kinds.
 */
async function resolveNodePath(store: CallAnalytics, filter: FocalFilter, nodePath: readonly ChainStep[]): Promise<NodeRef[]> {
  const fallback = (step: ChainStep): NodeRef => ({ kind: step.kind ?? 'service', name: step.name });
  if (nodePath.every((step) => step.kind !== undefined)) return nodePath.map(fallback);
  for (const group of await store.backtraceGroups(filter)) {
    if (group.path.length < nodePath.length) continue;
    const tail = group.path.slice(group.path.length - nodePath.length);
    if (tail.every((entry, i) => entry.name === nodePath[i]!.name && (nodePath[i]!.kind === undefined || entry.kind === nodePath[i]!.kind))) {
      return tail.map((entry) => ({ kind: entry.kind, name: entry.name }));
    }
  }
  return nodePath.map(fallback);
}

export interface ServiceListJson {
  readonly from: string;
  readonly to: string;
  readonly zone: string | null;
  readonly services: readonly {
    readonly kind: ServiceKind;
    readonly name: string;
    readonly requests: number;
    readonly failed: number;
    readonly failureRate: number;
    readonly durationMs: { readonly p50: number; readonly p90: number; readonly p99: number };
    readonly callers: number;
    readonly callees: number;
    readonly instances: number;
    readonly k8s: { readonly namespaces: readonly string[]; readonly workloads: readonly string[]; readonly nodes: readonly string[] };
  }[];
}

export async function services(store: CallAnalytics, window: Window, zone?: { name: string; filter: ZoneFilter }): Promise<ServiceListJson> {
  const rows = await store.serviceSummaries({ fromUnixNano: msToUnixNano(window.fromMs), toUnixNano: msToUnixNano(window.toMs) }, zone?.filter);
  return {
    from: iso(window.fromMs),
    to: iso(window.toMs),
    zone: zone?.name ?? null,
    services: rows.map((r) => ({
      kind: r.kind,
      name: r.name,
      requests: r.requests,
      failed: r.failed,
      failureRate: rate(r.failed, r.requests),
      durationMs: { p50: r.durationP50Ms, p90: r.durationP90Ms, p99: r.durationP99Ms },
      callers: r.callers,
      callees: r.callees,
      instances: r.instances,
      k8s: { namespaces: r.namespaces, workloads: r.workloads, nodes: r.nodes },
    })),
  };
}

export interface ServiceOverviewJson {
  readonly service: string;
  readonly kind: ServiceKind;
  readonly from: string;
  readonly to: string;
  readonly requests: number;
  readonly failed: number;
  readonly failureRate: number;
  readonly callers: readonly HopCount[];
  readonly startedHere: number;
  readonly callees: readonly HopCount[];
  readonly requestNames: readonly { name: string; requests: number; failed: number; failureRate: number; durationMs: { p50: number; p90: number; p99: number } }[];
  readonly instances: readonly { instance: string | null; k8s: KubernetesContext; requests: number; failed: number; durationMs: { p50: number } }[];
  readonly k8s: { readonly clusters: readonly string[]; readonly namespaces: readonly string[]; readonly workloads: readonly string[]; readonly nodes: readonly string[]; readonly pods: readonly string[] };
}

export async function serviceOverview(store: CallAnalytics, query: ServiceQuery): Promise<QueryResult<ServiceOverviewJson>> {
  const service = await resolveService(store, query.name, query.kind);
  if (!service.ok) return service;
  const n = await store.serviceNeighbourhood(focalFilter(service.value, query));
  const requests = n.requests.reduce((sum, r) => sum + r.requests, 0);
  const failed = n.requests.reduce((sum, r) => sum + r.failed, 0);
  const distinct = (pick: (k: (typeof n.instances)[number]['k8s']) => string | null) =>
    [...new Set(n.instances.map((i) => pick(i.k8s)).filter((v): v is string => v !== null))].sort();
  return {
    ok: true,
    value: {
      service: query.name,
      kind: service.value.kind,
      from: iso(query.window.fromMs),
      to: iso(query.window.toMs),
      requests,
      failed,
      failureRate: rate(failed, requests),
      callers: n.callers,
      startedHere: n.startedHere,
      callees: n.callees,
      requestNames: n.requests.map((r) => ({
        name: r.name,
        requests: r.requests,
        failed: r.failed,
        failureRate: rate(r.failed, r.requests),
        durationMs: { p50: r.durationP50Ms, p90: r.durationP90Ms, p99: r.durationP99Ms },
      })),
      instances: n.instances.map((i) => ({ instance: i.instance, k8s: i.k8s, requests: i.requests, failed: i.failed, durationMs: { p50: i.durationP50Ms } })),
      k8s: {
        clusters: distinct((k) => k.cluster),
        namespaces: distinct((k) => k.namespace),
        workloads: distinct((k) => k.workload),
        nodes: distinct((k) => k.node),
        pods: distinct((k) => k.pod),
      },
    },
  };
}

export interface FailuresJson {
  readonly service: string;
  readonly kind: ServiceKind;
  readonly from: string;
  readonly to: string;
  readonly requests: number;
  readonly failed: number;
  readonly failureRate: number;
  readonly reasons: readonly { reason: string; count: number }[];
  readonly stackTraces: readonly { stackTrace: string; count: number }[];
  readonly bucketMs: number;
  readonly timeline: readonly { start: string; requests: number; failed: number }[];
}

/** About 60 buckets over the window, rounded to a whole second. */
export function bucketFor(window: Window): number {
  return Math.max(1_000, Math.ceil((window.toMs - window.fromMs) / 60 / 1_000) * 1_000);
}

export async function failures(store: CallAnalytics, query: ServiceQuery): Promise<QueryResult<FailuresJson>> {
  const service = await resolveService(store, query.name, query.kind);
  if (!service.ok) return service;
  const bucketMs = bucketFor(query.window);
  const f = await store.failures(focalFilter(service.value, query), bucketMs);
  return {
    ok: true,
    value: {
      service: query.name,
      kind: service.value.kind,
      from: iso(query.window.fromMs),
      to: iso(query.window.toMs),
      requests: f.requests,
      failed: f.failed,
      failureRate: rate(f.failed, f.requests),
      reasons: f.reasons,
      stackTraces: f.stackTraces,
      bucketMs,
      timeline: f.timeline.map((b) => ({ start: iso(Number(b.startUnixNano / 1_000_000n)), requests: b.requests, failed: b.failed })),
    },
  };
}

export interface TraceListJson {
  readonly from: string;
  readonly to: string;
  readonly traces: readonly (Omit<TraceSummary, 'startTimeUnixNano'> & { start: string; startTimeUnixNano: string })[];
}

export function traceListJson(window: Window, rows: readonly TraceSummary[]): TraceListJson {
  return {
    from: iso(window.fromMs),
    to: iso(window.toMs),
    traces: rows.map((r) => ({ ...r, start: iso(Number(r.startTimeUnixNano / 1_000_000n)), startTimeUnixNano: r.startTimeUnixNano.toString() })),
  };
}

function rate(failed: number, requests: number): number {
  return requests === 0 ? 0 : failed / requests;
}
