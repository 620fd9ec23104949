import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Who may send and read, and as which tenant: bearer tokens (issue 8) and the `X-Scope-OrgID`
 * tenant header (as Grafana Tempo and Loki name it). Transports (OTLP/HTTP, OTLP/gRPC, the API)
 * hand over what the request carried and map a refusal onto their own status codes.
 */

/** What a request carried, whatever the transport (HTTP headers, gRPC metadata). */
export interface Credentials {
  /** The `Authorization` header / `authorization` metadata. */
  readonly authorization: string | undefined;
  /** `X-Scope-OrgID` / `x-scope-orgid`. */
  readonly tenant: string | undefined;
}

/**
 * Why a request is refused. Transports map: `unauthenticated` → 401 / UNAUTHENTICATED (missing or
 * wrong token, or a missing tenant); `invalid-tenant` → 400 / INVALID_ARGUMENT; `tenant-limit` →
 * 429 / RESOURCE_EXHAUSTED; `unavailable` → 503 / UNAVAILABLE (the tenant's store failed to open,
 * or the server is stopping).
 */
export type RefusalKind = 'unauthenticated' | 'invalid-tenant' | 'tenant-limit' | 'unavailable';

export interface Refusal {
  readonly kind: RefusalKind;
  readonly message: string;
}

export type Admission<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: Refusal };

/** The message of a refused token, so transports can add RFC 6750's `error="invalid_token"`. */
export const INVALID_TOKEN = 'invalid bearer token';

/** The header both sides of the ingest/query split read the tenant from. */
export const TENANT_HEADER = 'X-Scope-OrgID';

/** Tenant ids name directories and database suffixes: letters, digits, `_` and `-`, at most 64. */
export const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Validates the tenant a request names (with multi-tenancy on, where naming one is required). */
export function checkTenant(tenant: string | undefined): Admission<string> {
  if (tenant === undefined || tenant === '') {
    return { ok: false, refusal: { kind: 'unauthenticated', message: `missing ${TENANT_HEADER}: this server is multi-tenant, every request names its tenant` } };
  }
  if (!TENANT_ID.test(tenant)) {
    return {
      ok: false,
      refusal: { kind: 'invalid-tenant', message: `invalid ${TENANT_HEADER} ${JSON.stringify(tenant.slice(0, 80))}: 1 to 64 letters, digits, "_" or "-"` },
    };
  }
  return { ok: true, value: tenant };
}

/**
 * A set of accepted bearer tokens. Empty: every request is accepted (that side is open).
 * Comparison is in constant time: each candidate is hashed and every token compared with
 * `timingSafeEqual`, so neither the position of a mismatch nor a token's length leaks.
 */
export class TokenSet {
  private readonly digests: readonly Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }

  get open(): boolean {
    return this.digests.length === 0;
  }

  /** Whether `authorization` (`Bearer <token>`, scheme case-insensitive) carries an accepted token. */
  accepts(authorization: string | undefined): boolean {
    if (this.open) return true;
    const token = bearerToken(authorization);
    if (token === undefined) return false;
    const presented = digest(token);
    let accepted = false;
    for (const expected of this.digests) accepted = timingSafeEqual(presented, expected) || accepted;
    return accepted;
  }

  /** The refusal of a request this set does not accept. */
  static refusal(authorization: string | undefined): Refusal {
    return {
      kind: 'unauthenticated',
      message: bearerToken(authorization) === undefined ? 'missing bearer token (Authorization: Bearer <token>)' : INVALID_TOKEN,
    };
  }
}

/** The `WWW-Authenticate` of a 401; RFC 6750 §3: `error="invalid_token"` only when a token was refused. */
export function wwwAuthenticate(refusal: Refusal): string {
  return refusal.message === INVALID_TOKEN ? 'Bearer realm="tributary", error="invalid_token"' : 'Bearer realm="tributary"';
}

/** The token of an `Authorization: Bearer <token>` value (RFC 6750 §2.1), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return match?.[1];
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
