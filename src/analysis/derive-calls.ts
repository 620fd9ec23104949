import type { ServiceCall } from '../model/call.js';
import { SpanKind } from '../model/otlp.js';
import type { KubernetesContext } from '../model/service.js';
import type { SpanSkeleton } from '../model/skeleton.js';
import type { TraceAnomaly } from './derive/anomalies.js';
import { failureVerdict, type FailureRule, type FirstException } from './derive/failure.js';
import { lineOf, pathBelow, proxiesBelow, referringPage, type CallLine, type CallerLink } from './derive/call-line.js';
import { isProxySpan } from './derive/proxies.js';
import { syntheticCallee } from './derive/synthetic-callee.js';
import { MISSING_PARENT, buildTraceTree } from './derive/trace-tree.js';
import { userActionName } from './derive/user-action.js';

export type { TraceAnomaly, TraceAnomalyType } from './derive/anomalies.js';
export type { FailureRule } from './derive/failure.js';
export { UNKNOWN_CALLER } from './derive/call-line.js';

export interface DerivationOptions {
  readonly failureRules: readonly FailureRule[];
  /**
   * Longest `path` kept on a call (default {@link DEFAULT_MAX_PATH_LENGTH}). Deeper calls keep the
   * calls nearest to them and the trace reports `path-truncated`: without a bound, a hostile
   * 100k-deep chain of alternating services would need 100k² path entries.
   */
  readonly maxPathLength?: number;
}

export interface DerivationResult {
  /** Ordered by start time, then call id, then the instrumented call before the synthetic one. */
  readonly calls: ServiceCall[];
  /** What was wrong with the trace and how it was worked around; empty for a well-formed trace. */
  readonly anomalies: TraceAnomaly[];
}

export const DEFAULT_MAX_PATH_LENGTH = 128;

const NO_K8S: KubernetesContext = Object.freeze({ cluster: null, node: null, namespace: null, pod: null, workload: null });
const NO_STRINGS: readonly string[] = Object.freeze([]);
const NO_CALLER = -1;
const UNKNOWN = -2;

/**
 * Derives the service calls of one trace (DESIGN.md §2 "Service calls"). Pure; never throws on
 * hostile data (it repairs and reports it, see {@link buildTraceTree}); iterative, O(n log n).
 *
 * - Call boundaries: a span starts a call when it has no parent in the trace, or its parent belongs
 *   to another service (by service name and kind: `service` or `application`), or it is SERVER/
 *   CONSUMER under a CLIENT/PRODUCER parent. Any other span joins its parent's call.
 * - Synthetic calls: each CLIENT/PRODUCER span none of whose direct children starts a call becomes
 *   a call into the uninstrumented callee its attributes name (`syntheticCallee`), with request name,
 *   start and duration of the client span, no resource/instance/Kubernetes context, and the call
 *   that contains the client span as caller. "Child in another call" is read literally: only
 *   direct children count, so a CLIENT span whose answer hangs under a nested CLIENT span of the
 *   same service also yields a synthetic call.
 * - Request name: the starting span's name; for an application call whose starting span has no
 *   parent in the trace (a user action), `userActionName`.
 * - Failed / failure reason: `failureVerdict`, with the configured rules.
 * - Stack traces: every `exception.stacktrace` of the call's spans, spans in start order. The first
 *   exception (for the reason) is that of the first span, in start order, that recorded one. A
 *   synthetic call has its client span's exceptions (which its caller also lists).
 * - Caller and path: the call holding the starting span's parent; none for a root; the `unknown`
 *   entry when the parent never arrived (a self-parent or the cut point of a cycle is a root).
 * - Referring page: `http.request.header.referer` of the first call of kind `service` on the line
 *   from the root down to and including the call; when that call has none (or there is no service
 *   call), the `url.full` ?? `http.url` of the user action that starts the line; else null.
 * - Proxies: the distinct names, in the order the request passed them, of proxy services on the
 *   path (configured, or with a span in the trace marked by `isProxySpan`) and of the proxies that
 *   `x-forwarded-for` / `via` on each entry span of the line name, the call's own entry span included.
 * - Start time and duration: those of the starting span (the client span for a synthetic call); a
 *   negative duration (end before start) is reported as 0.
 */
export function deriveCalls(traceId: string, input: readonly SpanSkeleton[], options: DerivationOptions): DerivationResult {
  const anomalies: TraceAnomaly[] = [];
  const maxPathLength =
    options.maxPathLength !== undefined && Number.isInteger(options.maxPathLength) && options.maxPathLength > 0
      ? options.maxPathLength
      : DEFAULT_MAX_PATH_LENGTH;
  const { spans, parent, topDown } = buildTraceTree(input, anomalies);
  const count = spans.length;

  // Call membership, top-down: a parent's call is known before its children are reached.
  const callOf = new Int32Array(count);
  const hasChildInOtherCall = new Uint8Array(count);
  const callStart: number[] = [];
  const callerOf: number[] = [];
  for (const i of topDown) {
    const p = parent[i]!;
    if (p < 0 || startsNewCall(spans[i]!, spans[p]!)) {
      callOf[i] = callStart.length;
      callStart.push(i);
      callerOf.push(p >= 0 ? callOf[p]! : p === MISSING_PARENT ? UNKNOWN : NO_CALLER);
      if (p >= 0) hasChildInOtherCall[p] = 1;
    } else {
      callOf[i] = callOf[p]!;
    }
  }

  // Per-call exceptions, in start order (spans are in start order), and the proxy services.
  const firstException: (FirstException | undefined)[] = new Array<FirstException | undefined>(callStart.length);
  const stackTraces: (string[] | undefined)[] = new Array<string[] | undefined>(callStart.length);
  const proxyServices = new Set<string>();
  for (let i = 0; i < count; i++) {
    const span = spans[i]!;
    const semantics = span.semantics;
    if (semantics === undefined) continue;
    const call = callOf[i]!;
    if (firstException[call] === undefined && hasException(span)) {
      firstException[call] = { type: semantics.exceptionType, message: semantics.exceptionMessage };
    }
    if (semantics.stackTraces !== undefined && semantics.stackTraces.length > 0) {
      const list = (stackTraces[call] ??= []);
      for (const trace of semantics.stackTraces) list.push(trace);
    }
    if (isProxySpan(span)) proxyServices.add(serviceKey(span));
  }

  const calls: ServiceCall[] = [];
  const lines: CallLine[] = [];
  let truncated = 0;
  const rules = options.failureRules;
  for (let c = 0; c < callStart.length; c++) {
    const startIndex = callStart[c]!;
    const start = spans[startIndex]!;
    const callerIndex = callerOf[c]!;
    const userAction = start.service.kind === 'application' && parent[startIndex]! < 0;
    const request = userAction ? userActionName(start.name, start.semantics) : start.name;
    const link: CallerLink =
      callerIndex >= 0 ? { caller: lines[callerIndex]! } : callerIndex === UNKNOWN ? { unknownParent: true } : { root: true };
    const isProxy = start.service.proxy || proxyServices.has(serviceKey(start));
    const line = lineOf({ start, request, userAction, isProxy }, link, maxPathLength);
    lines.push(line);
    if (line.depth > maxPathLength) truncated++;
    const verdict = failureVerdict({ service: start.service.name, request, start, synthetic: false }, firstException[c], rules);
    calls.push({
      traceId,
      callId: start.spanId,
      synthetic: false,
      kind: start.service.kind,
      service: start.service.name,
      request,
      resourceId: start.resourceId,
      instance: start.service.instance,
      k8s: start.service.k8s,
      startTimeUnixNano: start.startTimeUnixNano,
      durationNanos: durationOf(start),
      failed: verdict.failed,
      failureReason: verdict.reason,
      stackTraces: stackTraces[c] ?? NO_STRINGS,
      path: line.path,
      referringPage: referringPage(line),
      proxies: line.proxies,
    });
  }

  for (let i = 0; i < count; i++) {
    const span = spans[i]!;
    if (!isClientKind(span.kind) || hasChildInOtherCall[i] === 1) continue;
    const caller = lines[callOf[i]!]!;
    if (caller.depth + 1 > maxPathLength) truncated++;
    const callee = syntheticCallee(span.semantics);
    const semantics = span.semantics;
    const exception = hasException(span) ? { type: semantics?.exceptionType, message: semantics?.exceptionMessage } : undefined;
    const verdict = failureVerdict({ service: callee.name, request: span.name, start: span, synthetic: true }, exception, rules);
    calls.push({
      traceId,
      callId: span.spanId,
      synthetic: true,
      kind: callee.kind,
      service: callee.name,
      request: span.name,
      resourceId: null,
      instance: null,
      k8s: NO_K8S,
      startTimeUnixNano: span.startTimeUnixNano,
      durationNanos: durationOf(span),
      failed: verdict.failed,
      failureReason: verdict.reason,
      stackTraces: semantics?.stackTraces !== undefined && semantics.stackTraces.length > 0 ? [...semantics.stackTraces] : NO_STRINGS,
      path: pathBelow(caller, maxPathLength),
      referringPage: referringPage(caller),
      proxies: proxiesBelow(caller, maxPathLength),
    });
  }

  if (truncated > 0) anomalies.push({ type: 'path-truncated', calls: truncated, maxPathLength });
  calls.sort(byStartThenId);
  return { calls, anomalies };
}

function startsNewCall(span: SpanSkeleton, parentSpan: SpanSkeleton): boolean {
  if (span.service.name !== parentSpan.service.name || span.service.kind !== parentSpan.service.kind) return true;
  return (span.kind === SpanKind.SERVER || span.kind === SpanKind.CONSUMER) && isClientKind(parentSpan.kind);
}

function isClientKind(kind: number): boolean {
  return kind === SpanKind.CLIENT || kind === SpanKind.PRODUCER;
}

function hasException(span: SpanSkeleton): boolean {
  const semantics = span.semantics;
  return (
    (semantics?.exceptionType !== undefined && semantics.exceptionType !== '') ||
    (semantics?.exceptionMessage !== undefined && semantics.exceptionMessage !== '')
  );
}

function serviceKey(span: SpanSkeleton): string {
  return `${span.service.kind}\u0000${span.service.name}`;
}

function durationOf(span: SpanSkeleton): bigint {
  const duration = span.endTimeUnixNano - span.startTimeUnixNano;
  return duration > 0n ? duration : 0n;
}

function byStartThenId(a: ServiceCall, b: ServiceCall): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  if (a.callId !== b.callId) return a.callId < b.callId ? -1 : 1;
  return Number(a.synthetic) - Number(b.synthetic);
}
