import type { CallerKind, KubernetesContext, ServiceKind } from './service.js';

/** One call on a call path: which service handled it and under which request name. */
export interface PathEntry {
  readonly kind: CallerKind;
  readonly name: string;
  /** The request name; '' for the `unknown` caller. */
  readonly request: string;
  /** Span id (hex) of the span that started that call; '' for the `unknown` caller. */
  readonly callId: string;
}

/**
 * A service call (DESIGN.md §2): one request handled by one service. The unit every analysis counts.
 *
 * `callId` is the hex span id of the span that starts the call; a synthetic call (into a database,
 * messaging system or external host) is identified by its client span's id with `synthetic` set,
 * so `(traceId, callId, synthetic)` is unique within a trace. Synthetic calls are always leaves.
 */
export interface ServiceCall {
  readonly traceId: string;
  readonly callId: string;
  readonly synthetic: boolean;
  readonly kind: ServiceKind;
  readonly service: string;
  /** Request name: the starting span's name, or the user action name for an application's root span. */
  readonly request: string;
  /** The resource of the service's spans (hex of the resource id); null for synthetic calls. */
  readonly resourceId: string | null;
  readonly instance: string | null;
  readonly k8s: KubernetesContext;
  readonly startTimeUnixNano: bigint;
  readonly durationNanos: bigint;
  readonly failed: boolean;
  /** Set when `failed`: status message, else first exception "type: message", else HTTP status, else "error". */
  readonly failureReason: string | null;
  readonly stackTraces: readonly string[];
  /**
   * The calls from the trace root down to this call's caller (excluding this call). Empty: the
   * request started here. A first entry of kind `unknown`: the starting span's parent never arrived.
   * Bounded: past `DEFAULT_MAX_PATH_LENGTH` (128) calls the root end is cut, so the last entries
   * (the nearest callers) always stay and `path.at(-1)` is always the caller.
   */
  readonly path: readonly PathEntry[];
  /** `http.request.header.referer` of the first service call of the path, else the page URL of the root user action. */
  readonly referringPage: string | null;
  /** Proxies on the way to this call: proxy services on the path and x-forwarded-for / via values. */
  readonly proxies: readonly string[];
}
