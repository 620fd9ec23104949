/**
 * Time arguments of every query (DESIGN.md §3): ISO-8601, epoch milliseconds, or relative to now
 * (`now`, `now-15m`, `now+1h`; units ms s m h d). Default window: the last hour.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export type TimeParse = { readonly ok: true; readonly epochMs: number } | { readonly ok: false; readonly error: string };

export function parseTime(text: string, nowMs: number): TimeParse {
  const value = text.trim();
  const relative = /^now(?:([+-])(\d+)(ms|s|m|h|d))?$/.exec(value);
  if (relative) {
    const [, sign, amount, unit] = relative;
    const offset = sign ? Number(amount) * UNIT_MS[unit!]! * (sign === '-' ? -1 : 1) : 0;
    return { ok: true, epochMs: nowMs + offset };
  }
  if (/^-?\d+$/.test(value)) return { ok: true, epochMs: Number(value) };
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return { ok: true, epochMs: parsed };
  }
  return { ok: false, error: `expected ISO-8601, epoch milliseconds or now[-+]N(ms|s|m|h|d), got ${JSON.stringify(text)}` };
}

export interface Window {
  readonly fromMs: number;
  readonly toMs: number;
}

export type WindowParse = { readonly ok: true; readonly window: Window } | { readonly ok: false; readonly parameter: 'from' | 'to'; readonly error: string };

/** `[from, to)`; missing `to` is now, missing `from` is an hour before `to`. */
export function parseWindow(from: string | undefined, to: string | undefined, nowMs: number): WindowParse {
  const toParsed = to === undefined || to === '' ? ({ ok: true, epochMs: nowMs } as const) : parseTime(to, nowMs);
  if (!toParsed.ok) return { ok: false, parameter: 'to', error: toParsed.error };
  const fromParsed = from === undefined || from === '' ? ({ ok: true, epochMs: toParsed.epochMs - 3_600_000 } as const) : parseTime(from, nowMs);
  if (!fromParsed.ok) return { ok: false, parameter: 'from', error: fromParsed.error };
  if (fromParsed.epochMs >= toParsed.epochMs) return { ok: false, parameter: 'from', error: 'must be before "to"' };
  return { ok: true, window: { fromMs: fromParsed.epochMs, toMs: toParsed.epochMs } };
}

export function msToUnixNano(ms: number): bigint {
  return BigInt(Math.round(ms)) * 1_000_000n;
}
