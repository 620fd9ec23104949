/**
 * Several nearest-rank percentiles of one group in one aggregate. `quantile_disc` with a list of
 * fractions orders the group's values once and picks every fraction from that order, where one
 * `quantile_disc` per fraction orders them once each: on 10M spans (5.9M calls) the services
 * list's three percentiles took about half the time this way. Each element is the element the
 * scalar `percentileSql` picks (`sorted[ceil(q·n) − 1]`, see `rows.ts`); `percentiles.test.ts`
 * checks that on DuckDB itself.
 */

/** `quantile_disc(column, [q1, q2, …])`: a list whose i-th element (1-based in SQL) is percentile `qs[i-1]`. */
export function percentilesSql(qs: readonly number[], column = 'duration_ns'): string {
  if (qs.length === 0) throw new RangeError('no percentiles asked for');
  for (const q of qs) if (!(q > 0 && q <= 1)) throw new RangeError(`percentile ${q} is not in (0, 1]`);
  // `q` are constants of the code, never user input; String() of such a number is a SQL literal.
  return `quantile_disc(${column}, [${qs.map(String).join(', ')}])`;
}
