import { ServiceInfoCache } from '../ingest/skeletons.js';
import { Assembler } from '../ingest/assembler.js';
import { IngestPipeline } from '../ingest/pipeline.js';
import { startOtlpGrpcReceiver } from '../ingest/otlp-grpc.js';
import { startOtlpHttpReceiver, type RunningServer } from '../ingest/otlp-http.js';
import { buildApiApp } from '../api/server.js';
import { registerQueryRoutes } from '../api/routes.js';
import type { TributaryConfig } from '../config/config.js';
import type { Storage } from '../storage/api/storage.js';
import { Metrics } from './metrics.js';
import { openStorage } from './storage.js';

export interface RunningTributary {
  readonly apiPort: number;
  readonly otlpHttpPort: number;
  readonly otlpGrpcPort: number;
  readonly storage: Storage;
  readonly assembler: Assembler;
  /** Stops taking requests, settles live traces, closes the store. */
  stop(): Promise<void>;
}

/** Log lines go to stderr; the function is injectable so tests stay quiet. */
export type Log = (message: string) => void;

/**
 * The composition root of `tributary serve`: store → recovery → assembler → pipeline → receivers
 * and API. Start-up order matters: recovery re-derives what a crash left before new spans arrive,
 * and `/readyz` turns 200 only once every listener is up.
 */
export async function startTributary(config: TributaryConfig, log: Log): Promise<RunningTributary> {
  const metrics = new Metrics({ processMetrics: true });
  const storage = await openStorage(config, {
    ownThread: true,
    // Without its store the server cannot ack anything: say so and exit, so a supervisor restarts it.
    onFatal: (error) => {
      log(`fatal: ${error.message}`);
      process.exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    },
  });
  let ready = false;
  const api = buildApiApp({ metrics, isReady: () => ready, routes: (app) => registerQueryRoutes(app, { storage, config }) });
  try {
    await api.listen({ host: config.host, port: config.port });
  } catch (error) {
    await storage.close();
    throw error;
  }
  const apiAddress = api.server.address();
  const apiPort = typeof apiAddress === 'object' && apiAddress !== null ? apiAddress.port : config.port;

  const services = new ServiceInfoCache({ proxyServices: config.proxies });
  const assembler = new Assembler({
    storage,
    services,
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

  const pipeline = new IngestPipeline(storage, assembler, config.limits, metrics, log);
  const receivers: RunningServer[] = [];
  try {
    receivers.push(await startOtlpHttpReceiver({
      host: config.host, port: config.otlpHttpPort, pipeline, maxBodyBytes: config.limits.maxBodyBytes, corsOrigins: config.otlpCorsOrigins,
    }));
    receivers.push(await startOtlpGrpcReceiver({ host: config.host, port: config.otlpGrpcPort, pipeline, maxBodyBytes: config.limits.maxBodyBytes }));
  } catch (error) {
    await Promise.all(receivers.map((r) => r.close()));
    await assembler.stop();
    await storage.close();
    await api.close();
    throw error;
  }
  const retention = startRetention(storage, config.retentionHours, log);
  ready = true;

  let stopping: Promise<void> | undefined;
  return {
    apiPort,
    otlpHttpPort: receivers[0]!.port,
    otlpGrpcPort: receivers[1]!.port,
    storage,
    assembler,
    stop: () =>
      (stopping ??= (async () => {
        ready = false;
        clearInterval(retention);
        pipeline.close();
        await Promise.all(receivers.map((r) => r.close()));
        await assembler.stop();
        await api.close();
        await storage.close();
      })()),
  };
}

/** Deletes data past the retention period every ten minutes (and once at start). */
function startRetention(storage: Storage, retentionHours: number, log: Log): NodeJS.Timeout | undefined {
  if (retentionHours <= 0) return undefined;
  const run = () => {
    const cutoff = BigInt(Date.now() - retentionHours * 3_600_000) * 1_000_000n;
    storage.deleteBefore(cutoff).then(
      (deleted) => deleted > 0 && log(`retention: deleted ${deleted} span(s) older than ${retentionHours} h`),
      (error: unknown) => log(`retention: delete failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  run();
  const timer = setInterval(run, 10 * 60_000);
  timer.unref();
  return timer;
}
