import { checkTenant } from '../app/access.js';
import type { TributaryConfig } from '../config/config.js';
import { loadConfig, type ConfigOverrides } from '../config/load.js';

/** Loads the configuration for a command, printing warnings and errors to stderr. Undefined on errors. */
export function loadConfigOrExplain(flags: ConfigOverrides & { config?: string }): TributaryConfig | undefined {
  const { config: configFile, ...overrides } = flags;
  const result = loadConfig({ ...(configFile ? { configFile } : {}), overrides });
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
  if (!result.ok) {
    for (const error of result.errors) process.stderr.write(`error: ${error}\n`);
    return undefined;
  }
  return result.config;
}

/** Parses a whole number flag, or throws a message naming the flag. */
export function intFlag(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: expected a whole number, got "${value}"`);
    return n;
  };
}

/** Collects a repeatable flag (`--query-token a --query-token b`) into a list. */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * The tenant of a command (`--tenant`, else `TRIBUTARY_TENANT`): validated like the server does,
 * since it names a directory. `{ ok: true, tenant: undefined }` when none is given.
 */
export function tenantFlag(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { ok: true; tenant: string | undefined } | { ok: false; error: string } {
  const tenant = flag ?? (env.TRIBUTARY_TENANT || undefined);
  if (tenant === undefined) return { ok: true, tenant };
  const checked = checkTenant(tenant);
  return checked.ok ? { ok: true, tenant } : { ok: false, error: `--tenant: ${checked.refusal.message.replace(/^invalid X-Scope-OrgID /, '')}` };
}
