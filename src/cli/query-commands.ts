import type { ApiResponse } from '../api/handlers.js';
import type { BacktraceJson, FlowJson, ServiceListJson } from '../query/analyses.js';
import type { TraceJson } from '../query/trace.js';
import { loadConfigOrExplain, tenantFlag } from './config-flags.js';
import { apiPath, localClient, remoteClient, type QueryClient } from './query-client.js';
import { renderBacktrace } from './render/backtrace.js';
import { renderFlow } from './render/flow.js';
import { renderServices } from './render/services.js';
import { renderTrace } from './render/trace.js';

/** Flags every query command shares. */
export interface QueryFlags {
  data?: string;
  server?: string;
  /** Bearer token for `--server` (else `TRIBUTARY_TOKEN`). */
  token?: string;
  /** `X-Scope-OrgID` for `--server`, the tenant's directory for `--data` (else `TRIBUTARY_TENANT`). */
  tenant?: string;
  storage?: string;
  clickhouseUrl?: string;
  clickhouseCluster?: string;
  config?: string;
  json?: boolean;
  from?: string;
  to?: string;
  kind?: string;
  request?: string;
  chain?: string;
  zone?: string;
}

async function withClient(flags: QueryFlags, run: (client: QueryClient) => Promise<number>): Promise<number> {
  let client: QueryClient;
  const tenant = tenantFlag(flags.tenant);
  if (!tenant.ok) {
    process.stderr.write(`error: ${tenant.error}\n`);
    return 2;
  }
  if (flags.server) {
    client = remoteClient(flags.server, { token: flags.token ?? (process.env.TRIBUTARY_TOKEN || undefined), tenant: tenant.tenant });
  } else {
    const config = loadConfigOrExplain({
      ...(flags.config ? { config: flags.config } : {}),
      ...(flags.data ? { dataDir: flags.data } : {}),
      ...(flags.storage ? { storage: flags.storage } : {}),
      ...(flags.clickhouseUrl ? { clickhouseUrl: flags.clickhouseUrl } : {}),
    ...(flags.clickhouseCluster ? { clickhouseCluster: flags.clickhouseCluster } : {}),
    });
    if (!config) return 2;
    client = await localClient(config, tenant.tenant);
  }
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

/** Prints the response: JSON as the API returns it with --json, else the rendering; errors to stderr. */
function print<T>(response: ApiResponse, json: boolean | undefined, render: (body: T) => string): number {
  if (response.status !== 200) {
    const message = (response.body as { error?: { message?: string } }).error?.message ?? `HTTP ${response.status}`;
    process.stderr.write(`error: ${message}\n`);
    return response.status === 404 ? 3 : 2;
  }
  process.stdout.write(json ? `${JSON.stringify(response.body, null, 2)}\n` : `${render(response.body as T)}\n`);
  return 0;
}

const windowParams = (flags: QueryFlags) => ({ from: flags.from, to: flags.to });
const serviceParams = (flags: QueryFlags) => ({ ...windowParams(flags), kind: flags.kind, request: flags.request, chain: flags.chain });

export const queryCommands = {
  services: (flags: QueryFlags) =>
    withClient(flags, async (client) =>
      print<ServiceListJson>(await client.get(apiPath('/api/v1/services', { ...windowParams(flags), zone: flags.zone })), flags.json, renderServices)),

  backtrace: (service: string, flags: QueryFlags) =>
    withClient(flags, async (client) =>
      print<BacktraceJson>(await client.get(apiPath(`/api/v1/services/${encodeURIComponent(service)}/backtrace`, serviceParams(flags))), flags.json, renderBacktrace)),

  flow: (service: string, flags: QueryFlags) =>
    withClient(flags, async (client) =>
      print<FlowJson>(await client.get(apiPath(`/api/v1/services/${encodeURIComponent(service)}/flow`, serviceParams(flags))), flags.json, renderFlow)),

  trace: (traceId: string, flags: QueryFlags) =>
    withClient(flags, async (client) => print<TraceJson>(await client.get(`/api/v1/traces/${encodeURIComponent(traceId)}`), flags.json, renderTrace)),
};
