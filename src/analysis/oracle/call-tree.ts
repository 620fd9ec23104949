/**
 * The oracle's view of one trace: its calls (from `deriveCalls`) linked into a tree by their
 * parent link alone. Everything else the analyses need (ancestors, descendants, root-to-leaf lines)
 * is computed here by walking that tree, never read from a call's materialized `path`: the point
 * of the oracle is to be independent of the materialization the fast path relies on.
 */
import type { ServiceCall } from '../../model/call.js';
import type { CallerKind } from '../../model/service.js';
import type { SpanSkeleton } from '../../model/skeleton.js';
import { deriveCalls, type DerivationOptions } from '../derive-calls.js';

/** One call with its links. */
export interface CallNode {
  readonly call: ServiceCall;
  /** The call that made this one; undefined for a root (a request that started here or an orphan). */
  caller: CallNode | undefined;
  /** The starting span names a parent that never arrived: the caller is the `unknown` service. */
  readonly unknownCaller: boolean;
  /** The calls this call made (synthetic ones included), in derivation order. */
  readonly children: CallNode[];
}

export interface OracleTrace {
  readonly traceId: string;
  /** The skeletons as given, for the span-level facts of the traces list. */
  readonly spans: readonly SpanSkeleton[];
  /** Every call of the trace, in derivation order (start time, call id, real before synthetic). */
  readonly calls: readonly CallNode[];
}

/**
 * One position on a line of calls: a call, or the `unknown` caller standing above an orphan.
 * `node` is undefined exactly for the `unknown` marker (kind and name `unknown`, request '').
 */
export interface LineStep {
  readonly kind: CallerKind;
  readonly name: string;
  readonly request: string;
  readonly node: CallNode | undefined;
}

/** Derives the calls of one trace and links them. Throws when a parent link names no call (a derivation bug). */
export function buildOracleTrace(traceId: string, spans: readonly SpanSkeleton[], options: DerivationOptions): OracleTrace {
  const { calls } = deriveCalls(traceId, spans, options);
  const nodes: CallNode[] = calls.map((call) => {
    const link = call.path.at(-1);
    return { call, caller: undefined, unknownCaller: link !== undefined && link.kind === 'unknown', children: [] };
  });
  // Only real calls make calls; a synthetic call shares its call id with its client span's call at most.
  const realById = new Map<string, CallNode>();
  for (const node of nodes) if (!node.call.synthetic) realById.set(node.call.callId, node);
  for (const node of nodes) {
    const link = node.call.path.at(-1);
    if (link === undefined || link.kind === 'unknown') continue;
    const caller = realById.get(link.callId);
    if (caller === undefined) throw new Error(`oracle: call ${node.call.callId} of trace ${traceId} names caller ${link.callId}, which is no call of the trace`);
    node.caller = caller;
    caller.children.push(node);
  }
  return { traceId, spans, calls: nodes };
}

export function stepOf(node: CallNode): LineStep {
  return { kind: node.call.kind, name: node.call.service, request: node.call.request, node };
}

export const UNKNOWN_STEP: LineStep = Object.freeze({ kind: 'unknown', name: 'unknown', request: '', node: undefined });

/**
 * The calls above `node`, root first, excluding `node`; headed by the `unknown` marker when the
 * topmost call's parent never arrived. Empty when the request started at `node`.
 */
export function ancestorsOf(node: CallNode): LineStep[] {
  const up: LineStep[] = [];
  let top = node;
  for (let at = node.caller; at !== undefined; at = at.caller) {
    up.push(stepOf(at));
    top = at;
    // Derivation yields a forest; a longer walk than any trace has calls would be a cycle.
    if (up.length > 1_000_000) throw new Error('oracle: caller links form a cycle');
  }
  if (top.unknownCaller) up.push(UNKNOWN_STEP);
  return up.reverse();
}

/** Every downward line from `node` (included) to a leaf below it, each top first. */
export function linesDownFrom(node: CallNode): LineStep[][] {
  const lines: LineStep[][] = [];
  const stack: { node: CallNode; line: LineStep[] }[] = [{ node, line: [stepOf(node)] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.node.children.length === 0) {
      lines.push(item.line);
      continue;
    }
    for (const child of item.node.children) stack.push({ node: child, line: [...item.line, stepOf(child)] });
  }
  return lines;
}

/** Every root-to-leaf line that passes through `node`. */
export function linesThrough(node: CallNode): LineStep[][] {
  const above = ancestorsOf(node);
  return linesDownFrom(node).map((below) => [...above, ...below]);
}

/** Every root-to-leaf line of a trace (each root's lines, the `unknown` marker heading an orphan's). */
export function linesOf(trace: OracleTrace): LineStep[][] {
  const lines: LineStep[][] = [];
  for (const node of trace.calls) {
    if (node.caller !== undefined) continue;
    for (const line of linesThrough(node)) lines.push(line);
  }
  return lines;
}

/** Every call below `node` (excluded), each with the services from `node`'s child down to it. */
export function descendantsOf(node: CallNode): { readonly node: CallNode; readonly relativePath: readonly LineStep[] }[] {
  const out: { node: CallNode; relativePath: LineStep[] }[] = [];
  const stack: { node: CallNode; relativePath: LineStep[] }[] = node.children.map((child) => ({ node: child, relativePath: [stepOf(child)] }));
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    out.push(item);
    for (const child of item.node.children) stack.push({ node: child, relativePath: [...item.relativePath, stepOf(child)] });
  }
  return out;
}
