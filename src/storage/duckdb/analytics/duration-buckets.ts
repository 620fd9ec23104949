/**
 * Duration buckets: the histogram the flow rollup keeps per minute and flow node
 * (`flow-rollup.ts`), so a flow over many minutes reads percentiles from a few thousand counts
 * instead of ordering every duration below every focal call.
 *
 * A bucket is a range of nanoseconds: below 128 ns each value is its own bucket; above, a value
 * whose binary length is `7 + s` falls in the bucket of its top 7 bits, a range `2^s` wide that
 * starts at `m·2^s` with `m` in [64, 128). Its index is `s·64 + m`, so indexes grow with the
 * values they hold (index order is value order) and a histogram's nearest-rank percentile is the
 * bucket in which the running count reaches the rank. A bucket is reported as its midpoint,
 * within 1/128 (0.78%) of every value in it.
 *
 * Integers only (no logarithm to round differently in JavaScript and in DuckDB): the SQL form
 * takes a floating `log2` as a first guess of the length and corrects it by shifting, and
 * `duration-buckets.test.ts` holds the two forms equal at every power of two and around it.
 */

/** The bucket index of a duration in nanoseconds (negative durations count as 0). */
export function durationBucket(nanos: bigint): number {
  if (nanos < 128n) return nanos <= 0n ? 0 : Number(nanos);
  const shift = nanos.toString(2).length - 7;
  return shift * 64 + Number(nanos >> BigInt(shift));
}

/** The value a bucket stands for: itself below 128 ns, else the middle of its range (whole nanoseconds). */
export function bucketMidpoint(index: number): bigint {
  if (index < 128) return BigInt(index);
  const shift = Math.floor(index / 64) - 1;
  const top = BigInt(index - shift * 64);
  return (top << BigInt(shift)) + (1n << BigInt(shift - 1));
}

/** `durationBucket` in SQL, on a BIGINT expression (a column: it is repeated). */
export function durationBucketSql(nanos: string): string {
  const guess = `(CAST(floor(log2(${nanos})) AS BIGINT) - 6)`;
  const shift = `(${guess} + CASE WHEN (${nanos} >> ${guess}) >= 128 THEN 1 WHEN (${nanos} >> ${guess}) < 64 THEN -1 ELSE 0 END)`;
  return `CAST(CASE WHEN ${nanos} < 128 THEN greatest(${nanos}, 0) ELSE ${shift} * 64 + (${nanos} >> ${shift}) END AS INTEGER)`;
}

/**
 * The nearest-rank percentile `q` (`sorted[ceil(q·n) − 1]`, as everywhere else) of a histogram,
 * as the midpoint of the bucket that holds it: `counts` maps bucket index to count. 0n when empty.
 */
export function histogramPercentile(counts: ReadonlyMap<number, number>, q: number): bigint {
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total === 0) return 0n;
  const rank = Math.max(1, Math.ceil(q * total));
  const indexes = [...counts.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const index of indexes) {
    seen += counts.get(index)!;
    if (seen >= rank) return bucketMidpoint(index);
  }
  return bucketMidpoint(indexes.at(-1)!);
}
