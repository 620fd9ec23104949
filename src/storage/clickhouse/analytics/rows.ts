/**
 * Reading analytics result rows (JSON values from the connection) and the orders the
 * `CallAnalytics` contract fixes. Lists are sorted here rather than in SQL: ClickHouse orders
 * strings by bytes, the contract by UTF-16 code units (JavaScript's `<`), and the two differ past
 * U+FFFF; the lists are aggregates, so sorting them here costs nothing measurable.
 */
import type { KubernetesContext } from '../../../model/service.js';
import { StorageError } from '../../api/storage.js';
import type { Row } from './connection.js';

/**
 * Nearest-rank percentile (`sorted[ceil(q·n) − 1]`) of `column` over the group, exact and
 * mergeable across shards (a `groupArray` merges exactly; ClickHouse's `quantile*` functions either
 * approximate or pick another rank). Arrays are 1-based, so the index is `ceil(q·n)`, at least 1
 * for a non-empty group. `q` is a constant of the code, never user input.
 */
export function percentileSql(q: number, column: string): string {
  if (!(q > 0 && q <= 1)) throw new RangeError(`percentile ${q} is not in (0, 1]`);
  return `arraySort(groupArray(${column}))[toUInt64(ceil(${q} * count()))]`;
}

function fail(what: string, value: unknown): never {
  throw new StorageError(`unexpected ${what} in a ClickHouse result: ${JSON.stringify(value)}`);
}

/** A 64-bit integer as ClickHouse's JSON formats give it (a string, or a number when small). */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'bigint') return value;
  return fail('integer', value);
}

export function toNumber(value: unknown): number {
  return Number(toBigInt(value));
}

/** Nanoseconds as milliseconds, converted once (`Number(nanos) / 1e6`, as the oracle does). */
export function nanosToMs(value: unknown): number {
  return Number(toBigInt(value)) / 1e6;
}

export function toText(value: unknown): string {
  return typeof value === 'string' ? value : fail('string', value);
}

export function toNullableText(value: unknown): string | null {
  return value === null ? null : toText(value);
}

export function toTexts(value: unknown): string[] {
  if (!Array.isArray(value)) return fail('array', value);
  return value.map(toText);
}

/** A column of `row`, which must be present (a missing alias is a bug in the statement). */
export function column(row: Row, name: string): unknown {
  if (!(name in row)) throw new StorageError(`column ${name} missing from a ClickHouse result row`);
  return row[name];
}

import { byCountThenText } from '../../api/ordering.js';

export { byCountThenService, byCountThenText, compareInstanceGroups, compareText } from '../../api/ordering.js';

/** The instance columns every instance grouping selects (aliases equal the column names). */
export const INSTANCE_COLUMNS = ['instance', 'k8s_cluster', 'k8s_node', 'k8s_namespace', 'k8s_pod', 'k8s_workload'] as const;

/** `alias.instance AS instance, …` for the instance columns of the calls row `alias`. */
export function instanceSelect(alias: string): string {
  return INSTANCE_COLUMNS.map((name) => `${alias}.${name} AS ${name}`).join(', ');
}

export function instanceFromRow(row: Row): { instance: string | null; k8s: KubernetesContext } {
  return {
    instance: toNullableText(column(row, 'instance')),
    k8s: {
      cluster: toNullableText(column(row, 'k8s_cluster')),
      node: toNullableText(column(row, 'k8s_node')),
      namespace: toNullableText(column(row, 'k8s_namespace')),
      pod: toNullableText(column(row, 'k8s_pod')),
      workload: toNullableText(column(row, 'k8s_workload')),
    },
  };
}

/** `{ text, count }` rows (aliases `text`, `n`) most first, ties by text. */
export function rankedTexts(rows: readonly Row[]): { text: string; count: number }[] {
  return rows.map((row) => ({ text: toText(column(row, 'text')), count: toNumber(column(row, 'n')) })).sort(byCountThenText((x) => x.count, (x) => x.text));
}
