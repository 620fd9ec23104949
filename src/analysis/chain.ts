import { SERVICE_KINDS, type ServiceKind } from '../model/service.js';
import type { ChainStep } from '../storage/api/call-queries.js';

export type ChainParse = { readonly ok: true; readonly steps: ChainStep[] } | { readonly ok: false; readonly error: string };

/**
 * Parses a chain filter (DESIGN.md §3): services from caller to callee separated by `>`, each
 * optionally with a request name after the first `:` and a kind before a `!`:
 * `frontend > order:GET /order/{id} > backend`, `order > database!orders`.
 * Whitespace around names is ignored; a request name is taken verbatim after trimming.
 */
export function parseChain(text: string): ChainParse {
  const parts = text.split('>').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) {
    return { ok: false, error: 'expected services separated by ">", e.g. "frontend > order:GET /order/{id} > backend"' };
  }
  const steps: ChainStep[] = [];
  for (const part of parts) {
    const colon = part.indexOf(':');
    const head = colon < 0 ? part : part.slice(0, colon).trim();
    const request = colon < 0 ? undefined : part.slice(colon + 1).trim();
    const bang = head.indexOf('!');
    const kindText = bang < 0 ? undefined : head.slice(0, bang).trim();
    const name = bang < 0 ? head : head.slice(bang + 1).trim();
    if (name === '') return { ok: false, error: `empty service name in "${part}"` };
    if (kindText !== undefined && !(SERVICE_KINDS as readonly string[]).includes(kindText)) {
      return { ok: false, error: `unknown kind "${kindText}" in "${part}" (one of ${SERVICE_KINDS.join(', ')})` };
    }
    steps.push({
      name,
      ...(kindText !== undefined ? { kind: kindText as ServiceKind } : {}),
      ...(request !== undefined && request !== '' ? { request } : {}),
    });
  }
  return { ok: true, steps };
}

/** Whether `line` (calls root first) contains a contiguous run matching `chain`. */
export function lineContainsChain(
  line: readonly { readonly kind: string; readonly name: string; readonly request: string }[],
  chain: readonly ChainStep[],
): boolean {
  if (chain.length === 0) return true;
  for (let start = 0; start + chain.length <= line.length; start++) {
    let matches = true;
    for (let j = 0; j < chain.length && matches; j++) matches = stepMatches(chain[j]!, line[start + j]!);
    if (matches) return true;
  }
  return false;
}

export function stepMatches(step: ChainStep, call: { readonly kind: string; readonly name: string; readonly request: string }): boolean {
  return call.name === step.name && (step.kind === undefined || call.kind === step.kind) && (step.request === undefined || call.request === step.request);
}
