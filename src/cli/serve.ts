import { mallocNotice } from '../app/malloc-tuning.js';
import { startTributary } from '../app/tributary.js';
import type { ConfigOverrides } from '../config/load.js';
import { loadConfigOrExplain } from './config-flags.js';

/** `tributary serve`: runs until SIGINT/SIGTERM, then stops cleanly (live traces settled, store closed). */
export async function serveCommand(flags: ConfigOverrides & { config?: string }): Promise<number> {
  const config = loadConfigOrExplain(flags);
  if (!config) return 2;
  const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`);
  const notice = mallocNotice(process.env, process.platform, config.storage);
  if (notice !== undefined) log(notice);
  const running = await startTributary(config, log);
  log(
    `tributary ready: UI and API http://${config.host}:${running.apiPort}  ` +
      `OTLP/HTTP http://${config.host}:${running.otlpHttpPort}/v1/traces  OTLP/gRPC ${config.host}:${running.otlpGrpcPort}  ` +
      `store ${config.storage} ${config.storage === 'duckdb' ? config.dataDir : config.clickhouseUrl}` +
      (config.multiTenancy ? `  multi-tenant (X-Scope-OrgID, one store per tenant${config.storage === 'duckdb' ? ' in tenants/<id>' : ''})` : '') +
      `  ingest ${config.auth.ingestTokens.length > 0 ? 'needs a token' : 'open'}, API ${config.auth.queryTokens.length > 0 ? 'needs a token' : 'open'}`,
  );
  // One machine-readable line, for scripts and tests that start with port 0.
  process.stdout.write(`${JSON.stringify({ ready: true, apiPort: running.apiPort, otlpHttpPort: running.otlpHttpPort, otlpGrpcPort: running.otlpGrpcPort })}\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log(`${signal}: stopping`);
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await running.stop();
  log('stopped');
  return 0;
}
