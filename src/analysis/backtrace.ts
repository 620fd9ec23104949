import type { CallerKind } from '../model/service.js';
import type { BacktraceGroup, ServiceRef } from '../storage/api/call-queries.js';

/** A request name with the focal calls under it (DESIGN.md §4 backtrace JSON). */
export interface RequestCount {
  readonly name: string;
  readonly requests: number;
  readonly failed: number;
}

/**
 * One node of a backtrace: a service at one position of the caller tree, read upward from the
 * focal service. Every count is a count of focal calls (failed = failed at the focal service).
 */
export interface BacktraceNode {
  readonly kind: CallerKind;
  readonly name: string;
  readonly requests: number;
  readonly failed: number;
  /** This node's own request names on those paths (for the root: the focal service's). */
  readonly calls: readonly RequestCount[];
  /** The request names of the next node toward the focal service that this node called. Absent on the root. */
  readonly sentToNext?: readonly RequestCount[];
  readonly callers: readonly BacktraceNode[];
}

interface MutableNode {
  kind: CallerKind;
  name: string;
  requests: number;
  failed: number;
  calls: Map<string, { requests: number; failed: number }>;
  sentToNext: Map<string, { requests: number; failed: number }> | undefined;
  callers: Map<string, MutableNode>;
}

/**
 * Folds backtrace groups into the caller tree rooted at the focal service. Paths merge by
 * service: a node is one (kind, name) at one position, keyed by the services between it and the root.
 */
export function foldBacktrace(service: ServiceRef, groups: readonly BacktraceGroup[]): BacktraceNode {
  const root = newNode(service.kind, service.name, false);
  for (const group of groups) {
    add(root, group.request, undefined, group.calls, group.failed);
    let node = root;
    let nextRequest = group.request;
    for (let i = group.path.length - 1; i >= 0; i--) {
      const step = group.path[i]!;
      const key = `${step.kind}\u0000${step.name}`;
      let caller = node.callers.get(key);
      if (caller === undefined) node.callers.set(key, (caller = newNode(step.kind, step.name, true)));
      add(caller, step.request, nextRequest, group.calls, group.failed);
      nextRequest = step.request;
      node = caller;
    }
  }
  return freeze(root);
}

function newNode(kind: CallerKind, name: string, hasNext: boolean): MutableNode {
  return { kind, name, requests: 0, failed: 0, calls: new Map(), sentToNext: hasNext ? new Map() : undefined, callers: new Map() };
}

function add(node: MutableNode, request: string, sentToNext: string | undefined, calls: number, failed: number): void {
  node.requests += calls;
  node.failed += failed;
  bump(node.calls, request, calls, failed);
  if (node.sentToNext && sentToNext !== undefined) bump(node.sentToNext, sentToNext, calls, failed);
}

function bump(counts: Map<string, { requests: number; failed: number }>, name: string, requests: number, failed: number): void {
  const entry = counts.get(name);
  if (entry) {
    entry.requests += requests;
    entry.failed += failed;
  } else {
    counts.set(name, { requests, failed });
  }
}

/** Most requests first; ties by name, so the output is deterministic. */
export function sortedCounts(counts: Map<string, { requests: number; failed: number }>): RequestCount[] {
  return [...counts]
    .map(([name, c]) => ({ name, requests: c.requests, failed: c.failed }))
    .sort((a, b) => b.requests - a.requests || compareText(a.name, b.name));
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function freeze(node: MutableNode): BacktraceNode {
  const callers = [...node.callers.values()]
    .map(freeze)
    .sort((a, b) => b.requests - a.requests || compareText(a.kind, b.kind) || compareText(a.name, b.name));
  return {
    kind: node.kind,
    name: node.name,
    requests: node.requests,
    failed: node.failed,
    calls: sortedCounts(node.calls),
    ...(node.sentToNext ? { sentToNext: sortedCounts(node.sentToNext) } : {}),
    callers,
  };
}
