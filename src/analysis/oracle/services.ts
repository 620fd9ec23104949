/**
 * The oracle's services list and service kinds (DESIGN.md §3 "Services list").
 */
import { SERVICE_KINDS, type ServiceKind } from '../../model/service.js';
import type { ServiceSummary, TimeRange, ZoneFilter } from '../../storage/api/call-queries.js';
import type { CallNode, OracleTrace } from './call-tree.js';
import { compareText, percentileMs, startsIn } from './focal.js';

/**
 * Whether a call is in the zone (call-queries.ts `ZoneFilter`): a real call when its resource is
 * listed; a synthetic call when the call that made it is.
 */
export function inZone(node: CallNode, zone: ZoneFilter): boolean {
  const owner = node.call.synthetic ? node.caller : node;
  const resourceId = owner?.call.resourceId ?? null;
  return resourceId !== null && zone.resourceIds.includes(resourceId);
}

/**
 * One row per service (kind, name) with a call starting in the window (and in the zone when one
 * is given). Over those calls: `requests`, `failed`, nearest-rank p50/p90/p99 of their durations;
 * `callers`: distinct caller services (kind, name) of those calls, the `unknown` caller counting as
 * one service and a call with no caller counting none; `callees`: distinct services (kind, name)
 * those calls made calls to, whenever those start and whatever their zone; `instances`: distinct
 * non-null instances; `namespaces`/`workloads`/`nodes`: distinct non-null values, sorted.
 * Rows ordered by kind, then name (plain text order of both).
 */
export function oracleServiceSummaries(traces: readonly OracleTrace[], range: TimeRange, zone?: ZoneFilter): ServiceSummary[] {
  const byService = new Map<string, { kind: ServiceKind; name: string; calls: CallNode[] }>();
  for (const trace of traces) {
    for (const node of trace.calls) {
      if (!startsIn(node, range)) continue;
      if (zone !== undefined && !inZone(node, zone)) continue;
      const key = `${node.call.kind}/${node.call.service}`;
      let entry = byService.get(key);
      if (entry === undefined) {
        entry = { kind: node.call.kind, name: node.call.service, calls: [] };
        byService.set(key, entry);
      }
      entry.calls.push(node);
    }
  }

  const rows: ServiceSummary[] = [];
  for (const { kind, name, calls } of byService.values()) {
    const durations = calls.map((n) => n.call.durationNanos);
    const callers = new Set<string>();
    const callees = new Set<string>();
    for (const node of calls) {
      if (node.caller !== undefined) callers.add(`${node.caller.call.kind}/${node.caller.call.service}`);
      else if (node.unknownCaller) callers.add('unknown/unknown');
      for (const child of node.children) callees.add(`${child.call.kind}/${child.call.service}`);
    }
    rows.push({
      kind,
      name,
      requests: calls.length,
      failed: calls.filter((n) => n.call.failed).length,
      durationP50Ms: percentileMs(durations, 0.5),
      durationP90Ms: percentileMs(durations, 0.9),
      durationP99Ms: percentileMs(durations, 0.99),
      callers: callers.size,
      callees: callees.size,
      instances: distinct(calls.map((n) => n.call.instance)).length,
      namespaces: distinct(calls.map((n) => n.call.k8s.namespace)),
      workloads: distinct(calls.map((n) => n.call.k8s.workload)),
      nodes: distinct(calls.map((n) => n.call.k8s.node)),
    });
  }
  return rows.sort((a, b) => compareText(a.kind, b.kind) || compareText(a.name, b.name));
}

/** The kinds under which some call (any time) has this service name, in `SERVICE_KINDS` order. */
export function oracleServiceKinds(traces: readonly OracleTrace[], name: string): ServiceKind[] {
  const kinds = new Set<ServiceKind>();
  for (const trace of traces) for (const node of trace.calls) if (node.call.service === name) kinds.add(node.call.kind);
  return SERVICE_KINDS.filter((kind) => kinds.has(kind));
}

function distinct(values: readonly (string | null)[]): string[] {
  const set = new Set<string>();
  for (const value of values) if (value !== null) set.add(value);
  return [...set].sort(compareText);
}
