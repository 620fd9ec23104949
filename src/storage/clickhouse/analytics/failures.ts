/**
 * `failures` in ClickHouse: reasons and stack traces of the focal calls (counted as the backtrace
 * details count them) and the focal calls per time bucket. SQL returns the non-empty buckets by
 * index; the empty ones are filled in here, so the timeline has every bucket whose start lies
 * before `to`. The totals are the sums over the buckets (every focal call starts in the window,
 * so in exactly one bucket).
 */
import type { FailureSummary, FocalFilter } from '../../api/call-queries.js';
import type { ClickHouseTables } from '../tables.js';
import type { AnalyticsConnection } from './connection.js';
import { focalWhere } from './focal-sql.js';
import { uint64Literal } from '../sql-literal.js';
import { INT64_BOUNDS, int64Value } from './literal.js';
import { column, rankedTexts, toBigInt, toNumber } from './rows.js';

const NANOS_PER_MS = 1_000_000n;
const UINT64_MAX = (1n << 64n) - 1n;
/** More buckets than any chart shows: a request for more is a caller bug, refused before it allocates them. */
export const MAX_BUCKETS = 1_000_000;

/** Throws a RangeError for a non-positive or fractional `bucketMs`, or one that makes more than `MAX_BUCKETS` buckets. */
export function checkBuckets(filter: FocalFilter, bucketMs: number): bigint {
  if (!Number.isInteger(bucketMs) || bucketMs <= 0) throw new RangeError(`bucketMs must be a positive integer, got ${bucketMs}`);
  const bucketNanos = BigInt(bucketMs) * NANOS_PER_MS;
  const span = filter.toUnixNano - filter.fromUnixNano;
  if (span > 0n && (span + bucketNanos - 1n) / bucketNanos > BigInt(MAX_BUCKETS)) {
    throw new RangeError(`bucketMs ${bucketMs} makes more than ${MAX_BUCKETS} buckets over the window`);
  }
  return bucketNanos;
}

/**
 * The bucket of a focal call as `first + <SQL index>`. Without 128-bit integers (18.16 has none)
 * `start − from` may leave Int64, so the SQL counts from an origin inside Int64: `from` itself, or,
 * for a window opening before Int64's minimum, the first bucket start at or after that minimum
 * (`first` buckets later; a call before it is in bucket `first − 1`). `start − origin` is then
 * below 2^64 and exact as UInt64 after the wrapping subtraction.
 */
export function bucketIndexSql(alias: string, fromUnixNano: bigint, bucketNanos: bigint): { sql: string; first: bigint } {
  const first = fromUnixNano >= INT64_BOUNDS.min ? 0n : (INT64_BOUNDS.min - fromUnixNano + bucketNanos - 1n) / bucketNanos;
  const origin = fromUnixNano + first * bucketNanos;
  if (origin > INT64_BOUNDS.max) return { sql: '-1', first };
  const start = `${alias}.start_time_ns`;
  const offset = `toUInt64(${start} - ${int64Value(origin)})`;
  const index = bucketNanos > UINT64_MAX ? '0' : `toInt64(intDiv(${offset}, toUInt64(${uint64Literal(bucketNanos)})))`;
  return { sql: `if(${start} < ${int64Value(origin)}, -1, ${index})`, first };
}

export interface FailureStatements {
  readonly reasons: string;
  readonly stacks: string;
  readonly buckets: string;
  /** Added to each SQL bucket index (see `bucketIndexSql`). */
  readonly firstBucket: bigint;
}

export function failuresSql(tables: ClickHouseTables, filter: FocalFilter, bucketNanos: bigint): FailureStatements {
  const where = focalWhere(tables, filter, 'c');
  const bucket = bucketIndexSql('c', filter.fromUnixNano, bucketNanos);
  return {
    reasons: `SELECT c.failure_reason AS text, count() AS n
FROM ${tables.calls} AS c
WHERE ${where}
  AND c.failed = 1 AND c.failure_reason IS NOT NULL
GROUP BY text`,
    stacks: `SELECT stack AS text, count() AS n
FROM ${tables.calls} AS c ARRAY JOIN c.stack_traces AS stack
WHERE ${where}
GROUP BY text`,
    buckets: `SELECT ${bucket.sql} AS bucket, count() AS n, countIf(c.failed = 1) AS n_failed
FROM ${tables.calls} AS c
WHERE ${where}
GROUP BY bucket`,
    firstBucket: bucket.first,
  };
}

export async function runFailures(conn: AnalyticsConnection, statements: FailureStatements, filter: FocalFilter, bucketNanos: bigint): Promise<FailureSummary> {
  const [reasons, stacks, buckets] = await Promise.all([conn.query(statements.reasons), conn.query(statements.stacks), conn.query(statements.buckets)]);
  const byBucket = new Map<bigint, { requests: number; failed: number }>();
  let requests = 0;
  let failed = 0;
  for (const row of buckets) {
    const counts = { requests: toNumber(column(row, 'n')), failed: toNumber(column(row, 'n_failed')) };
    byBucket.set(statements.firstBucket + toBigInt(column(row, 'bucket')), counts);
    requests += counts.requests;
    failed += counts.failed;
  }
  const timeline: FailureSummary['timeline'][number][] = [];
  let index = 0n;
  for (let start = filter.fromUnixNano; start < filter.toUnixNano; start += bucketNanos, index++) {
    const counts = byBucket.get(index);
    timeline.push({ startUnixNano: start, requests: counts?.requests ?? 0, failed: counts?.failed ?? 0 });
  }
  return {
    requests,
    failed,
    reasons: rankedTexts(reasons).map(({ text, count }) => ({ reason: text, count })),
    stackTraces: rankedTexts(stacks).map(({ text, count }) => ({ stackTrace: text, count })),
    timeline,
  };
}
