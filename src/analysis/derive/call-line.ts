import type { PathEntry } from '../../model/call.js';
import type { SpanSkeleton } from '../../model/skeleton.js';
import { appendDistinct, headerProxies } from './proxies.js';

/** The caller of a call whose starting span names a parent that never arrived (DESIGN.md §2 "Caller"). */
export const UNKNOWN_CALLER: PathEntry = Object.freeze({ kind: 'unknown', name: 'unknown', request: '', callId: '' });

const NO_PATH: readonly PathEntry[] = Object.freeze([]);
const UNKNOWN_PATH: readonly PathEntry[] = Object.freeze([UNKNOWN_CALLER]);
const NO_NAMES: readonly string[] = Object.freeze([]);

/**
 * What an instrumented call knows about the line of calls from its trace root down to itself, and
 * hands down to the calls it makes. Callers are built before their callees, so each line is made
 * from its caller's in O(1) plus the lists it extends. Lists are shared between calls (siblings get
 * the same `path` array), never mutated after they are handed out.
 */
export interface CallLine {
  readonly entry: PathEntry;
  /** The calls above this one (DESIGN.md §2 "Call path", without the call itself), at most `maxPathLength`. */
  readonly path: readonly PathEntry[];
  /** The length `path` would have without the bound. */
  readonly depth: number;
  /** A call of kind `service` lies on the line, this call included. */
  readonly hasServiceCall: boolean;
  /** `http.request.header.referer` of the first such call. */
  readonly referer: string | undefined;
  /** The page URL of the user action that starts the line. */
  readonly rootPage: string | undefined;
  /** Proxies on the way to this call (DESIGN.md §2 "Proxies"). */
  readonly proxies: readonly string[];
  readonly isProxy: boolean;
  /** Memoized {@link pathBelow} and {@link proxiesBelow}. */
  below?: { path?: readonly PathEntry[]; proxies?: readonly string[] };
}

/** Where a call sits: under a caller, at the root of its trace, or under a parent that never arrived. */
export type CallerLink = { readonly caller: CallLine } | { readonly root: true } | { readonly unknownParent: true };

export interface LineFacts {
  readonly start: SpanSkeleton;
  readonly request: string;
  /** The starting span is a browser user action (an application span with no parent in the trace). */
  readonly userAction: boolean;
  readonly isProxy: boolean;
}

export function lineOf(facts: LineFacts, link: CallerLink, maxPathLength: number): CallLine {
  const { start, request, userAction, isProxy } = facts;
  const kind = start.service.kind;
  const caller = 'caller' in link ? link.caller : undefined;
  const entry: PathEntry = Object.freeze({ kind, name: start.service.name, request, callId: start.spanId });
  const isService = kind === 'service';
  if (caller === undefined) {
    const unknown = 'unknownParent' in link;
    return {
      entry,
      path: unknown ? UNKNOWN_PATH : NO_PATH,
      depth: unknown ? 1 : 0,
      hasServiceCall: isService,
      referer: isService ? start.semantics?.referer : undefined,
      rootPage: userAction ? start.semantics?.url : undefined,
      proxies: appendDistinct(NO_NAMES, headerProxies(start.semantics), maxPathLength),
      isProxy,
    };
  }
  const firstServiceCall = !caller.hasServiceCall && isService;
  return {
    entry,
    path: pathBelow(caller, maxPathLength),
    depth: caller.depth + 1,
    hasServiceCall: caller.hasServiceCall || isService,
    referer: firstServiceCall ? start.semantics?.referer : caller.referer,
    rootPage: caller.rootPage,
    proxies: appendDistinct(proxiesBelow(caller, maxPathLength), headerProxies(start.semantics), maxPathLength),
    isProxy,
  };
}

/** The path of the calls this call makes: its own path and itself, the root end dropped past `max`. */
export function pathBelow(line: CallLine, max: number): readonly PathEntry[] {
  line.below ??= {};
  if (line.below.path === undefined) {
    const path = line.path.length >= max ? line.path.slice(line.path.length - max + 1) : [...line.path];
    path.push(line.entry);
    line.below.path = path;
  }
  return line.below.path;
}

/** Proxies on the way to the calls this call makes: its own, and itself when it is a proxy. */
export function proxiesBelow(line: CallLine, max: number): readonly string[] {
  line.below ??= {};
  line.below.proxies ??= line.isProxy ? appendDistinct(line.proxies, [line.entry.name], max) : line.proxies;
  return line.below.proxies;
}

/**
 * DESIGN.md §2 "Referring page": the referer of the first service call on the line (the call
 * itself included), else the page URL of the user action at its root, else null.
 */
export function referringPage(line: CallLine): string | null {
  if (line.referer !== undefined && line.referer !== '') return line.referer;
  return line.rootPage !== undefined && line.rootPage !== '' ? line.rootPage : null;
}
