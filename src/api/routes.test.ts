import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TributaryConfig } from '../config/config.js';
import type { Storage } from '../storage/api/storage.js';
import { openMemoryStorage } from '../storage/memory/memory-storage.js';
import { QUERY_ROUTES, registerQueryRoutes } from './routes.js';

/**
 * Query timeouts and cost limits over the real routes and a real (in-memory) store. The timeout
 * case holds the store's answer back until the test releases it, so no clock decides the outcome.
 */
const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function apiOver(storage: Storage, query: Partial<TributaryConfig['query']> = {}): Promise<FastifyInstance> {
  const config: TributaryConfig = { ...DEFAULT_CONFIG, query: { ...DEFAULT_CONFIG.query, ...query } };
  const app = Fastify({ logger: false });
  registerQueryRoutes(app, { storage, config, now: () => Date.parse('2024-05-01T12:00:00Z') });
  await app.ready();
  apps.push(app);
  return app;
}

/** The memory store, with `findTraces` held until `release()`. */
function heldStore(): { storage: Storage; release: () => void; calls: () => number } {
  const inner = openMemoryStorage();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  const storage = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'findTraces') {
        return async (...args: Parameters<Storage['findTraces']>) => {
          calls++;
          await gate;
          return target.findTraces(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { storage, release, calls: () => calls };
}

describe('query timeout', () => {
  it('answers 503 "query timed out" when the store has not answered within queryTimeoutMs', async () => {
    const held = heldStore();
    const app = await apiOver(held.storage, { queryTimeoutMs: 50 });
    const response = await app.inject({ method: 'GET', url: '/api/v1/traces?from=0&to=now' });
    expect(held.calls()).toBe(1);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: { code: 'query_timed_out', message: 'query timed out after 50 ms (query.queryTimeoutMs)' } });
    held.release();
  });

  it('answers normally when the store answers in time', async () => {
    const held = heldStore();
    held.release();
    const app = await apiOver(held.storage, { queryTimeoutMs: 60_000 });
    const response = await app.inject({ method: 'GET', url: '/api/v1/traces?from=0&to=now' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ traces: [] });
  });
});

describe('cost limits', () => {
  const refused = async (url: string, query: Partial<TributaryConfig['query']> = {}) => {
    const app = await apiOver(openMemoryStorage(), query);
    const response = await app.inject({ method: 'GET', url });
    return { status: response.statusCode, body: response.json() as { error: { code: string; message: string } } };
  };

  it('caps the traces limit at 1000', async () => {
    expect(await refused('/api/v1/traces?limit=1001')).toEqual({
      status: 400, body: { error: { code: 'invalid_parameter', message: 'limit: expected a whole number from 1 to 1000, got "1001"' } },
    });
    expect((await refused('/api/v1/traces?limit=1000')).status).toBe(200);
  });

  it('caps the backtrace details limit at 100', async () => {
    const { status, body } = await refused('/api/v1/services/x/backtrace/details?limit=101');
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/^limit: expected a whole number from 1 to 100/);
  });

  it('caps chain filters at 16 steps on every route that takes one', async () => {
    const chain = encodeURIComponent(Array.from({ length: 17 }, (_, i) => `s${i}`).join(' > '));
    for (const route of ['/api/v1/services/x/backtrace', '/api/v1/services/x/flow', '/api/v1/services/x/failures', '/api/v1/traces']) {
      expect(await refused(`${route}?chain=${chain}`), route).toEqual({
        status: 400, body: { error: { code: 'invalid_parameter', message: 'chain: 17 steps, at most 16 are allowed' } },
      });
    }
  });

  it('refuses windows longer than maxQueryRangeHours on every route that takes one', async () => {
    const windowed = QUERY_ROUTES.filter((r) => !r.path.endsWith('/zones') && !r.path.endsWith(':traceId'));
    expect(windowed.length).toBeGreaterThanOrEqual(7);
    for (const route of windowed) {
      const url = `${route.path.replace(':service', 'x')}?from=now-25h&to=now`;
      expect(await refused(url, { maxQueryRangeHours: 24 }), url).toEqual({
        status: 400,
        body: { error: { code: 'invalid_parameter', message: 'from: the window spans 25 h, more than the 24 h this server allows (query.maxQueryRangeHours)' } },
      });
      expect((await refused(url.replace('25h', '24h'), { maxQueryRangeHours: 24 })).status, url).not.toBe(400);
    }
  });
});
