import type { CallerKind } from '../../types.js';

/**
 * Writing backtrace paths in the API's chain syntax (docs/api.md): services from caller to callee
 * separated by `>`, each `name` or `kind!name`. The syntax has no escapes, so a name containing
 * `>` or `:`, or with surrounding spaces, cannot be written: such a node gets no path (null).
 */
export interface NodeStep {
  readonly kind: CallerKind;
  readonly name: string;
}

export function stepText(step: NodeStep): string | null {
  const { kind, name } = step;
  if (name === '' || name.trim() !== name || name.includes('>') || name.includes(':')) return null;
  // The `unknown` caller cannot be named by kind; a bare name finds it. Other kinds are spelled
  // out unless they are plain services, which keeps chips readable (`shop-web` is found by name).
  if (kind === 'unknown') return name.includes('!') ? null : name;
  if (kind === 'service' && !name.includes('!')) return name;
  return `${kind}!${name}`;
}

/** `a > b > c`, or null when a step cannot be written. */
export function chainText(steps: readonly NodeStep[]): string | null {
  const parts: string[] = [];
  for (const step of steps) {
    const text = stepText(step);
    if (text === null) return null;
    parts.push(text);
  }
  return parts.join(' > ');
}
