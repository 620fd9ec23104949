/** How numbers, rates, durations and times read everywhere in the UI. */

const counts = new Intl.NumberFormat('en-US');

export function formatCount(value: number): string {
  return counts.format(value);
}

/** A rate in [0, 1] as a percentage: whole numbers from 10 %, one decimal below, never "0%" for a non-zero rate. */
export function formatPercent(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return '0%';
  const percent = rate * 100;
  if (percent < 0.1) return '<0.1%';
  if (percent < 10) return `${trimZero(percent.toFixed(1))}%`;
  return `${Math.round(percent)}%`;
}

export function failureRate(failed: number, requests: number): number {
  return requests === 0 ? 0 : failed / requests;
}

/** Milliseconds with three significant digits and a fitting unit. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${significant(ms * 1000)} µs`;
  if (ms < 1000) return `${significant(ms)} ms`;
  if (ms < 60_000) return `${significant(ms / 1000)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function significant(value: number): string {
  return trimZero(value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
}

function trimZero(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

function pad(value: number, length = 2): string {
  return String(value).padStart(length, '0');
}

/** Local date and time, `2024-05-14 10:00:00`. */
export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  if (Number.isNaN(d.getTime())) return '–';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The value of an `<input type="datetime-local">` for an instant. */
export function toDateTimeLocal(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Nanoseconds since the epoch (a decimal string, as the API sends int64) to milliseconds. */
export function nanosToMs(text: string): number {
  try {
    return Number(BigInt(text) / 1000n) / 1000;
  } catch {
    return Number.NaN;
  }
}
