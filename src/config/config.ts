/** Tributary's configuration: one YAML file, every option also an environment variable; flags win. */

export type StorageBackend = 'duckdb' | 'clickhouse';

/** A zone rule over one resource attribute (DESIGN.md §2 "Zones"). Exactly one operator is set. */
export type ZoneRule =
  | { readonly attribute: string; readonly equals: string }
  | { readonly attribute: string; readonly startsWith: string }
  | { readonly attribute: string; readonly regex: string }
  | { readonly attribute: string; readonly exists: boolean };

export interface ZoneConfig {
  readonly name: string;
  /** `all`: every rule must hold; `any`: one is enough. */
  readonly match: 'all' | 'any';
  readonly rules: readonly ZoneRule[];
}

/** Overrides the default failure verdict of calls it matches (e.g. "404 is a failure for service X"). */
export interface FailureRuleConfig {
  readonly service?: string;
  readonly request?: string;
  readonly httpStatusCodes: readonly number[];
  readonly failed: boolean;
}

export interface IngestLimits {
  /** Largest OTLP request body accepted, compressed and decompressed alike (413 / RESOURCE_EXHAUSTED above). */
  readonly maxBodyBytes: number;
  /** Spans accepted but not yet committed; above it requests get 429 / RESOURCE_EXHAUSTED with a retry delay. */
  readonly maxQueuedSpans: number;
  /** Spans in one request; a larger request is refused whole (400 / INVALID_ARGUMENT). */
  readonly maxSpansPerRequest: number;
  /** Span skeletons the assembler keeps in memory; above it the oldest traces settle early. */
  readonly maxLiveSpans: number;
  /** Spans of one trace the assembler keeps; later spans are stored but left out of call derivation (counted). */
  readonly maxSpansPerTrace: number;
}

export interface TributaryConfig {
  /** Address every listener binds to; loopback unless configured otherwise. */
  readonly host: string;
  /** API and UI. */
  readonly port: number;
  readonly otlpHttpPort: number;
  readonly otlpGrpcPort: number;
  readonly storage: StorageBackend;
  readonly dataDir: string;
  readonly duckdbMemoryLimit: string;
  readonly clickhouseUrl: string | null;
  readonly clickhouseCluster: string | null;
  /** A trace idle this long is settled: its calls are derived and written. */
  readonly settleMs: number;
  /** Data older than this is deleted; 0 keeps everything. */
  readonly retentionHours: number;
  readonly limits: IngestLimits;
  readonly zones: readonly ZoneConfig[];
  readonly failureRules: readonly FailureRuleConfig[];
  /** Service names that are proxies. */
  readonly proxies: readonly string[];
  /**
   * Browser origins allowed to send OTLP/HTTP (CORS), e.g. `http://localhost:8080` for a web app
   * instrumented with the OpenTelemetry web SDK; `*` allows any. Empty: no CORS headers.
   */
  readonly otlpCorsOrigins: readonly string[];
}

export const DEFAULT_API_PORT = 8686;

export const DEFAULT_CONFIG: TributaryConfig = {
  host: '127.0.0.1',
  port: DEFAULT_API_PORT,
  otlpHttpPort: 4318,
  otlpGrpcPort: 4317,
  storage: 'duckdb',
  dataDir: './data',
  duckdbMemoryLimit: '2GB',
  clickhouseUrl: null,
  clickhouseCluster: null,
  settleMs: 10_000,
  retentionHours: 0,
  limits: {
    maxBodyBytes: 16 * 1024 * 1024,
    maxQueuedSpans: 500_000,
    maxSpansPerRequest: 200_000,
    maxLiveSpans: 2_000_000,
    maxSpansPerTrace: 100_000,
  },
  zones: [],
  failureRules: [],
  proxies: [],
  otlpCorsOrigins: [],
};
