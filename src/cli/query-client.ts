import type { FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { registerQueryRoutes } from '../api/routes.js';
import type { ApiResponse } from '../api/handlers.js';
import { openStorage } from '../app/storage.js';
import type { TributaryConfig } from '../config/config.js';
import type { Storage } from '../storage/api/storage.js';

/**
 * How query commands reach data: the same REST routes either in-process over the store
 * (`--data DIR`, via Fastify's `inject`, no socket) or on a running server (`--server URL`), so
 * `--json` output is byte-for-byte what the API returns.
 */
export interface QueryClient {
  get(pathAndQuery: string): Promise<ApiResponse>;
  close(): Promise<void>;
}

/** Who a remote query is made as: a bearer token and a tenant (X-Scope-OrgID), each optional. */
export interface RemoteIdentity {
  readonly token?: string | undefined;
  readonly tenant?: string | undefined;
}

export function remoteClient(serverUrl: string, identity: RemoteIdentity = {}): QueryClient {
  const base = serverUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (identity.token) headers.authorization = `Bearer ${identity.token}`;
  if (identity.tenant) headers['x-scope-orgid'] = identity.tenant;
  return {
    async get(pathAndQuery) {
      let response: Response;
      try {
        response = await fetch(`${base}${pathAndQuery}`, { headers });
      } catch (error) {
        throw new Error(`cannot reach ${base}: ${error instanceof Error ? (error.cause as Error | undefined)?.message ?? error.message : String(error)}`);
      }
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = { error: { code: 'bad_response', message: `${response.status} ${text.slice(0, 200)}` } };
      }
      return { status: response.status, body };
    },
    close: async () => {},
  };
}

/** Reads the store directly; with `tenant`, that tenant's store (`<dataDir>/tenants/<tenant>`). */
export async function localClient(config: TributaryConfig, tenant?: string): Promise<QueryClient> {
  let storage: Storage;
  try {
    storage = await openStorage(config, tenant !== undefined ? { tenant } : {});
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/lock/i.test(message)) {
      throw new Error(`the data directory ${config.dataDir} is in use by a running Tributary: query it with --server http://HOST:PORT instead (${message})`);
    }
    throw error;
  }
  const app: FastifyInstance = Fastify({ logger: false });
  registerQueryRoutes(app, { storage, config });
  await app.ready();
  return {
    async get(pathAndQuery) {
      const response = await app.inject({ method: 'GET', url: pathAndQuery });
      return { status: response.statusCode, body: response.json() as unknown };
    },
    async close() {
      await app.close();
      await storage.close();
    },
  };
}

/** `/api/v1/...?a=b` with undefined parameters left out. */
export function apiPath(path: string, params: Readonly<Record<string, string | undefined>>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
