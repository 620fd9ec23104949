/**
 * What the in-memory analytics compute with: the stored calls of each trace, and the few
 * relations between calls that a materialized path gives without building any tree.
 */
import type { ServiceCall } from '../../model/call.js';
import { compareText } from '../api/ordering.js';

export { compareInstanceGroups, compareText } from '../api/ordering.js';

/** Every call of one trace. */
export type TraceCallList = readonly ServiceCall[];

/**
 * Where `focal`'s call sits on `x`'s path (an index into `x.path`), or -1 when `x` is not below it.
 * A synthetic call is a leaf and has nothing below it; the `unknown` entry is no call.
 */
export function positionBelow(x: ServiceCall, focal: ServiceCall): number {
  if (focal.synthetic) return -1;
  return x.path.findIndex((entry) => entry.kind !== 'unknown' && entry.callId === focal.callId);
}

/** The call that made `call` (its last path entry), among the real calls of its trace; undefined for a root or an orphan. */
export function callerOf(call: ServiceCall, trace: TraceCallList): ServiceCall | undefined {
  const link = call.path.at(-1);
  if (link === undefined || link.kind === 'unknown') return undefined;
  return trace.find((c) => !c.synthetic && c.callId === link.callId);
}

/** The line of `call`: its path, then the call itself, as (kind, name, request). */
export function lineOf(call: ServiceCall): { kind: string; name: string; request: string }[] {
  return [...call.path.map((p) => ({ kind: p.kind, name: p.name, request: p.request })), { kind: call.kind, name: call.service, request: call.request }];
}

export function startsIn(call: ServiceCall, range: { readonly fromUnixNano: bigint; readonly toUnixNano: bigint }): boolean {
  return call.startTimeUnixNano >= range.fromUnixNano && call.startTimeUnixNano < range.toUnixNano;
}

export function ranked(values: Iterable<string>): { value: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || compareText(a.value, b.value));
}

/** Nearest-rank percentile (`sorted[ceil(q·n) − 1]`) of nanosecond durations, in ms; 0 for none. */
export function percentileMs(durations: readonly bigint[], q: number): number {
  if (durations.length === 0) return 0;
  const sorted = [...durations].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Number(sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!) / 1e6;
}

/** The exact sum in nanoseconds, converted to ms once. */
export function totalMs(durations: readonly bigint[]): number {
  return Number(durations.reduce((sum, d) => sum + d, 0n)) / 1e6;
}

/** Tallies (kind, name) or any other composite key with a JSON key. */
export class Tally<K, V> {
  private readonly entries = new Map<string, { key: K; value: V }>();
  constructor(private readonly create: () => V) {}

  get(key: K): V {
    const text = JSON.stringify(key);
    let entry = this.entries.get(text);
    if (entry === undefined) this.entries.set(text, (entry = { key, value: this.create() }));
    return entry.value;
  }

  list(): { key: K; value: V }[] {
    return [...this.entries.values()];
  }
}
