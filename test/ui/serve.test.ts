import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/server.js';
import { FIXTURES, startUiServer, type UiServer } from './harness.js';

/** How `tributary serve` hands out the UI: deep links get index.html, `/api` keeps JSON errors. */
describe('tributary serve: the web UI on the API port', () => {
  let ui: UiServer;
  beforeAll(async () => {
    ui = await startUiServer({ files: [FIXTURES.shop] });
  });
  afterAll(async () => ui?.stop());

  it.each([
    '/',
    '/services',
    '/services/checkout?from=0&to=4102444800000',
    '/services/a%2Fb/backtrace?chain=shop-web%20%3E%20frontend',
    '/services/api.stripe.com/flow',
    '/traces',
    '/traces/0000000000000000000000000000a00c',
  ])('deep link %s loads the app shell, never cached', async (link) => {
    const response = await ui.server.api(link);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const html = await response.text();
    expect(html).toContain('<div id="root"></div>');
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
  });

  it('serves the hashed bundles with a long cache lifetime', async () => {
    const bundle = readdirSync(path.join(repoRoot, 'dist/web/assets')).find((f) => f.endsWith('.js'));
    expect(bundle).toBeDefined();
    const response = await ui.server.api(`/assets/${bundle}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    expect(response.headers.get('cache-control')).toContain('immutable');
    expect((await response.text()).length).toBeGreaterThan(1000);
  });

  it('keeps JSON 404s for unknown API paths, missing assets and missing top-level files', async () => {
    for (const link of ['/api/v1/nope', '/api', '/api/v2/services', '/assets/missing.js', '/favicon.ico', '/robots.txt']) {
      const response = await ui.server.api(link);
      expect(response.status, link).toBe(404);
      expect(response.headers.get('content-type'), link).toMatch(/^application\/json/);
      const body = (await response.json()) as { error: { code: string } };
      expect(body.error.code, link).toBe('not_found');
    }
  });

  it('leaves the API, health and metrics routes alone', async () => {
    const services = await ui.server.api('/api/v1/services?from=0&to=4102444800000');
    expect(services.status).toBe(200);
    expect(((await services.json()) as { services: unknown[] }).services.length).toBeGreaterThan(5);
    expect((await ui.server.api('/healthz')).status).toBe(200);
    expect(await (await ui.server.api('/metrics')).text()).toMatch(/^# HELP/m);
  });

  it('answers POST to a deep link with the JSON 404, not the app', async () => {
    const response = await fetch(`${ui.baseUrl}/services`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
