import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config.js';
import { loadConfig } from './load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tributary-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(yaml: string): string {
  const name = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(name, yaml);
  return name;
}

const TOKEN_A = 'token-a-0123456789abcdef';
const TOKEN_B = 'token-b-0123456789abcdef';

describe('security options: auth, tenancy, timeouts, query limits', () => {
  it('defaults to loopback, open ingest and API, one tenant, 30 s query timeout and no range cap', () => {
    const result = loadConfig({ env: {} });
    expect(result.ok && result.config).toMatchObject({
      host: '127.0.0.1',
      auth: { ingestTokens: [], queryTokens: [] },
      multiTenancy: false,
      maxTenants: 100,
      query: { queryTimeoutMs: 30_000, maxQueryRangeHours: 0 },
    });
    expect(DEFAULT_CONFIG.http.requestTimeoutMs).toBeGreaterThan(0);
  });

  it('reads the YAML groups', () => {
    const result = loadConfig({
      env: {},
      configFile: file(`
auth:
  ingestTokens: [${TOKEN_A}]
  queryTokens: [${TOKEN_A}, ${TOKEN_B}]
multiTenancy: true
maxTenants: 7
http: { requestTimeoutMs: 5000, idleTimeoutMs: 9000, keepAliveTimeoutMs: 1000 }
query: { queryTimeoutMs: 1500, maxQueryRangeHours: 24 }
`),
    });
    expect(result.ok && result.warnings).toEqual([]);
    expect(result.ok && result.config).toMatchObject({
      auth: { ingestTokens: [TOKEN_A], queryTokens: [TOKEN_A, TOKEN_B] },
      multiTenancy: true,
      maxTenants: 7,
      http: { requestTimeoutMs: 5000, idleTimeoutMs: 9000, keepAliveTimeoutMs: 1000 },
      query: { queryTimeoutMs: 1500, maxQueryRangeHours: 24 },
    });
  });

  it('reads the environment (comma-separated token lists) over the file, and flags over both', () => {
    const configFile = file(`auth: { ingestTokens: [from-file-0123456789abc] }\nmultiTenancy: false\n`);
    const env = {
      TRIBUTARY_INGEST_TOKENS: ` ${TOKEN_A} , ${TOKEN_B} `,
      TRIBUTARY_QUERY_TOKENS: TOKEN_B,
      TRIBUTARY_MULTI_TENANCY: 'true',
      TRIBUTARY_MAX_TENANTS: '3',
      TRIBUTARY_QUERY_TIMEOUT_MS: '2500',
      TRIBUTARY_MAX_QUERY_RANGE_HOURS: '48',
      TRIBUTARY_REQUEST_TIMEOUT_MS: '4000',
    };
    const fromEnv = loadConfig({ env, configFile });
    expect(fromEnv.ok && fromEnv.config).toMatchObject({
      auth: { ingestTokens: [TOKEN_A, TOKEN_B], queryTokens: [TOKEN_B] },
      multiTenancy: true,
      maxTenants: 3,
      query: { queryTimeoutMs: 2500, maxQueryRangeHours: 48 },
      http: { requestTimeoutMs: 4000 },
    });
    const withFlags = loadConfig({ env, configFile, overrides: { ingestTokens: ['flag-token-0123456789ab'], multiTenancy: false } });
    expect(withFlags.ok && withFlags.config.auth.ingestTokens).toEqual(['flag-token-0123456789ab']);
    expect(withFlags.ok && withFlags.config.multiTenancy).toBe(false);
  });

  it('refuses tokens with spaces and wrong values, naming the option; warns about short tokens', () => {
    const bad = loadConfig({
      env: { TRIBUTARY_MULTI_TENANCY: 'maybe', TRIBUTARY_MAX_TENANTS: '0', TRIBUTARY_QUERY_TIMEOUT_MS: 'soon' },
      configFile: file(`auth: { queryTokens: ["has space 0123456789"] }\n`),
    });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors).toEqual(expect.arrayContaining([
      'multiTenancy: expected true or false, got "maybe"',
      expect.stringMatching(/^maxTenants: expected a number ≥ 1/),
      expect.stringMatching(/^query\.queryTimeoutMs: expected a number/),
      'auth.queryTokens: a token must not contain spaces or control characters',
    ]));
    const short = loadConfig({ env: { TRIBUTARY_QUERY_TOKENS: 'abc' } });
    expect(short.ok && short.warnings).toEqual(['auth.queryTokens: a token of 3 characters is easy to guess (use 16 or more)']);
  });
});
