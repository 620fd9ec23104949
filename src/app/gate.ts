import type { AuthConfig } from '../config/config.js';
import { TokenSet, checkTenant, type Admission, type Credentials } from './access.js';
import type { TenantRuntime } from './tenant-runtime.js';
import type { Tenants } from './tenants.js';

/** Where requests' data lives: one runtime, or one per tenant. */
export type RuntimeSource =
  | { readonly kind: 'single'; readonly runtime: TenantRuntime }
  | { readonly kind: 'tenants'; readonly tenants: Tenants };

/**
 * The one place that decides whether a request may proceed and which tenant's runtime serves it:
 * the token first (an unauthenticated caller learns nothing about tenants), then the tenant.
 */
export class Gate {
  private readonly ingestTokens: TokenSet;
  private readonly queryTokens: TokenSet;

  private source: RuntimeSource | undefined;

  /** Until `serve` is called (the store is still opening and recovering), requests get `unavailable`. */
  constructor(auth: AuthConfig) {
    this.ingestTokens = new TokenSet(auth.ingestTokens);
    this.queryTokens = new TokenSet(auth.queryTokens);
  }

  serve(source: RuntimeSource): void {
    this.source = source;
  }

  /** An OTLP export request: the ingest token, then the tenant's runtime. */
  async ingest(credentials: Credentials): Promise<Admission<TenantRuntime>> {
    if (!this.ingestTokens.accepts(credentials.authorization)) return { ok: false, refusal: TokenSet.refusal(credentials.authorization) };
    return this.runtime(credentials.tenant);
  }

  /** Any request on the API port that carries data (`/api/v1/*`, `/metrics`): the query token. */
  authenticateQuery(authorization: string | undefined): Admission<void> {
    return this.queryTokens.accepts(authorization) ? { ok: true, value: undefined } : { ok: false, refusal: TokenSet.refusal(authorization) };
  }

  /** The runtime an authenticated query reads. */
  async runtime(tenant: string | undefined): Promise<Admission<TenantRuntime>> {
    const source = this.source;
    if (source === undefined) return { ok: false, refusal: { kind: 'unavailable', message: 'starting: the store is being opened' } };
    // Without multi-tenancy a tenant header is ignored: there is one store.
    if (source.kind === 'single') return { ok: true, value: source.runtime };
    const checked = checkTenant(tenant);
    return checked.ok ? source.tenants.get(checked.value) : checked;
  }
}
