/**
 * The oracle's failure analysis (DESIGN.md §3 "Failures").
 */
import type { FailureSummary, FocalFilter } from '../../storage/api/call-queries.js';
import type { OracleTrace } from './call-tree.js';
import { focalCalls, rankedCounts } from './focal.js';

const NANOS_PER_MS = 1_000_000n;

/**
 * Over the focal calls: `requests`, `failed`; `reasons` of the failed ones and `stackTraces` of all
 * of them (each occurrence counted, as in the backtrace details), most first, ties by text.
 * `timeline`: buckets `[from + i·bucket, from + (i+1)·bucket)` for every i with a bucket start
 * before `to` (the last one may reach past `to`; none when `to <= from`), empty ones included;
 * a focal call falls in the bucket its start lies in. Throws on a non-positive or fractional
 * `bucketMs` (a caller bug, not data).
 */
export function oracleFailures(traces: readonly OracleTrace[], filter: FocalFilter, bucketMs: number): FailureSummary {
  if (!Number.isInteger(bucketMs) || bucketMs <= 0) throw new RangeError(`bucketMs must be a positive integer, got ${bucketMs}`);
  const bucketNanos = BigInt(bucketMs) * NANOS_PER_MS;
  const focal = focalCalls(traces, filter);

  const timeline: { startUnixNano: bigint; requests: number; failed: number }[] = [];
  for (let start = filter.fromUnixNano; start < filter.toUnixNano; start += bucketNanos) {
    let requests = 0;
    let failed = 0;
    for (const node of focal) {
      const t = node.call.startTimeUnixNano;
      if (t < start || t >= start + bucketNanos) continue;
      requests += 1;
      if (node.call.failed) failed += 1;
    }
    timeline.push({ startUnixNano: start, requests, failed });
  }

  const calls = focal.map((n) => n.call);
  return {
    requests: calls.length,
    failed: calls.filter((c) => c.failed).length,
    reasons: rankedCounts(calls.flatMap((c) => (c.failed && c.failureReason !== null ? [c.failureReason] : []))).map(([reason, count]) => ({ reason, count })),
    stackTraces: rankedCounts(calls.flatMap((c) => c.stackTraces)).map(([stackTrace, count]) => ({ stackTrace, count })),
    timeline,
  };
}
