/**
 * The orders the contract's lists come in (call-queries.ts), shared by every backend so that
 * their answers compare equal element by element. Text compares by UTF-16 code unit (as
 * JavaScript's `<`), not by locale.
 */
import type { InstanceGroup } from './call-queries.js';

/** Code-unit order, the order of every name list in the contract. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code-unit order with NULL last. */
export function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return compareText(a, b);
}

/** Most first, ties by text. */
export function byCountThenText<T>(count: (x: T) => number, text: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => count(b) - count(a) || compareText(text(a), text(b));
}

/** Most first, ties by kind, then name. */
export function byCountThenService<T extends { readonly kind: string; readonly name: string }>(count: (x: T) => number): (a: T, b: T) => number {
  return (a, b) => count(b) - count(a) || compareText(a.kind, b.kind) || compareText(a.name, b.name);
}

/** Most requests first, ties by instance (nulls last), then cluster, node, namespace, pod, workload (nulls last). */
export function compareInstanceGroups(a: InstanceGroup, b: InstanceGroup): number {
  return (
    b.requests - a.requests ||
    compareNullable(a.instance, b.instance) ||
    compareNullable(a.k8s.cluster, b.k8s.cluster) ||
    compareNullable(a.k8s.node, b.k8s.node) ||
    compareNullable(a.k8s.namespace, b.k8s.namespace) ||
    compareNullable(a.k8s.pod, b.k8s.pod) ||
    compareNullable(a.k8s.workload, b.k8s.workload)
  );
}
