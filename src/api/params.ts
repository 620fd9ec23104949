import { parseChain } from '../analysis/chain.js';
import { SERVICE_KINDS, type ServiceKind } from '../model/service.js';
import type { ChainStep } from '../storage/api/call-queries.js';
import { parseWindow, type Window } from '../query/time.js';

/** Query parameters as they arrive (REST query string, or CLI flags mapped onto the same names). */
export type Params = Readonly<Record<string, string | undefined>>;

/** A 400 that names the parameter (DESIGN.md §4). */
export class ParamError extends Error {
  override readonly name = 'ParamError';
  constructor(readonly parameter: string, message: string) {
    super(`${parameter}: ${message}`);
  }
}

/** Steps of a chain filter: each step is a join in the store, so long chains are refused. */
export const MAX_CHAIN_STEPS = 16;
/** Hops of a backtrace node's `path` (deep call chains are real, so the cap is generous). */
export const MAX_PATH_STEPS = 256;

/** `[from, to)`; with `maxRangeHours` > 0, a longer window is refused (a cost limit). */
export function windowParam(params: Params, nowMs: number, maxRangeHours = 0): Window {
  const parsed = parseWindow(params.from, params.to, nowMs);
  if (!parsed.ok) throw new ParamError(parsed.parameter, parsed.error);
  const hours = (parsed.window.toMs - parsed.window.fromMs) / 3_600_000;
  if (maxRangeHours > 0 && hours > maxRangeHours) {
    throw new ParamError('from', `the window spans ${formatHours(hours)} h, more than the ${maxRangeHours} h this server allows (query.maxQueryRangeHours)`);
  }
  return parsed.window;
}

function formatHours(hours: number): string {
  return hours >= 10 ? String(Math.round(hours)) : hours.toFixed(1);
}

export function kindParam(params: Params): ServiceKind | undefined {
  const kind = params.kind;
  if (kind === undefined || kind === '') return undefined;
  if (!(SERVICE_KINDS as readonly string[]).includes(kind)) throw new ParamError('kind', `one of ${SERVICE_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  return kind as ServiceKind;
}

export function chainParam(params: Params, name = 'chain', maxSteps = name === 'path' ? MAX_PATH_STEPS : MAX_CHAIN_STEPS): ChainStep[] | undefined {
  const text = params[name];
  if (text === undefined || text.trim() === '') return undefined;
  const parsed = parseChain(text);
  if (!parsed.ok) throw new ParamError(name, parsed.error);
  if (parsed.steps.length > maxSteps) throw new ParamError(name, `${parsed.steps.length} steps, at most ${maxSteps} are allowed`);
  return parsed.steps;
}

export function optionalText(params: Params, name: string): string | undefined {
  const value = params[name];
  return value === undefined || value === '' ? undefined : value;
}

export function numberParam(params: Params, name: string, options: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const text = params[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  const { min = -Infinity, max = Infinity, integer = false } = options;
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new ParamError(name, `expected ${integer ? 'a whole number' : 'a number'} ${range}, got ${JSON.stringify(text)}`);
  }
  return value;
}

export function booleanParam(params: Params, name: string): boolean | undefined {
  const text = params[name];
  if (text === undefined || text === '') return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ParamError(name, `expected true or false, got ${JSON.stringify(text)}`);
}
