/**
 * The timeframe of every view: the API's `from`/`to` (ISO-8601, epoch milliseconds or
 * `now-15m`-style, docs/api.md), kept verbatim in the URL so a relative window stays relative.
 */
export const PRESETS = [
  { from: 'now-15m', label: 'Last 15 minutes' },
  { from: 'now-1h', label: 'Last hour' },
  { from: 'now-6h', label: 'Last 6 hours' },
  { from: 'now-24h', label: 'Last 24 hours' },
  { from: 'now-7d', label: 'Last 7 days' },
] as const;

export const DEFAULT_FROM = 'now-1h';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The instant a time parameter names, as the server reads it; NaN when it is not one. */
export function resolveTime(text: string, nowMs: number): number {
  const value = text.trim();
  const relative = /^now(?:([+-])(\d+)(ms|s|m|h|d))?$/.exec(value);
  if (relative) {
    const [, sign, amount, unit] = relative;
    return sign === undefined ? nowMs : nowMs + Number(amount) * (UNIT_MS[unit ?? 'ms'] ?? 1) * (sign === '-' ? -1 : 1);
  }
  if (/^-?\d+$/.test(value)) return Number(value);
  return Date.parse(value);
}

export type Timeframe =
  | { readonly mode: 'preset'; readonly from: string; readonly label: string }
  | { readonly mode: 'custom'; readonly from: string; readonly to: string };

export function timeframeOf(params: URLSearchParams): Timeframe {
  const from = params.get('from') ?? DEFAULT_FROM;
  const to = params.get('to') ?? 'now';
  const preset = PRESETS.find((p) => p.from === from);
  if (preset && (to === 'now' || to === '')) return { mode: 'preset', from, label: preset.label };
  return { mode: 'custom', from, to };
}
