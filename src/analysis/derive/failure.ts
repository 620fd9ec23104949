import { SpanKind, StatusCode } from '../../model/otlp.js';
import type { SpanSkeleton } from '../../model/skeleton.js';

/**
 * A configured override of the failure verdict (DESIGN.md §2 "Failed": "configurable rules may add
 * or remove failures"). A rule matches a call when each condition it sets holds: `service` equals
 * the call's service name (any kind), `request` equals its request name, and the HTTP status code
 * of the call's starting span (the client span for a synthetic call) is one of `httpStatusCodes`.
 * An empty `httpStatusCodes` sets no status condition, so `{service: 'x', httpStatusCodes: [],
 * failed: false}` means "x never fails". The first matching rule in list order decides `failed`;
 * with no match the default verdict stands.
 */
export interface FailureRule {
  readonly service?: string;
  readonly request?: string;
  readonly httpStatusCodes: readonly number[];
  readonly failed: boolean;
}

/** Whether a call failed and, when it did, why. */
export type FailureVerdict = { readonly failed: false; readonly reason: null } | { readonly failed: true; readonly reason: string };

/** The first exception event recorded in a call, as the span semantics carry it. */
export interface FirstException {
  readonly type: string | undefined;
  readonly message: string | undefined;
}

/**
 * DESIGN.md §2 "Failed", default verdict:
 * - a call started by an instrumented span fails when that span has status ERROR (Zipkin's `error`
 *   tag arrives as ERROR), or has status UNSET, kind SERVER and an HTTP status code ≥ 500;
 * - a synthetic call fails when its client span has status ERROR or an HTTP status ≥ 500, whatever
 *   its status (as DESIGN.md words it: a client span with status OK and HTTP 503 failed).
 */
export function failedByDefault(start: SpanSkeleton, synthetic: boolean): boolean {
  if (start.statusCode === StatusCode.ERROR) return true;
  const http = start.semantics?.httpStatusCode;
  if (http === undefined || http < 500) return false;
  return synthetic || (start.statusCode === StatusCode.UNSET && start.kind === SpanKind.SERVER);
}

/**
 * The verdict for one call: the default, overridden by the first matching rule; and the reason
 * (DESIGN.md §2 "Failure reason"): the starting span's status message when not empty; else the
 * call's first exception as `type: message` (or whichever of the two is present); else the HTTP
 * status code of the starting span in decimal (`404`); else `error`.
 */
export function failureVerdict(
  call: { readonly service: string; readonly request: string; readonly start: SpanSkeleton; readonly synthetic: boolean },
  firstException: FirstException | undefined,
  rules: readonly FailureRule[],
): FailureVerdict {
  const http = call.start.semantics?.httpStatusCode;
  let failed = failedByDefault(call.start, call.synthetic);
  for (const rule of rules) {
    if (rule.service !== undefined && rule.service !== call.service) continue;
    if (rule.request !== undefined && rule.request !== call.request) continue;
    if (rule.httpStatusCodes.length > 0 && (http === undefined || !rule.httpStatusCodes.includes(http))) continue;
    failed = rule.failed;
    break;
  }
  if (!failed) return { failed: false, reason: null };
  return { failed: true, reason: failureReason(call.start, firstException) };
}

function failureReason(start: SpanSkeleton, firstException: FirstException | undefined): string {
  if (start.statusMessage !== '') return start.statusMessage;
  const exception = exceptionText(firstException);
  if (exception !== undefined) return exception;
  const http = start.semantics?.httpStatusCode;
  if (http !== undefined) return String(http);
  return 'error';
}

function exceptionText(exception: FirstException | undefined): string | undefined {
  const type = exception?.type === '' ? undefined : exception?.type;
  const message = exception?.message === '' ? undefined : exception?.message;
  if (type !== undefined && message !== undefined) return `${type}: ${message}`;
  return type ?? message;
}
