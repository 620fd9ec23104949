import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  DEFAULT_CONFIG,
  type AuthConfig,
  type FailureRuleConfig,
  type HttpTimeouts,
  type IngestLimits,
  type QueryLimits,
  type StorageBackend,
  type TributaryConfig,
  type ZoneConfig,
  type ZoneRule,
} from './config.js';

/** Options given on the command line; each wins over the environment and the file. */
export interface ConfigOverrides {
  host?: string;
  port?: number;
  otlpHttpPort?: number;
  otlpGrpcPort?: number;
  storage?: string;
  dataDir?: string;
  clickhouseUrl?: string;
  clickhouseCluster?: string;
  settleMs?: number;
  ingestTokens?: string[];
  queryTokens?: string[];
  multiTenancy?: boolean;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: TributaryConfig; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[]; readonly warnings: readonly string[] };

/** Environment variable → config key. Documented in docs/operations.md. */
export const ENVIRONMENT_VARIABLES: Readonly<Record<string, keyof ConfigOverrides | SecurityOption | 'config' | 'retentionHours' | 'shutdownGraceMs' | 'duckdbMemoryLimit' | 'maxBodyBytes' | 'maxQueuedSpans' | 'maxAttributesPerSpan' | 'maxAttributeValueBytes' | 'otlpCorsOrigins'>> = {
  TRIBUTARY_CONFIG: 'config',
  TRIBUTARY_HOST: 'host',
  TRIBUTARY_PORT: 'port',
  TRIBUTARY_OTLP_HTTP_PORT: 'otlpHttpPort',
  TRIBUTARY_OTLP_GRPC_PORT: 'otlpGrpcPort',
  TRIBUTARY_STORAGE: 'storage',
  TRIBUTARY_DATA: 'dataDir',
  TRIBUTARY_CLICKHOUSE_URL: 'clickhouseUrl',
  TRIBUTARY_CLICKHOUSE_CLUSTER: 'clickhouseCluster',
  TRIBUTARY_SETTLE_MS: 'settleMs',
  TRIBUTARY_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  TRIBUTARY_RETENTION_HOURS: 'retentionHours',
  TRIBUTARY_DUCKDB_MEMORY_LIMIT: 'duckdbMemoryLimit',
  TRIBUTARY_MAX_BODY_BYTES: 'maxBodyBytes',
  TRIBUTARY_MAX_QUEUED_SPANS: 'maxQueuedSpans',
  TRIBUTARY_MAX_ATTRIBUTES_PER_SPAN: 'maxAttributesPerSpan',
  TRIBUTARY_MAX_ATTRIBUTE_VALUE_BYTES: 'maxAttributeValueBytes',
  TRIBUTARY_OTLP_CORS_ORIGINS: 'otlpCorsOrigins',
  TRIBUTARY_INGEST_TOKENS: 'ingestTokens',
  TRIBUTARY_QUERY_TOKENS: 'queryTokens',
  TRIBUTARY_MULTI_TENANCY: 'multiTenancy',
  TRIBUTARY_MAX_TENANTS: 'maxTenants',
  TRIBUTARY_QUERY_TIMEOUT_MS: 'queryTimeoutMs',
  TRIBUTARY_MAX_QUERY_RANGE_HOURS: 'maxQueryRangeHours',
  TRIBUTARY_REQUEST_TIMEOUT_MS: 'requestTimeoutMs',
  TRIBUTARY_IDLE_TIMEOUT_MS: 'idleTimeoutMs',
  TRIBUTARY_KEEP_ALIVE_TIMEOUT_MS: 'keepAliveTimeoutMs',
};

/**
 * Builds the configuration: defaults, then the YAML file (`configFile`, else `TRIBUTARY_CONFIG`),
 * then `TRIBUTARY_*` variables, then `overrides`. Unknown keys are warnings; wrong types and
 * out-of-range values are errors that name the option and where it came from.
 */
export function loadConfig(options: {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: ConfigOverrides;
}): ConfigResult {
  const env = options.env ?? process.env;
  const errors: string[] = [];
  const warnings: string[] = [];
  const raw: Record<string, unknown> = {};

  const file = options.configFile ?? env.TRIBUTARY_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(file, 'utf8'));
    } catch (error) {
      return { ok: false, errors: [`config file ${file}: ${error instanceof Error ? error.message : String(error)}`], warnings };
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        return { ok: false, errors: [`config file ${file}: expected a mapping at the top level`], warnings };
      }
      Object.assign(raw, parsed);
    }
  }
  for (const [variable, key] of Object.entries(ENVIRONMENT_VARIABLES)) {
    const value = env[variable];
    if (value !== undefined && value !== '' && key !== 'config') raw[key] = value;
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) raw[key] = value;
  }

  const known = new Set([...Object.keys(DEFAULT_CONFIG), ...Object.keys(DEFAULT_CONFIG.limits), ...SECURITY_FLAT_KEYS]);
  for (const key of Object.keys(raw)) if (!known.has(key)) warnings.push(`unknown config option "${key}" (ignored)`);

  const read = new OptionReader(raw, errors);
  const limitsRaw = typeof raw.limits === 'object' && raw.limits !== null ? (raw.limits as Record<string, unknown>) : {};
  const limitReader = new OptionReader({ ...limitsRaw, ...pick(raw, ['maxBodyBytes', 'maxQueuedSpans', 'maxAttributesPerSpan', 'maxAttributeValueBytes']) }, errors, 'limits.');
  const limits: IngestLimits = {
    maxBodyBytes: limitReader.integer('maxBodyBytes', DEFAULT_CONFIG.limits.maxBodyBytes, 1024),
    maxQueuedSpans: limitReader.integer('maxQueuedSpans', DEFAULT_CONFIG.limits.maxQueuedSpans, 1),
    maxSpansPerRequest: limitReader.integer('maxSpansPerRequest', DEFAULT_CONFIG.limits.maxSpansPerRequest, 1),
    maxLiveSpans: limitReader.integer('maxLiveSpans', DEFAULT_CONFIG.limits.maxLiveSpans, 1),
    maxSpansPerTrace: limitReader.integer('maxSpansPerTrace', DEFAULT_CONFIG.limits.maxSpansPerTrace, 1),
    maxAttributesPerSpan: limitReader.integer('maxAttributesPerSpan', DEFAULT_CONFIG.limits.maxAttributesPerSpan, 0),
    maxAttributeValueBytes: limitReader.integer('maxAttributeValueBytes', DEFAULT_CONFIG.limits.maxAttributeValueBytes, 0),
  };
  const storage = read.string('storage', DEFAULT_CONFIG.storage);
  if (storage !== 'duckdb' && storage !== 'clickhouse') errors.push(`storage: must be "duckdb" or "clickhouse", got "${storage}"`);
  const clickhouseUrl = read.optionalString('clickhouseUrl');
  if (storage === 'clickhouse' && !clickhouseUrl) errors.push('clickhouseUrl: required when storage is "clickhouse" (--clickhouse-url or TRIBUTARY_CLICKHOUSE_URL)');

  const config: TributaryConfig = {
    host: read.string('host', DEFAULT_CONFIG.host),
    port: read.integer('port', DEFAULT_CONFIG.port, 0, 65535),
    otlpHttpPort: read.integer('otlpHttpPort', DEFAULT_CONFIG.otlpHttpPort, 0, 65535),
    otlpGrpcPort: read.integer('otlpGrpcPort', DEFAULT_CONFIG.otlpGrpcPort, 0, 65535),
    storage: storage as StorageBackend,
    dataDir: read.string('dataDir', DEFAULT_CONFIG.dataDir),
    duckdbMemoryLimit: read.string('duckdbMemoryLimit', DEFAULT_CONFIG.duckdbMemoryLimit),
    clickhouseUrl,
    clickhouseCluster: read.optionalString('clickhouseCluster'),
    settleMs: read.integer('settleMs', DEFAULT_CONFIG.settleMs, 0),
    shutdownGraceMs: read.integer('shutdownGraceMs', DEFAULT_CONFIG.shutdownGraceMs, 0),
    retentionHours: read.number('retentionHours', DEFAULT_CONFIG.retentionHours, 0),
    limits,
    zones: readZones(raw.zones, errors),
    failureRules: readFailureRules(raw.failureRules, errors),
    proxies: readStringList(raw.proxies, 'proxies', errors),
    otlpCorsOrigins: readStringList(raw.otlpCorsOrigins, 'otlpCorsOrigins', errors),
    ...readSecurity(raw, errors, warnings),
  };
  return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, config, warnings };
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/** Reads typed options, accepting strings for numbers (environment variables are strings). */
class OptionReader {
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly errors: string[],
    private readonly prefix = '',
  ) {}

  string(key: string, fallback: string): string {
    const value = this.raw[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' && typeof value !== 'number') {
      this.errors.push(`${this.prefix}${key}: expected a string`);
      return fallback;
    }
    return String(value);
  }

  optionalString(key: string): string | null {
    const value = this.raw[key];
    if (value === undefined || value === null || value === '') return null;
    return this.string(key, '');
  }

  number(key: string, fallback: number, min = -Infinity, max = Infinity): number {
    const value = this.raw[key];
    if (value === undefined || value === null || value === '') return fallback;
    const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
      this.errors.push(`${this.prefix}${key}: expected a number${rangeText(min, max)}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return parsed;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw[key];
    if (value === undefined || value === null || value === '') return fallback;
    if (typeof value === 'boolean') return value;
    const text = String(value).trim().toLowerCase();
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    this.errors.push(`${this.prefix}${key}: expected true or false, got ${JSON.stringify(value)}`);
    return fallback;
  }

  integer(key: string, fallback: number, min = -Infinity, max = Infinity): number {
    const value = this.number(key, fallback, min, max);
    if (!Number.isInteger(value)) {
      this.errors.push(`${this.prefix}${key}: expected a whole number, got ${value}`);
      return fallback;
    }
    return value;
  }
}

function rangeText(min: number, max: number): string {
  if (min === -Infinity && max === Infinity) return '';
  if (max === Infinity) return ` ≥ ${min}`;
  return ` from ${min} to ${max}`;
}

function readStringList(value: unknown, key: string, errors: string[]): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  errors.push(`${key}: expected a list of strings`);
  return [];
}

function readZones(value: unknown, errors: string[]): ZoneConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push('zones: expected a list of zones');
    return [];
  }
  const zones: ZoneConfig[] = [];
  value.forEach((zone: unknown, index) => {
    const where = `zones[${index}]`;
    if (typeof zone !== 'object' || zone === null) return void errors.push(`${where}: expected a mapping`);
    const { name, match = 'all', rules } = zone as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') return void errors.push(`${where}.name: required`);
    if (match !== 'all' && match !== 'any') return void errors.push(`${where}.match: "all" or "any"`);
    if (!Array.isArray(rules) || rules.length === 0) return void errors.push(`${where}.rules: a non-empty list`);
    const parsed: ZoneRule[] = [];
    rules.forEach((rule: unknown, r) => {
      const at = `${where}.rules[${r}]`;
      const parsedRule = readZoneRule(rule);
      if (typeof parsedRule === 'string') errors.push(`${at}: ${parsedRule}`);
      else parsed.push(parsedRule);
    });
    zones.push({ name, match, rules: parsed });
  });
  return zones;
}

function readZoneRule(rule: unknown): ZoneRule | string {
  if (typeof rule !== 'object' || rule === null) return 'expected a mapping';
  const r = rule as Record<string, unknown>;
  if (typeof r.attribute !== 'string' || r.attribute === '') return 'attribute: required';
  const operators = ['equals', 'startsWith', 'regex', 'exists'].filter((op) => r[op] !== undefined);
  if (operators.length !== 1) return 'exactly one of equals, startsWith, regex, exists';
  const attribute = r.attribute;
  if (r.exists !== undefined) return typeof r.exists === 'boolean' ? { attribute, exists: r.exists } : 'exists: true or false';
  const op = operators[0] as 'equals' | 'startsWith' | 'regex';
  const operand = r[op];
  if (typeof operand !== 'string') return `${op}: expected a string`;
  if (op === 'regex') {
    try {
      new RegExp(operand);
    } catch {
      return `regex: invalid regular expression ${JSON.stringify(operand)}`;
    }
    return { attribute, regex: operand };
  }
  return op === 'equals' ? { attribute, equals: operand } : { attribute, startsWith: operand };
}

function readFailureRules(value: unknown, errors: string[]): FailureRuleConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push('failureRules: expected a list');
    return [];
  }
  const rules: FailureRuleConfig[] = [];
  value.forEach((rule: unknown, index) => {
    const where = `failureRules[${index}]`;
    if (typeof rule !== 'object' || rule === null) return void errors.push(`${where}: expected a mapping`);
    const r = rule as Record<string, unknown>;
    const codes = r.httpStatusCodes;
    if (!Array.isArray(codes) || !codes.every((c) => Number.isInteger(c))) return void errors.push(`${where}.httpStatusCodes: a list of status codes`);
    if (typeof r.failed !== 'boolean') return void errors.push(`${where}.failed: true or false`);
    if (r.service !== undefined && typeof r.service !== 'string') return void errors.push(`${where}.service: a string`);
    if (r.request !== undefined && typeof r.request !== 'string') return void errors.push(`${where}.request: a string`);
    rules.push({
      httpStatusCodes: codes as number[],
      failed: r.failed,
      ...(typeof r.service === 'string' ? { service: r.service } : {}),
      ...(typeof r.request === 'string' ? { request: r.request } : {}),
    });
  });
  return rules;
}

/** Options that may be given flat (environment variables, flags) as well as in their YAML group. */
type SecurityOption = 'ingestTokens' | 'queryTokens' | 'multiTenancy' | 'maxTenants' | keyof HttpTimeouts | keyof QueryLimits;
const SECURITY_FLAT_KEYS: readonly SecurityOption[] = [
  'ingestTokens', 'queryTokens', 'requestTimeoutMs', 'idleTimeoutMs', 'keepAliveTimeoutMs', 'queryTimeoutMs', 'maxQueryRangeHours',
];

/** Tokens shorter than this are accepted with a warning: they can be guessed. */
const SHORT_TOKEN_CHARS = 16;

/** `auth`, tenancy, HTTP timeouts and query limits; flat keys win over the YAML groups. */
function readSecurity(raw: Record<string, unknown>, errors: string[], warnings: string[]): Pick<TributaryConfig, 'auth' | 'multiTenancy' | 'maxTenants' | 'http' | 'query'> {
  const group = (key: string) => (typeof raw[key] === 'object' && raw[key] !== null && !Array.isArray(raw[key]) ? (raw[key] as Record<string, unknown>) : {});
  const authRaw = { ...group('auth'), ...pick(raw, ['ingestTokens', 'queryTokens']) };
  const tokens = (key: keyof AuthConfig): string[] => {
    const list = readStringList(authRaw[key], `auth.${key}`, errors);
    for (const token of list) {
      if (/[\s\x00-\x1f\x7f]/.test(token)) errors.push(`auth.${key}: a token must not contain spaces or control characters`);
      else if (token.length < SHORT_TOKEN_CHARS) warnings.push(`auth.${key}: a token of ${token.length} characters is easy to guess (use ${SHORT_TOKEN_CHARS} or more)`);
    }
    return list;
  };
  const http = new OptionReader({ ...group('http'), ...pick(raw, ['requestTimeoutMs', 'idleTimeoutMs', 'keepAliveTimeoutMs']) }, errors, 'http.');
  const query = new OptionReader({ ...group('query'), ...pick(raw, ['queryTimeoutMs', 'maxQueryRangeHours']) }, errors, 'query.');
  const top = new OptionReader(raw, errors);
  const defaults = DEFAULT_CONFIG;
  return {
    auth: { ingestTokens: tokens('ingestTokens'), queryTokens: tokens('queryTokens') },
    multiTenancy: top.boolean('multiTenancy', defaults.multiTenancy),
    maxTenants: top.integer('maxTenants', defaults.maxTenants, 1),
    http: {
      requestTimeoutMs: http.integer('requestTimeoutMs', defaults.http.requestTimeoutMs, 100),
      idleTimeoutMs: http.integer('idleTimeoutMs', defaults.http.idleTimeoutMs, 100),
      keepAliveTimeoutMs: http.integer('keepAliveTimeoutMs', defaults.http.keepAliveTimeoutMs, 100),
    },
    query: {
      queryTimeoutMs: query.integer('queryTimeoutMs', defaults.query.queryTimeoutMs, 1),
      maxQueryRangeHours: query.number('maxQueryRangeHours', defaults.query.maxQueryRangeHours, 0),
    },
  };
}
