/**
 * `failures` in DuckDB: totals, reasons and stack traces of the focal calls (counted as the
 * backtrace details count them), and the focal calls per time bucket. SQL returns the non-empty
 * buckets by index; the empty ones are filled in here, so the timeline has every bucket whose
 * start lies before `to`.
 */
import { HUGEINT } from '@duckdb/node-api';
import type { FailureSummary, FocalFilter } from '../../api/call-queries.js';
import { focalCte } from './focal-sql.js';
import { byCountThenText, toNumber, toText } from './rows.js';
import { splitSections, unionSql, type SectionColumns } from './sections.js';
import { SqlParams } from './sql-params.js';
import type { Rows, Statement } from './statement.js';

const NANOS_PER_MS = 1_000_000n;
/** More buckets than any chart shows: a request for more is a caller bug, refused before it allocates them. */
export const MAX_BUCKETS = 1_000_000;

const COLUMNS: SectionColumns = [
  ['text', 'VARCHAR'],
  ['bucket', 'HUGEINT'],
  ['n', 'BIGINT'],
  ['failed', 'BIGINT'],
];

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

export function failuresSql(filter: FocalFilter, bucketNanos: bigint): Statement {
  const params = new SqlParams();
  const focal = focalCte(params, filter, 'c.failed, c.failure_reason, c.stack_traces, c.start_time_ns', { materialized: true });
  // HUGEINT: `start - from` can leave BIGINT when `from` is far in the past.
  const bucket = `(start_time_ns::HUGEINT - ${params.add(filter.fromUnixNano, HUGEINT)}) // ${params.add(bucketNanos, HUGEINT)}`;
  const union = unionSql(COLUMNS, [
    { tag: 'total', values: { n: 'count(*)', failed: 'count(*) FILTER (WHERE failed)' }, from: 'FROM focal' },
    { tag: 'reason', values: { text: 'failure_reason', n: 'count(*)' }, from: 'FROM focal WHERE failed AND failure_reason IS NOT NULL GROUP BY failure_reason' },
    { tag: 'stack', values: { text: 'stack', n: 'count(*)' }, from: 'FROM (SELECT unnest(stack_traces) AS stack FROM focal) GROUP BY stack' },
    { tag: 'bucket', values: { bucket: 'bucket', n: 'count(*)', failed: 'count(*) FILTER (WHERE failed)' }, from: `FROM (SELECT ${bucket} AS bucket, failed FROM focal) GROUP BY bucket` },
  ]);
  return { sql: `WITH ${focal}\n${union}`, params };
}

export function failuresFromRows(rows: Rows, filter: FocalFilter, bucketNanos: bigint): FailureSummary {
  const sections = splitSections(rows);
  const total = sections.get('total')?.[0];
  const counted = (tag: string) =>
    (sections.get(tag) ?? []).map((row) => ({ text: toText(row[0]), count: toNumber(row[2]) })).sort(byCountThenText((x) => x.count, (x) => x.text));
  const byBucket = new Map<bigint, { requests: number; failed: number }>();
  for (const row of sections.get('bucket') ?? []) byBucket.set(row[1] as bigint, { requests: toNumber(row[2]), failed: toNumber(row[3]) });
  const timeline: FailureSummary['timeline'][number][] = [];
  let index = 0n;
  for (let start = filter.fromUnixNano; start < filter.toUnixNano; start += bucketNanos, index++) {
    const counts = byBucket.get(index);
    timeline.push({ startUnixNano: start, requests: counts?.requests ?? 0, failed: counts?.failed ?? 0 });
  }
  return {
    requests: toNumber(total?.[2]),
    failed: toNumber(total?.[3]),
    reasons: counted('reason').map(({ text, count }) => ({ reason: text, count })),
    stackTraces: counted('stack').map(({ text, count }) => ({ stackTrace: text, count })),
    timeline,
  };
}
