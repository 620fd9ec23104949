/**
 * The analysis oracle (DESIGN.md §1 "Analysis"): a slow, obviously-correct twin of the store's
 * `CallAnalytics` (storage/api/call-queries.ts), computed from whole traces.
 *
 * Each trace's calls come from `deriveCalls` (call derivation has its own rule tests); from there
 * on the oracle shares nothing with the fast path. It links the calls into a tree by their parent
 * link only (a call's caller is the real call whose id is the last entry of its path, or the
 * `unknown` caller), walks that tree with explicit loops, enumerates root-to-leaf lines for the
 * chain match, and builds every result node by node. It never reads the materialized path beyond
 * that last entry.
 *
 * Backtrace and flow return the final trees (compare with `foldBacktrace(service, groups)` and
 * `foldFlow(service, groups)` of the fast path); every other method returns exactly what the
 * `CallAnalytics` method of the same name returns, synchronously. Where call-queries.ts leaves a
 * rule open, the decision is written on the function that implements it (./backtrace.ts,
 * ./flow.ts, ./details.ts, ./services.ts, ./neighbourhood.ts, ./failures.ts, ./traces.ts) and
 * durations everywhere are `nanos / 1e6` with nearest-rank percentiles over nanoseconds.
 *
 * Not for production: every query walks every trace.
 */
import type { ServiceKind } from '../../model/service.js';
import type { SpanSkeleton } from '../../model/skeleton.js';
import type {
  BacktraceDetails,
  FailureSummary,
  FocalFilter,
  ServiceNeighbourhood,
  NodeRef,
  ServiceRef,
  ServiceSummary,
  TimeRange,
  TraceQuery,
  TraceSummary,
  ZoneFilter,
} from '../../storage/api/call-queries.js';
import type { BacktraceNode } from '../backtrace.js';
import type { DerivationOptions } from '../derive-calls.js';
import type { FlowNode } from '../flow.js';
import { oracleBacktrace } from './backtrace.js';
import { buildOracleTrace, type OracleTrace } from './call-tree.js';
import { oracleBacktraceDetails } from './details.js';
import { oracleFailures } from './failures.js';
import { focalCalls } from './focal.js';
import { oracleFlow } from './flow.js';
import { oracleServiceNeighbourhood } from './neighbourhood.js';
import { oracleServiceKinds, oracleServiceSummaries } from './services.js';
import { oracleFindTraces } from './traces.js';

/** One whole trace: every span of it, as skeletons. */
export interface OracleInput {
  readonly traceId: string;
  readonly spans: readonly SpanSkeleton[];
}

export class Oracle {
  /** Every trace with its linked calls, in input order (tests draw chains and focal services from it). */
  readonly traces: readonly OracleTrace[];

  /** Derives every trace's calls with `options` (the same options the fast path's assembler used). */
  constructor(traces: readonly OracleInput[], options: DerivationOptions) {
    this.traces = traces.map((t) => buildOracleTrace(t.traceId, t.spans, options));
  }

  /** The number of focal calls of `filter` (what a backtrace's root and a flow's root count). */
  focalCount(filter: FocalFilter): number {
    return focalCalls(this.traces, filter).length;
  }

  /** The backtrace tree rooted at `filter.service`. */
  backtrace(filter: FocalFilter): BacktraceNode {
    return oracleBacktrace(this.traces, filter);
  }

  /** The flow tree rooted at `filter.service`. */
  flow(filter: FocalFilter): FlowNode {
    return oracleFlow(this.traces, filter);
  }

  backtraceDetails(filter: FocalFilter, nodePath: readonly NodeRef[], exemplarLimit: number): BacktraceDetails {
    return oracleBacktraceDetails(this.traces, filter, nodePath, exemplarLimit);
  }

  serviceSummaries(range: TimeRange, zone?: ZoneFilter): ServiceSummary[] {
    return oracleServiceSummaries(this.traces, range, zone);
  }

  serviceNeighbourhood(filter: FocalFilter): ServiceNeighbourhood {
    return oracleServiceNeighbourhood(this.traces, filter);
  }

  failures(filter: FocalFilter, bucketMs: number): FailureSummary {
    return oracleFailures(this.traces, filter, bucketMs);
  }

  findTraces(query: TraceQuery): TraceSummary[] {
    return oracleFindTraces(this.traces, query);
  }

  serviceKinds(name: string): ServiceKind[] {
    return oracleServiceKinds(this.traces, name);
  }
}
