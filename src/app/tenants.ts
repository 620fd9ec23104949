import type { Admission } from './access.js';
import type { TenantRuntime } from './tenant-runtime.js';

export interface TenantsOptions {
  /** Opens the runtime (store, assembler, pipeline) of a tenant not open yet. */
  readonly open: (tenant: string) => Promise<TenantRuntime>;
  /** Tenants open at once; asking for one more is refused with `tenant-limit`. */
  readonly maxTenants: number;
}

/**
 * The registry of tenants' runtimes with multi-tenancy on. Opens a tenant the first time a request
 * names it (concurrent first requests share one opening); a failed opening is forgotten, so the
 * next request tries again. Tenant ids are validated before they get here (`checkTenant`).
 */
export class Tenants {
  private readonly opening = new Map<string, Promise<TenantRuntime>>();
  private readonly ready = new Map<string, TenantRuntime>();
  private stopped = false;

  constructor(private readonly options: TenantsOptions) {}

  /** The runtime of `tenant`, opening it if needed. */
  async get(tenant: string): Promise<Admission<TenantRuntime>> {
    if (this.stopped) return { ok: false, refusal: { kind: 'unavailable', message: 'the server is stopping' } };
    const open = this.ready.get(tenant);
    if (open !== undefined) return { ok: true, value: open };
    let entry = this.opening.get(tenant);
    if (entry === undefined) {
      if (this.opening.size >= this.options.maxTenants) {
        return { ok: false, refusal: { kind: 'tenant-limit', message: `too many tenants: this server holds at most ${this.options.maxTenants} (maxTenants)` } };
      }
      entry = this.options.open(tenant);
      this.opening.set(tenant, entry);
      entry.then(
        (runtime) => void this.ready.set(tenant, runtime),
        () => void this.opening.delete(tenant),
      );
    }
    try {
      return { ok: true, value: await entry };
    } catch (error) {
      return { ok: false, refusal: { kind: 'unavailable', message: `cannot open the store of tenant ${tenant}: ${error instanceof Error ? error.message : String(error)}` } };
    }
  }

  /** The tenants open now (for retention and metrics). */
  runtimes(): TenantRuntime[] {
    return [...this.ready.values()];
  }

  get size(): number {
    return this.opening.size;
  }

  /** Refuses new tenants, waits for openings in flight, then stops every runtime. */
  async stop(): Promise<void> {
    this.stopped = true;
    const settled = await Promise.allSettled([...this.opening.values()]);
    await Promise.all(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.stop()] : [])));
  }
}
