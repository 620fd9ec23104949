/**
 * Reading analytics result rows, and the orders the `CallAnalytics` contract fixes. Lists are
 * sorted here rather than in SQL: DuckDB orders VARCHAR by UTF-8 bytes, the contract by UTF-16
 * code units (JavaScript's `<`), and the two differ past U+FFFF; the lists are small (they are
 * aggregates), so sorting them in JavaScript costs nothing measurable.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { KubernetesContext } from '../../../model/service.js';

/**
 * Nearest-rank percentile of the group's `duration_ns` values: `sorted[ceil(q·n) − 1]`. DuckDB's
 * `quantile_disc` picks exactly that element (checked for every n up to 2,000 at q = 0.5, 0.9,
 * 0.99 by `rows.test.ts`, which will catch a DuckDB release that changes it) and is several times
 * faster than sorting a `list()` of the group. `q` is a constant of the code, never user input.
 */
export function percentileSql(q: number, column = 'duration_ns'): string {
  if (!(q > 0 && q <= 1)) throw new RangeError(`percentile ${q} is not in (0, 1]`);
  return `quantile_disc(${column}, ${q})`;
}

/** A BIGINT/HUGEINT nanosecond value (or NULL) as milliseconds, converted once: `Number(nanos) / 1e6`. */
export function nanosToMs(value: DuckDBValue | undefined): number {
  return value === null || value === undefined ? 0 : Number(value as bigint) / 1e6;
}

export function toNumber(value: DuckDBValue | undefined): number {
  return value === null || value === undefined ? 0 : Number(value as bigint | number);
}

export function toText(value: DuckDBValue | undefined): string {
  return value as string;
}

export function toNullableText(value: DuckDBValue | undefined): string | null {
  return value === null || value === undefined ? null : (value as string);
}

export { byCountThenService, byCountThenText, compareInstanceGroups, compareText } from '../../api/ordering.js';

/** The instance columns every instance grouping selects, in this order. */
export const INSTANCE_COLUMNS = ['instance', 'k8s_cluster', 'k8s_node', 'k8s_namespace', 'k8s_pod', 'k8s_workload'] as const;

/** Six values in `INSTANCE_COLUMNS` order, from `row[offset]` on. */
export function instanceFromRow(row: readonly DuckDBValue[], offset: number): { instance: string | null; k8s: KubernetesContext } {
  return {
    instance: toNullableText(row[offset]),
    k8s: {
      cluster: toNullableText(row[offset + 1]),
      node: toNullableText(row[offset + 2]),
      namespace: toNullableText(row[offset + 3]),
      pod: toNullableText(row[offset + 4]),
      workload: toNullableText(row[offset + 5]),
    },
  };
}
