import { readdirSync } from 'node:fs';
import { startOtlpGrpcReceiver } from '../ingest/otlp-grpc.js';
import { startOtlpHttpReceiver, type IngestAdmit, type RunningServer } from '../ingest/otlp-http.js';
import { buildApiApp, type MetricsSource } from '../api/server.js';
import { registerQueryRoutes, type DepsResolver } from '../api/routes.js';
import type { TributaryConfig } from '../config/config.js';
import { TENANT_ID } from './access.js';
import { Gate } from './gate.js';
import { Metrics } from './metrics.js';
import { tenantsRoot } from './storage.js';
import { TenantMetrics } from './tenant-metrics.js';
import { closeReserveMs, openTenantRuntime, type Log, type TenantRuntime } from './tenant-runtime.js';
import { Tenants } from './tenants.js';

export type { Log } from './tenant-runtime.js';

export interface RunningTributary {
  readonly apiPort: number;
  readonly otlpHttpPort: number;
  readonly otlpGrpcPort: number;
  /** The one store, assembler and pipeline without multi-tenancy; undefined with it. */
  readonly runtime: TenantRuntime | undefined;
  /** The tenants' runtimes with multi-tenancy; undefined without. */
  readonly tenants: Tenants | undefined;
  /**
   * Stops taking requests, derives live traces for what is left of `config.shutdownGraceMs`
   * (counted from this call, minus a reserve for closing), closes the store(s). What is not
   * derived by then is derived by recovery at the next start: its spans were stored before the ack.
   */
  stop(): Promise<void>;
}

/**
 * The composition root of `tributary serve`: API → store(s) with recovery → receivers. The API
 * listens first, so `/healthz` answers while recovery re-derives what a crash left (queries get
 * 503 until then); `/readyz` turns 200 only once every listener is up. Every request passes the
 * `Gate` (token, then tenant) before it touches a store.
 */
export async function startTributary(config: TributaryConfig, log: Log): Promise<RunningTributary> {
  // Without its store the server cannot ack anything: say so and exit, so a supervisor restarts it.
  const onFatal = (error: Error) => {
    log(`fatal: ${error.message}`);
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  };
  const gate = new Gate(config.auth);
  let tenants: Tenants | undefined;
  let metrics: MetricsSource;
  let processMetrics: Metrics | undefined;
  if (config.multiTenancy) {
    const tenantMetrics = new TenantMetrics(() => tenants?.size ?? 0);
    tenants = new Tenants({
      maxTenants: config.maxTenants,
      open: (tenant) => openTenantRuntime(config, { tenant, metrics: tenantMetrics.forTenant(tenant), log, onFatal }),
    });
    gate.serve({ kind: 'tenants', tenants });
    metrics = tenantMetrics;
  } else {
    processMetrics = new Metrics({ processMetrics: true });
    metrics = processMetrics;
  }

  let ready = false;
  const resolveDeps: DepsResolver = async (request) => {
    const header = request.headers['x-scope-orgid'];
    const admission = await gate.runtime(Array.isArray(header) ? header[0] : header);
    return admission.ok ? { ok: true, value: { storage: admission.value.storage, config } } : admission;
  };
  const api = buildApiApp({
    metrics,
    isReady: () => ready,
    authenticate: (authorization) => gate.authenticateQuery(authorization),
    timeouts: config.http,
    routes: (app) => registerQueryRoutes(app, resolveDeps),
  });
  await api.listen({ host: config.host, port: config.port });
  const apiAddress = api.server.address();
  const apiPort = typeof apiAddress === 'object' && apiAddress !== null ? apiAddress.port : config.port;

  let runtime: TenantRuntime | undefined;
  try {
    if (processMetrics !== undefined) {
      runtime = await openTenantRuntime(config, { metrics: processMetrics, log, onFatal });
      gate.serve({ kind: 'single', runtime });
    } else if (tenants !== undefined) {
      await openExistingTenants(config, tenants, log);
    }
  } catch (error) {
    await api.close();
    throw error;
  }

  const admit: IngestAdmit = async (credentials) => {
    const admission = await gate.ingest(credentials);
    return admission.ok ? { ok: true, value: admission.value.pipeline } : admission;
  };
  const runtimes = (): TenantRuntime[] => (runtime !== undefined ? [runtime] : tenants?.runtimes() ?? []);
  const stopRuntimes = async (deadlineMs?: number) => {
    if (runtime !== undefined) await runtime.stop(deadlineMs);
    await tenants?.stop();
  };
  const receivers: RunningServer[] = [];
  try {
    receivers.push(await startOtlpHttpReceiver({
      host: config.host, port: config.otlpHttpPort, admit, maxBodyBytes: config.limits.maxBodyBytes, corsOrigins: config.otlpCorsOrigins, timeouts: config.http,
    }));
    receivers.push(await startOtlpGrpcReceiver({
      host: config.host, port: config.otlpGrpcPort, admit, maxBodyBytes: config.limits.maxBodyBytes, idleTimeoutMs: config.http.idleTimeoutMs,
    }));
  } catch (error) {
    await Promise.all(receivers.map((r) => r.close()));
    await api.close();
    await stopRuntimes();
    throw error;
  }
  const retention = startRetention(runtimes, config.retentionHours, log);
  ready = true;

  let stopping: Promise<void> | undefined;
  return {
    apiPort,
    otlpHttpPort: receivers[0]!.port,
    otlpGrpcPort: receivers[1]!.port,
    runtime,
    tenants,
    stop: () =>
      (stopping ??= (async () => {
        const deadlineMs = Date.now() + config.shutdownGraceMs - closeReserveMs(config.shutdownGraceMs);
        ready = false;
        clearInterval(retention);
        for (const r of runtimes()) r.pipeline.close();
        await Promise.all(receivers.map((r) => r.close()));
        await api.close();
        await stopRuntimes(deadlineMs);
      })()),
  };
}

/**
 * Opens the tenants found in `<dataDir>/tenants/` (DuckDB) at start-up, so what a crash left
 * underived is re-derived now rather than when the tenant's next request comes. A tenant that
 * fails to open is logged and tried again on its next request.
 */
async function openExistingTenants(config: TributaryConfig, tenants: Tenants, log: Log): Promise<void> {
  if (config.storage !== 'duckdb') return;
  let names: string[];
  try {
    names = readdirSync(tenantsRoot(config.dataDir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && TENANT_ID.test(entry.name))
      .map((entry) => entry.name);
  } catch {
    return; // no tenant has sent data yet
  }
  for (const tenant of names.sort().slice(0, config.maxTenants)) {
    const opened = await tenants.get(tenant);
    if (!opened.ok) log(`tenant ${tenant}: ${opened.refusal.message}`);
  }
}

/** Deletes data past the retention period every ten minutes (and once at start), in every open store. */
function startRetention(runtimes: () => readonly TenantRuntime[], retentionHours: number, log: Log): NodeJS.Timeout | undefined {
  if (retentionHours <= 0) return undefined;
  const run = () => {
    const cutoff = BigInt(Date.now() - retentionHours * 3_600_000) * 1_000_000n;
    for (const { storage, tenant } of runtimes()) {
      const where = tenant === undefined ? '' : ` (tenant ${tenant})`;
      storage.deleteBefore(cutoff).then(
        (deleted) => deleted > 0 && log(`retention: deleted ${deleted} span(s) older than ${retentionHours} h${where}`),
        (error: unknown) => log(`retention: delete failed${where}: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  };
  run();
  const timer = setInterval(run, 10 * 60_000);
  timer.unref();
  return timer;
}
