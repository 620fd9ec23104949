/**
 * The result every benchmark program hands to `bench/run.ts`: a list of measures (one row each in
 * the summary table) plus free-form details for `bench/results/latest.json`. A program writes it
 * when given `--json <file>`; run alone, it only prints its own table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A target from issue 6 and whether this run met it. */
export interface Target {
  /** As the issue states it, e.g. `≥ 300,000 spans/s (goal 500,000)`. */
  readonly text: string;
  readonly met: boolean;
}

export interface Measure {
  /** What was measured, e.g. `ingest http/protobuf: spans/s`. */
  readonly name: string;
  /** The headline number, in `unit`. */
  readonly value: number;
  readonly unit: string;
  /** How the table shows it when the headline number alone says too little (e.g. `p50 12.0 / p99 26.8 ms`). */
  readonly display?: string;
  readonly target?: Target;
}

export interface PartResult {
  readonly part: string;
  readonly measures: readonly Measure[];
  /** Everything else the program measured (method parameters, per-client figures, …). */
  readonly details: Record<string, unknown>;
}

/** The value of `--name` in argv, or undefined. */
export function stringFlag(name: string, argv: readonly string[] = process.argv): string | undefined {
  const at = argv.indexOf(`--${name}`);
  return at < 0 ? undefined : argv[at + 1];
}

/** A positive number from `--name`, else `fallback`. */
export function numberFlag(name: string, fallback: number, argv: readonly string[] = process.argv): number {
  const value = Number(stringFlag(name, argv));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Writes `result` to the file named by `--json`, when there is one. */
export function writePartResult(result: PartResult, argv: readonly string[] = process.argv): void {
  const file = stringFlag('json', argv);
  if (file === undefined) return;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`);
}

/** Nearest-rank percentile (`sorted[ceil(q·n) − 1]`) of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

export function round(value: number, digits = 0): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** `1,001,000` → `1M`, `200,225` → `200K`: how tables name a store by its size. */
export function sizeLabel(spans: number): string {
  return spans >= 1_000_000 ? `${Math.round(spans / 1_000_000)}M` : `${Math.round(spans / 1_000)}K`;
}
