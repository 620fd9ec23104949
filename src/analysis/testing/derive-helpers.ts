/**
 * What the `deriveCalls` tests share: one trace id, default options, and ways to read the result
 * (`edges` for the call graph at a glance, `only` for the one call of a service).
 */
import { expect } from 'vitest';
import type { ServiceCall } from '../../model/call.js';
import { deriveCalls, type DerivationOptions } from '../derive-calls.js';

export const TRACE = '0af7651916cd43dd8448eb211c80319c';
export const DEFAULTS: DerivationOptions = { failureRules: [] };

export function derive(spans: Parameters<typeof deriveCalls>[1], options: DerivationOptions = DEFAULTS): ServiceCall[] {
  return deriveCalls(TRACE, spans, options).calls;
}

/** `caller → kind:service "request"`, where the caller is the last path entry (`∅`: requests start here). */
export function edges(calls: readonly ServiceCall[]): string[] {
  return calls.map((call) => {
    const caller = call.path.at(-1);
    return `${caller === undefined ? '∅' : `${caller.kind}:${caller.name}`} → ${call.kind}:${call.service} "${call.request}"`;
  });
}

export function only(calls: readonly ServiceCall[], service: string): ServiceCall {
  const found = calls.filter((call) => call.service === service);
  expect(found).toHaveLength(1);
  return found[0]!;
}
