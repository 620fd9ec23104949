/**
 * The analytics' few additions to `../sql-literal.ts` (the one escaping module, through which
 * every value reaches SQL): window bounds clamped to Int64, Int64 values for arithmetic, limits.
 */
import { int64Literal } from '../sql-literal.js';

export const INT64_BOUNDS = { min: -(1n << 63n), max: (1n << 63n) - 1n } as const;

/** Times are stored as Int64 nanoseconds; a window bound outside Int64 is clamped to it. */
export function clampInt64(value: bigint): bigint {
  return value < INT64_BOUNDS.min ? INT64_BOUNDS.min : value > INT64_BOUNDS.max ? INT64_BOUNDS.max : value;
}

/**
 * An Int64 value for arithmetic: a bare positive literal above 2^32 is typed UInt64, which would
 * make `start − origin` unsigned; `toInt64(…)` fixes the type. (Comparisons take bare literals:
 * ClickHouse compares signed with unsigned exactly, and the primary key analysis sees them as is.)
 */
export function int64Value(value: bigint): string {
  return `toInt64(${int64Literal(value)})`;
}

/** A non-negative count (limits): floored; negative and NaN become 0. */
export function countLiteral(value: number): string {
  if (Number.isNaN(value) || value <= 0) return '0';
  return Number.isFinite(value) ? String(Math.floor(Math.min(value, Number.MAX_SAFE_INTEGER))) : String(Number.MAX_SAFE_INTEGER);
}
