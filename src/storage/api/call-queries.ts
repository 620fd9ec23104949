import type { CallerKind, KubernetesContext, ServiceKind } from '../../model/service.js';
import type { ReadOptions } from './read-options.js';

/**
 * The aggregation queries the analyses push down into the store (the fast path). Each returns
 * flat groups; `analysis/` folds them into the trees of DESIGN.md §3. Every method has an
 * obviously-correct twin in `analysis/oracle` computed from whole traces, and the two are
 * differential-tested on random topologies.
 *
 * Semantics shared by every method (DESIGN.md §2–§3):
 * - **Focal calls**: calls of `service` (kind and name), of `request` when given, whose start time
 *   lies in `[fromUnixNano, toUnixNano)`, and — when `chain` is given — that match the chain.
 * - **Chain match**: a focal call F matches when some root-to-leaf line of calls through F
 *   contains a contiguous caller→callee run of calls matching `chain` step by step (a step matches
 *   a call with that name, and that kind and request when the step gives them). Equivalently:
 *   some call X that is F or a descendant of F has `path(X) + X` containing the run.
 * - Ancestors and descendants of focal calls count whatever their own start time.
 * - Only real calls appear in paths; synthetic calls are leaves.
 */
export interface FocalFilter {
  readonly fromUnixNano: bigint;
  readonly toUnixNano: bigint;
  readonly service: ServiceRef;
  readonly request?: string;
  readonly chain?: readonly ChainStep[];
}

export interface ServiceRef {
  readonly kind: ServiceKind;
  readonly name: string;
}

/** A backtrace node's service: like `ServiceRef`, but the `unknown` caller is a node too. */
export interface NodeRef {
  readonly kind: CallerKind;
  readonly name: string;
}

export interface ChainStep {
  readonly name: string;
  /** When absent, any kind. */
  readonly kind?: ServiceKind;
  /** When absent, any request name. */
  readonly request?: string;
}

export interface PathStep {
  readonly kind: CallerKind;
  readonly name: string;
  readonly request: string;
}

/** Focal calls that share one caller path and one request name. */
export interface BacktraceGroup {
  /** The focal calls' path, root first (as `ServiceCall.path`, without call ids). */
  readonly path: readonly PathStep[];
  /** The focal calls' own request name. */
  readonly request: string;
  readonly calls: number;
  readonly failed: number;
}

/** Calls reached from focal calls along one relative path of services. */
export interface FlowGroup {
  /** Services from the focal call (excluded) down to this node (included): the node's position. */
  readonly path: readonly ServiceRef[];
  /** Calls that reached this node along this path. */
  readonly calls: number;
  /** Distinct focal calls with at least one such call. */
  readonly requests: number;
  /** Of `calls`, how many failed. */
  readonly failed: number;
  /** Response time of `calls`, milliseconds. p50/p90: nearest-rank on the calls' durations. */
  readonly durationP50Ms: number;
  readonly durationP90Ms: number;
  readonly durationTotalMs: number;
}

/** What a backtrace node's details panel shows, for exactly the focal calls under that node. */
export interface BacktraceDetails {
  readonly requests: number;
  readonly failed: number;
  /** Failure reasons of the failed focal calls, most frequent first (ties by reason). */
  readonly failureReasons: readonly { readonly reason: string; readonly count: number }[];
  readonly stackTraces: readonly { readonly stackTrace: string; readonly count: number }[];
  readonly referringPages: readonly { readonly page: string; readonly count: number }[];
  readonly proxies: readonly { readonly proxy: string; readonly count: number }[];
  /** Instances of the node's own service on those paths (for the root: the focal calls'). */
  readonly instances: readonly InstanceGroup[];
  /** Up to `exemplarLimit` trace ids, failed ones first, then newest first. */
  readonly exemplarTraceIds: readonly string[];
}

export interface InstanceGroup {
  readonly instance: string | null;
  readonly k8s: KubernetesContext;
  readonly requests: number;
  readonly failed: number;
}

export interface TimeRange {
  readonly fromUnixNano: bigint;
  readonly toUnixNano: bigint;
}

/**
 * Restricts calls to a zone: a call is in it when its resource is one of `resourceIds`; a
 * synthetic call (no resource) is in it when its caller's call is.
 */
export interface ZoneFilter {
  readonly resourceIds: readonly string[];
}

/** One row of the services list: every service with calls starting in the window. */
export interface ServiceSummary {
  readonly kind: ServiceKind;
  readonly name: string;
  readonly requests: number;
  readonly failed: number;
  readonly durationP50Ms: number;
  readonly durationP90Ms: number;
  readonly durationP99Ms: number;
  /** Distinct caller services (kind, name) of those calls; the `unknown` caller counts as one. */
  readonly callers: number;
  /** Distinct services called by those calls. */
  readonly callees: number;
  /** Distinct non-null instances. */
  readonly instances: number;
  /** Distinct non-null values, sorted. */
  readonly namespaces: readonly string[];
  readonly workloads: readonly string[];
  readonly nodes: readonly string[];
}

export interface HopCount {
  readonly kind: CallerKind;
  readonly name: string;
  readonly calls: number;
  readonly failed: number;
}

export interface RequestSummary {
  readonly name: string;
  readonly requests: number;
  readonly failed: number;
  readonly durationP50Ms: number;
  readonly durationP90Ms: number;
  readonly durationP99Ms: number;
}

export interface InstanceSummary extends InstanceGroup {
  readonly durationP50Ms: number;
}

/** One hop around the focal calls (the service overview's raw material). */
export interface ServiceNeighbourhood {
  /** Callers of the focal calls, by caller service: calls = focal calls, failed = failed focal calls. */
  readonly callers: readonly HopCount[];
  /** Focal calls with no caller (the request started at the service). */
  readonly startedHere: number;
  /** Calls made directly by focal calls, by callee service: calls = those calls, failed = those that failed. */
  readonly callees: readonly HopCount[];
  readonly requests: readonly RequestSummary[];
  readonly instances: readonly InstanceSummary[];
}

export interface FailureSummary {
  readonly requests: number;
  readonly failed: number;
  readonly reasons: readonly { readonly reason: string; readonly count: number }[];
  readonly stackTraces: readonly { readonly stackTrace: string; readonly count: number }[];
  /** Focal calls per bucket of `bucketMs` from `fromUnixNano`; every bucket of the window, empty ones too. */
  readonly timeline: readonly { readonly startUnixNano: bigint; readonly requests: number; readonly failed: number }[];
}

export interface TraceQuery extends TimeRange {
  /** Traces with a call of this service (in the window, matching `request` and `chain` when given). */
  readonly service?: ServiceRef;
  readonly request?: string;
  readonly chain?: readonly ChainStep[];
  /** Only traces with a failed call (of `service` when given). */
  readonly failedOnly?: boolean;
  readonly minDurationMs?: number;
  readonly maxDurationMs?: number;
  readonly zone?: ZoneFilter;
  readonly limit: number;
}

/** A traces-list row. A trace is in the window when its first span starts in it. */
export interface TraceSummary {
  readonly traceId: string;
  /** The root call's service and request; `unknown` when the root span never arrived. */
  readonly rootKind: CallerKind;
  readonly rootService: string;
  readonly rootRequest: string;
  readonly startTimeUnixNano: bigint;
  readonly durationMs: number;
  readonly spanCount: number;
  /** Spans with status ERROR. */
  readonly errorCount: number;
}

/**
 * The analysis queries of the fast path. Results are deterministic: lists of counts are ordered
 * most first, ties by kind then name (services), by name (requests, reasons, pages, proxies,
 * stack traces) or by instance (nulls last); durations are milliseconds, percentiles nearest-rank
 * (`sorted[ceil(q·n) − 1]`). Every method takes `ReadOptions` last: an aborted signal stops the
 * query (read-options.ts).
 */
export interface CallAnalytics {
  /** Focal calls grouped by (path, request). Unordered. */
  backtraceGroups(filter: FocalFilter, options?: ReadOptions): Promise<BacktraceGroup[]>;
  /**
   * Details of the backtrace node at `nodePath`: the services from that node down to (excluding)
   * the focal service, caller first; empty for the root. Exactly the focal calls whose path ends
   * with `nodePath` (kinds and names) count.
   */
  backtraceDetails(filter: FocalFilter, nodePath: readonly NodeRef[], exemplarLimit: number, options?: ReadOptions): Promise<BacktraceDetails>;
  /** Flow groups; the group with an empty path is the focal calls themselves. Unordered. */
  flowGroups(filter: FocalFilter, options?: ReadOptions): Promise<FlowGroup[]>;
  /** Ordered by kind, then name. */
  serviceSummaries(range: TimeRange, zone?: ZoneFilter, options?: ReadOptions): Promise<ServiceSummary[]>;
  serviceNeighbourhood(filter: FocalFilter, options?: ReadOptions): Promise<ServiceNeighbourhood>;
  failures(filter: FocalFilter, bucketMs: number, options?: ReadOptions): Promise<FailureSummary>;
  /** Newest first (start time desc, then trace id). */
  findTraces(query: TraceQuery, options?: ReadOptions): Promise<TraceSummary[]>;
  /** The kinds under which a service of this name has calls (any time), e.g. `['service', 'external']`. */
  serviceKinds(name: string, options?: ReadOptions): Promise<ServiceKind[]>;
  /** Resources whose attributes are known to the store (for zone matching): hex id → flattened attributes. */
  listResources(options?: ReadOptions): Promise<Map<string, Record<string, string>>>;
}
