/**
 * The one table `npm run bench` prints (measure, value, target, met?), with the notes a reader
 * needs to trust it: the load average around each part, and how each query store came to be.
 */
import type { Measure } from './result.js';

export type PartOutcome =
  | { readonly kind: 'measured'; readonly measures: readonly Measure[]; readonly details: Record<string, unknown> }
  | { readonly kind: 'failed'; readonly exitCode: number; readonly message: string };

/** One part of a run as latest.json records it. */
export interface PartRecord {
  readonly part: string;
  readonly command: string;
  readonly log: string;
  readonly seconds: number;
  /** `os.loadavg()` (1, 5, 15 minutes) right before the part started and right after it ended. */
  readonly loadAverageBefore: readonly number[];
  readonly loadAverageAfter: readonly number[];
  readonly outcome: PartOutcome;
}

function formatValue(measure: Measure): string {
  return measure.display ?? `${measure.value.toLocaleString('en')} ${measure.unit}`;
}

/** Prints the table; values wider than the terminal wrap, which beats cutting them. */
export function printSummary(records: readonly PartRecord[]): void {
  const rows: [string, string, string, string][] = [];
  for (const record of records) {
    if (record.outcome.kind === 'failed') {
      rows.push([record.part, `FAILED (exit ${record.outcome.exitCode}): see ${record.log}`, '', '']);
      continue;
    }
    for (const m of record.outcome.measures) rows.push([m.name, formatValue(m), m.target?.text ?? '', m.target === undefined ? '' : m.target.met ? 'yes' : 'NO']);
  }
  const header: [string, string, string, string] = ['measure', 'value', 'target', 'met?'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ').trimEnd();
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const row of rows) console.log(line(row));

  console.log('\nload average (1 min) before → after each part, on a machine shared with other work:');
  console.log(`  ${records.map((r) => `${r.part} ${r.loadAverageBefore[0]} → ${r.loadAverageAfter[0]}`).join('; ')}`);
  for (const record of records) {
    if (record.outcome.kind !== 'measured') continue;
    const d = record.outcome.details;
    if (typeof d.buildSeconds === 'number' && typeof d.spans === 'number') {
      const how = d.storeCached === true ? `cached (building it took ${d.buildSeconds} s)` : `built during this run in ${d.buildSeconds} s (cached for the next run)`;
      console.log(`  ${record.part}: store of ${d.spans.toLocaleString('en')} spans, schema ${String(d.schemaVersion)}, ${how}`);
    }
  }
}
