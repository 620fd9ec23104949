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
  /** Spans the assembler keeps in memory for traces waiting to settle; above it the oldest traces settle early. */
  readonly maxLiveSpans: number;
  /** Spans of one trace the assembler keeps; later spans are stored but left out of call derivation (counted). */
  readonly maxSpansPerTrace: number;
  /**
   * Attributes kept per span (and per event, link and resource); a span with more is stored with
   * the first ones, the rest counted in its `droppedAttributesCount` (as the OTel SDKs do).
   */
  readonly maxAttributesPerSpan: number;
  /** Longest string or bytes attribute value kept, in bytes; longer values are stored cut (UTF-8 safe). */
  readonly maxAttributeValueBytes: number;
}

/**
 * Bearer tokens (`Authorization: Bearer <token>`). An empty list leaves that side open; any listed
 * token is accepted (several, so tokens can be rotated without downtime).
 */
export interface AuthConfig {
  /** Checked by the OTLP receivers (HTTP header, gRPC `authorization` metadata). */
  readonly ingestTokens: readonly string[];
  /** Checked by `/api/v1/*` and `/metrics` (and so the UI); `/healthz`, `/readyz` and the UI's files stay open. */
  readonly queryTokens: readonly string[];
}

/** Timeouts of the HTTP listeners (API and OTLP/HTTP), so slow or idle clients cannot hold sockets forever. */
export interface HttpTimeouts {
  /** A whole request (headers and body) must arrive within this; else 408 and the socket closes. */
  readonly requestTimeoutMs: number;
  /** A socket with no traffic for this long is closed (covers a response that waits on a query). */
  readonly idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
}

/** Cost limits of API queries; each refusal is a 400 that names the parameter, a timeout a 503. */
export interface QueryLimits {
  /** A query still running after this answers 503 "query timed out". */
  readonly queryTimeoutMs: number;
  /** Longest `[from, to)` window in hours; 0: no limit. */
  readonly maxQueryRangeHours: number;
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
  /**
   * On SIGTERM, live traces are derived for at most this long before the store closes; what is
   * left is re-derived by recovery at the next start (its spans are stored). Keep it below the
   * supervisor's grace period (Kubernetes: 30 s).
   */
  readonly shutdownGraceMs: number;
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
  readonly auth: AuthConfig;
  /**
   * Every request must name its tenant in `X-Scope-OrgID` (gRPC metadata `x-scope-orgid`); each
   * tenant has its own store (DuckDB: `<dataDir>/tenants/<tenant>/`). Off: one store in `dataDir`.
   */
  readonly multiTenancy: boolean;
  /** Tenants open at once; a request for one more is refused (429 / RESOURCE_EXHAUSTED). */
  readonly maxTenants: number;
  readonly http: HttpTimeouts;
  readonly query: QueryLimits;
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
  shutdownGraceMs: 20_000,
  retentionHours: 0,
  limits: {
    maxBodyBytes: 16 * 1024 * 1024,
    maxQueuedSpans: 500_000,
    maxSpansPerRequest: 200_000,
    maxLiveSpans: 2_000_000,
    maxSpansPerTrace: 100_000,
    maxAttributesPerSpan: 128,
    maxAttributeValueBytes: 16 * 1024,
  },
  zones: [],
  failureRules: [],
  proxies: [],
  otlpCorsOrigins: [],
  auth: { ingestTokens: [], queryTokens: [] },
  multiTenancy: false,
  maxTenants: 100,
  http: { requestTimeoutMs: 60_000, idleTimeoutMs: 120_000, keepAliveTimeoutMs: 72_000 },
  query: { queryTimeoutMs: 30_000, maxQueryRangeHours: 0 },
};
