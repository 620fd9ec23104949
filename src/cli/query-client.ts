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

export function remoteClient(serverUrl: string): QueryClient {
  const base = serverUrl.replace(/\/+$/, '');
  return {
    async get(pathAndQuery) {
      let response: Response;
      try {
        response = await fetch(`${base}${pathAndQuery}`);
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

export async function localClient(config: TributaryConfig): Promise<QueryClient> {
  let storage: Storage;
  try {
    storage = await openStorage(config);
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
