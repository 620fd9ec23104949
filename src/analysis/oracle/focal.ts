/**
 * Focal-call selection and the small counting helpers every oracle analysis shares, written for
 * obviousness: plain loops over whole traces.
 */
import type { KubernetesContext } from '../../model/service.js';
import type { ChainStep, FocalFilter, TimeRange } from '../../storage/api/call-queries.js';
import { lineContainsChain } from '../chain.js';
import { linesThrough, type CallNode, type OracleTrace } from './call-tree.js';

/** Whether the call starts in `[from, to)`. */
export function startsIn(node: CallNode, range: TimeRange): boolean {
  const start = node.call.startTimeUnixNano;
  return start >= range.fromUnixNano && start < range.toUnixNano;
}

/**
 * Whether some root-to-leaf line through `node` contains a contiguous run matching `chain`
 * (call-queries.ts "Chain match"). Lines include synthetic leaves and, above an orphan, the
 * `unknown` caller (kind and name `unknown`, request ''), exactly as a materialized path does.
 */
export function chainRunsThrough(node: CallNode, chain: readonly ChainStep[]): boolean {
  for (const line of linesThrough(node)) if (lineContainsChain(line, chain)) return true;
  return false;
}

/**
 * The focal calls of `filter` (call-queries.ts "Focal calls"): the service's calls (kind and name;
 * synthetic callees included), of the request when given, starting in the window, and matching
 * the chain when one is given (an empty chain matches every call). In trace order, then call order.
 */
export function focalCalls(traces: readonly OracleTrace[], filter: FocalFilter): CallNode[] {
  const focal: CallNode[] = [];
  for (const trace of traces) {
    for (const node of trace.calls) {
      const call = node.call;
      if (call.kind !== filter.service.kind || call.service !== filter.service.name) continue;
      if (filter.request !== undefined && call.request !== filter.request) continue;
      if (!startsIn(node, filter)) continue;
      if (filter.chain !== undefined && !chainRunsThrough(node, filter.chain)) continue;
      focal.push(node);
    }
  }
  return focal;
}

/** Plain code-unit order, the order every list of the analyses uses for names. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Nulls after every value. */
export function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return compareText(a, b);
}

/** How often each value occurs, most first, ties by value. */
export function rankedCounts(values: Iterable<string>): [value: string, count: number][] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
}

/** Nanoseconds as milliseconds, a double, the way the analyses report every duration. */
export function nanosToMs(nanos: bigint): number {
  return Number(nanos) / 1e6;
}

/** Nearest-rank percentile (`sorted[ceil(q·n) − 1]`) of durations in nanoseconds, in ms; 0 for none. */
export function percentileMs(durationsNanos: readonly bigint[], q: number): number {
  if (durationsNanos.length === 0) return 0;
  const sorted = [...durationsNanos].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return nanosToMs(sorted[rank - 1]!);
}

/** The exact sum of durations, converted to ms once (so the result does not depend on summation order). */
export function totalMs(durationsNanos: readonly bigint[]): number {
  let sum = 0n;
  for (const d of durationsNanos) sum += d;
  return nanosToMs(sum);
}

/** An instance with its Kubernetes context, the unit instance lists group by. */
export interface InstanceKey {
  readonly instance: string | null;
  readonly k8s: KubernetesContext;
}

export function instanceKeyText(key: InstanceKey): string {
  const k = key.k8s;
  return JSON.stringify([key.instance, k.cluster, k.node, k.namespace, k.pod, k.workload]);
}

/** Instance (nulls last), then the Kubernetes fields in declaration order (nulls last). */
export function compareInstanceKeys(a: InstanceKey, b: InstanceKey): number {
  return (
    compareNullable(a.instance, b.instance) ||
    compareNullable(a.k8s.cluster, b.k8s.cluster) ||
    compareNullable(a.k8s.node, b.k8s.node) ||
    compareNullable(a.k8s.namespace, b.k8s.namespace) ||
    compareNullable(a.k8s.pod, b.k8s.pod) ||
    compareNullable(a.k8s.workload, b.k8s.workload)
  );
}

export const NO_K8S: KubernetesContext = Object.freeze({ cluster: null, node: null, namespace: null, pod: null, workload: null });
