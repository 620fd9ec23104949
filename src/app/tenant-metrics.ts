import { AggregatorRegistry, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricsSource } from '../api/server.js';
import { Metrics } from './metrics.js';

/**
 * `/metrics` of a multi-tenant server: each tenant's pipeline and assembler count into their own
 * `Metrics` labelled `tenant="<id>"` (a tenant's gauges, such as its queue depth, cannot overwrite
 * another's), merged at scrape time with the process metrics and `tributary_tenants_open`.
 * Cardinality is bounded by `maxTenants`; `sum without (tenant)` gives the process totals.
 */
export class TenantMetrics implements MetricsSource {
  private readonly processRegistry = new Registry();
  private readonly byTenant = new Map<string, Metrics>();

  /** `openTenants`: how many tenants are open now, for `tributary_tenants_open`. */
  constructor(openTenants: () => number) {
    collectDefaultMetrics({ register: this.processRegistry });
    new Gauge({
      name: 'tributary_tenants_open',
      help: 'Tenants whose store is open.',
      registers: [this.processRegistry],
      collect() {
        this.set(openTenants());
      },
    });
  }

  /** The metrics a tenant's runtime counts into (created on first use). */
  forTenant(tenant: string): Metrics {
    let metrics = this.byTenant.get(tenant);
    if (metrics === undefined) {
      metrics = new Metrics();
      metrics.registry.setDefaultLabels({ tenant });
      this.byTenant.set(tenant, metrics);
    }
    return metrics;
  }

  get contentType(): string {
    return this.processRegistry.contentType;
  }

  async text(): Promise<string> {
    const registries = [this.processRegistry, ...[...this.byTenant.values()].map((m) => m.registry)];
    const merged = AggregatorRegistry.aggregate(await Promise.all(registries.map((r) => r.getMetricsAsJSON())));
    return merged.metrics();
  }
}
