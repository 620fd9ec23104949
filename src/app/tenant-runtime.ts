import { Assembler } from '../ingest/assembler.js';
import { IngestPipeline } from '../ingest/pipeline.js';
import { ServiceInfoCache } from '../ingest/skeletons.js';
import type { TributaryConfig } from '../config/config.js';
import type { Storage } from '../storage/api/storage.js';
import type { Metrics } from './metrics.js';
import { openStorage } from './storage.js';

/**
 * The part of the shutdown grace kept for closing the store (DuckDB checkpoints its WAL on close)
 * and the process exit, not spent deriving: a quarter of the grace, at most 5 s.
 */
export function closeReserveMs(graceMs: number): number {
  return Math.min(5_000, Math.floor(graceMs / 4));
}

/** Log lines go to stderr; the function is injectable so tests stay quiet. */
export type Log = (message: string) => void;

/**
 * Everything that holds one tenant's data: its store, its assembler and the pipeline that feeds
 * both. With multi-tenancy each tenant has its own, so no query of one tenant can reach another's
 * rows (isolation by construction, not by a filter every query must remember).
 */
export interface TenantRuntime {
  /** Undefined when multi-tenancy is off (the one store in `dataDir`). */
  readonly tenant: string | undefined;
  readonly storage: Storage;
  readonly assembler: Assembler;
  readonly pipeline: IngestPipeline;
  readonly metrics: Metrics;
  /**
   * Refuses new spans, derives live traces until `deadlineMs` (epoch ms; default: now +
   * `config.shutdownGraceMs` − `closeReserveMs`), then closes the store. Traces left underived are
   * derived by recovery at the next start. Idempotent (later calls share the first's deadline).
   */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * Opens a runtime: store → recovery (re-derives what a crash left before new spans arrive) →
 * assembler → pipeline. The store runs on its own thread (DuckDB's appends are synchronous).
 */
export async function openTenantRuntime(
  config: TributaryConfig,
  options: { readonly tenant?: string; readonly metrics: Metrics; readonly log: Log; readonly onFatal: (error: Error) => void },
): Promise<TenantRuntime> {
  const { metrics, tenant } = options;
  const prefix = tenant === undefined ? '' : `tenant ${tenant}: `;
  const log: Log = (message) => options.log(prefix + message);
  const storage = await openStorage(config, { ownThread: true, onFatal: options.onFatal, ...(tenant !== undefined ? { tenant } : {}) });
  let assembler: Assembler;
  try {
    assembler = new Assembler({
      storage,
      services: new ServiceInfoCache({ proxyServices: config.proxies }),
      derivation: { failureRules: config.failureRules },
      metrics,
      settleMs: config.settleMs,
      maxLiveSpans: config.limits.maxLiveSpans,
      maxSpansPerTrace: config.limits.maxSpansPerTrace,
      log,
    });
    const recovered = await assembler.recover();
    if (recovered > 0) log(`recovered ${recovered} trace(s) whose calls were not derived before the last stop`);
    assembler.start();
  } catch (error) {
    await storage.close();
    throw error;
  }
  const pipeline = new IngestPipeline(storage, assembler, config.limits, metrics, log);
  metrics.observeStore(() => storage.memoryUsage());
  let stopping: Promise<void> | undefined;
  return {
    tenant,
    storage,
    assembler,
    pipeline,
    metrics,
    stop: (deadlineMs) =>
      (stopping ??= (async () => {
        pipeline.close();
        try {
          const deadline = deadlineMs ?? Date.now() + config.shutdownGraceMs - closeReserveMs(config.shutdownGraceMs);
          const { derived, left } = await assembler.stop({ deadlineMs: deadline });
          if (left > 0) log(`shutdown: derived ${derived} live trace(s); ${left} left for recovery at the next start (shutdownGraceMs)`);
        } finally {
          await storage.close();
        }
      })()),
  };
}
