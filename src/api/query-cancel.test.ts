import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TributaryConfig } from '../config/config.js';
import type { TraceQuery } from '../storage/api/call-queries.js';
import type { ReadOptions, Storage } from '../storage/api/storage.js';
import { openDuckDbStorage } from '../storage/duckdb/duckdb-storage.js';
import { registerQueryRoutes } from './routes.js';

/**
 * The query timeout reaches the store: past `queryTimeoutMs` the API answers 503 and aborts the
 * request's reads, so the store stops the query and its one reader connection serves the next
 * request. (That DuckDB stops a statement already running is shown in
 * storage/duckdb/interruptible.test.ts with a statement that would run for hours.)
 */
let dir: string;
let duckdb: Storage;
const apps: FastifyInstance[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tributary-query-cancel-'));
  duckdb = await openDuckDbStorage({ dataDir: dir, readers: 1, threads: 1 });
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await duckdb.close();
  await rm(dir, { recursive: true, force: true });
});

async function apiOver(storage: Storage, queryTimeoutMs: number): Promise<FastifyInstance> {
  const config: TributaryConfig = { ...DEFAULT_CONFIG, query: { ...DEFAULT_CONFIG.query, queryTimeoutMs } };
  const app = Fastify({ logger: false });
  registerQueryRoutes(app, { storage, config, now: () => Date.parse('2024-05-01T12:00:00Z') });
  await app.ready();
  apps.push(app);
  return app;
}

interface SeenRead {
  readonly signal: AbortSignal | undefined;
  outcome?: 'answered' | 'cancelled' | 'failed';
  message?: string;
}

/**
 * The DuckDB store with `findTraces` held back until its signal aborts (a query slower than any
 * timeout, without a clock deciding it), then passed to DuckDB with that signal.
 */
function slowFindTraces(storage: Storage, seen: SeenRead[]): Storage {
  return new Proxy(storage, {
    get(target, property, receiver) {
      if (property === 'findTraces') {
        return async (query: TraceQuery, options?: ReadOptions) => {
          const read: SeenRead = { signal: options?.signal };
          seen.push(read);
          if (read.signal && !read.signal.aborted) await new Promise((resolve) => read.signal!.addEventListener('abort', resolve, { once: true }));
          try {
            const result = await target.findTraces(query, options);
            read.outcome = 'answered';
            return result;
          } catch (error: unknown) {
            read.message = error instanceof Error ? error.message : String(error);
            read.outcome = /read cancelled/.test(read.message) ? 'cancelled' : 'failed';
            throw error;
          }
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('query timeout cancels the store read', () => {
  it('answers 503, the DuckDB read is cancelled, and the next query on the one reader connection answers', async () => {
    const seen: SeenRead[] = [];
    const slowApi = await apiOver(slowFindTraces(duckdb, seen), 50);
    const timedOut = await slowApi.inject({ method: 'GET', url: '/api/v1/traces?from=0&to=now' });
    expect(timedOut.statusCode).toBe(503);
    expect(timedOut.json()).toEqual({ error: { code: 'query_timed_out', message: 'query timed out after 50 ms (query.queryTimeoutMs)' } });
    await expect.poll(() => seen[0]?.outcome).toBe('cancelled');
    expect(seen[0]!.signal?.aborted).toBe(true);
    expect(seen[0]!.message).toContain('query timed out after 50 ms');

    const api = await apiOver(duckdb, 60_000);
    const next = await api.inject({ method: 'GET', url: '/api/v1/services?from=0&to=now' });
    expect(next.statusCode).toBe(200);
    expect(next.json()).toMatchObject({ services: [] });
  });

  it('passes a live signal to every read of a query that answers in time', async () => {
    const seen: SeenRead[] = [];
    const api = await apiOver(
      new Proxy(duckdb, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            const options = args.find((a): a is ReadOptions => typeof a === 'object' && a !== null && 'signal' in a);
            seen.push({ signal: options?.signal });
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }),
      60_000,
    );
    const response = await api.inject({ method: 'GET', url: '/api/v1/services?from=0&to=now' });
    expect(response.statusCode).toBe(200);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((read) => read.signal instanceof AbortSignal && !read.signal.aborted)).toBe(true);
  });
});

describe('shutdown cancels the store reads in flight', () => {
  it('answers 503 shutting_down at once instead of holding app.close() for the query', async () => {
    const seen: SeenRead[] = [];
    const api = await apiOver(slowFindTraces(duckdb, seen), 600_000);
    const pending = api.inject({ method: 'GET', url: '/api/v1/traces?from=0&to=now' });
    await expect.poll(() => seen.length).toBe(1);
    await api.close();
    const response = await pending;
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: { code: 'shutting_down' } });
    expect(seen[0]!.outcome).toBe('cancelled');
  });
});
