/**
 * `npm run demo` end to end: the real command on free ports with a temporary data directory and a
 * short settle window, every failure scenario switched on, and real clicks when Chromium is
 * installed. Everything is asserted over Tributary's API, as a newcomer would look at it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeDataDir, repoRoot } from '../harness/server.js';

/**
 * With Chromium: real clicks. Without (and always, by pointing the demo at a browser that is not
 * there): the fallback that replays the journeys over HTTP.
 */
const RUNS = [
  ...(existsSync('/usr/bin/chromium') ? [{ label: 'clicks in Chromium', chromium: '/usr/bin/chromium', hasChromium: true }] : []),
  { label: 'the HTTP fallback (no browser)', chromium: '/nonexistent/chromium', hasChromium: false },
];

interface DemoReady { demoReady: true; webUrl: string; apiUrl: string; otlpHttpUrl: string; traffic: string }
interface Named { name: string; requests: number; failed: number }
interface BacktraceNode { kind: string; name: string; requests: number; failed: number; calls: Named[]; callers: BacktraceNode[] }
interface Overview { callers: { kind: string; name: string; calls: number }[]; requestNames: Named[] }
interface ServiceRow { kind: string; name: string; requests: number; failed: number }

/** The requests of order that the journeys reach, and the clicks that lead to them. */
const ORDER_REQUESTS = ['GET /orders', 'POST /orders', 'POST /orders/:id/checkout', 'GET /orders/:id/shipping-quote'];
const ORDER_CLICKS = ['click on BUTTON#my-orders', 'click on BUTTON#book', 'click on BUTTON#checkout', 'click on BUTTON#shipping-quote'];

/** The `demo` script of package.json, as argv for `spawn`: the test runs exactly what `npm run demo` runs. */
function demoCommand(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = pkg.scripts.demo ?? '';
  expect(script).toMatch(/^node .*demo\/run\.ts$/);
  return script.split(/\s+/).slice(1);
}

describe.each(RUNS)('npm run demo, traffic from $label', ({ chromium, hasChromium }) => {
  const data = makeDataDir('tributary-demo-test-');
  let demo: ChildProcess;
  let exited: Promise<number | null>;
  let ready: DemoReady;
  let stdout = '';
  let stderr = '';

  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const response = await fetch(`${ready.apiUrl}${pathAndQuery}`);
    if (!response.ok) throw new Error(`${pathAndQuery}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    demo = spawn(process.execPath, demoCommand(), {
      cwd: repoRoot,
      env: {
        ...process.env,
        DEMO_PORT: '0',
        TRIBUTARY_PORT: '0',
        TRIBUTARY_OTLP_HTTP_PORT: '0',
        TRIBUTARY_OTLP_GRPC_PORT: '0',
        TRIBUTARY_DATA: data.dir,
        TRIBUTARY_SETTLE_MS: '1000',
        DEMO_FAILURES: 'card,ads,third-party',
        DEMO_INTERVAL_MS: '200',
        // The suite runs against the dist/ that is there, like every other end-to-end test.
        DEMO_BUILD: 'never',
        DEMO_CHROMIUM: chromium,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    demo.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    exited = new Promise((resolve) => demo.once('exit', (code) => resolve(code)));
    ready = await new Promise<DemoReady>((resolve, reject) => {
      createInterface({ input: demo.stdout! }).on('line', (line) => {
        if (line.startsWith('{"demoReady"')) resolve(JSON.parse(line) as DemoReady);
      });
      void exited.then((code) => reject(new Error(`the demo exited (${code}) before it was ready:\n${stderr}`)));
    });
  });

  afterAll(async () => {
    if (demo.exitCode === null && demo.signalCode === null) {
      demo.kill('SIGINT');
      await exited;
    }
    data.remove();
  });

  it('serves the shop page with the buttons the journeys click', async () => {
    const page = await (await fetch(`${ready.webUrl}/`)).text();
    for (const id of ['my-orders', 'book', 'checkout', 'shipping-quote']) expect(page).toContain(`<button id="${id}">`);
    expect(ready.traffic).toBe(hasChromium ? 'browser' : 'http');
    if (!hasChromium) expect(stdout).toContain(`${chromium} not found: replaying the same journeys over HTTP`);
  });

  it('the backtrace of order reads order ← frontend (← the application orders-web, with a browser)', async () => {
    // Waits until one whole journey has been derived: every request of order, every click.
    const tree = await eventually(async () => {
      const { tree } = await api<{ tree: BacktraceNode }>('/api/v1/services/order/backtrace');
      if (!ORDER_REQUESTS.every((name) => tree.calls.some((c) => c.name === name))) return undefined;
      const frontend = tree.callers.find((c) => c.kind === 'service' && c.name === 'frontend');
      if (!frontend || !hasChromium) return frontend && tree;
      const web = frontend.callers.find((c) => c.kind === 'application' && c.name === 'orders-web');
      return web && ORDER_CLICKS.every((name) => web.calls.some((c) => c.name === name)) ? tree : undefined;
    }, 45_000, 'order ← frontend ← orders-web in the backtrace, with every journey step');

    const frontend = tree.callers.find((c) => c.name === 'frontend')!;
    expect(frontend.calls.map((c) => c.name).sort()).toEqual(['GET /api/orders', 'GET /api/shipping-quote', 'POST /api/book', 'POST /api/checkout']);
    if (hasChromium) {
      const web = frontend.callers.find((c) => c.name === 'orders-web')!;
      // Real user actions, named from the clicked button (DESIGN.md §2); they start the requests.
      expect(web.calls.map((c) => c.name).sort()).toEqual([...ORDER_CLICKS].sort());
      expect(web.callers).toEqual([]);
      expect(web.requests).toBeGreaterThan(0);
    } else {
      // Replayed over HTTP: requests start at frontend, no application in front.
      expect(frontend.callers).toEqual([]);
    }
  });

  it('backend, the monolith, has several callers', async () => {
    const callers = await eventually(async () => {
      const overview = await api<Overview>('/api/v1/services/backend');
      const names = overview.callers.map((c) => c.name).sort();
      return names.length >= 4 ? names : undefined;
    }, 30_000, 'four callers of backend');
    expect(callers).toEqual(['catalog', 'customer', 'frontend', 'order']);
  });

  it('the failure scenarios show where they should: bookings, ads (handled by frontend), the third party', async () => {
    await eventually(async () => {
      const { services } = await api<{ services: ServiceRow[] }>('/api/v1/services');
      const fedex = services.find((s) => s.kind === 'external' && s.name === 'api.fedex.com');
      return fedex && fedex.requests > 0 ? true : undefined;
    }, 30_000, 'the third party api.fedex.com');

    const order = await api<Overview>('/api/v1/services/order');
    const booking = order.requestNames.find((r) => r.name === 'POST /orders')!;
    expect(booking.requests).toBeGreaterThan(0);
    expect(booking.failed).toBe(booking.requests);
    expect(order.requestNames.find((r) => r.name === 'GET /orders')?.failed).toBe(0);

    const backendFailures = await api<{ reasons: { reason: string; count: number }[] }>('/api/v1/services/backend/failures?request=' + encodeURIComponent('POST /payments/verify-card'));
    expect(backendFailures.reasons.map((r) => r.reason).join('\n')).toMatch(/card verification failed/);

    const catalog = await api<Overview>('/api/v1/services/catalog');
    const ads = catalog.requestNames.find((r) => r.name === 'GET /ads')!;
    expect(ads.failed).toBe(ads.requests);
    const frontend = await api<Overview>('/api/v1/services/frontend');
    const catalogPage = frontend.requestNames.find((r) => r.name === 'GET /api/catalog')!;
    expect(catalogPage.requests).toBeGreaterThan(0);
    expect(catalogPage.failed).toBe(0);

    const { services } = await api<{ services: ServiceRow[] }>('/api/v1/services');
    const fedex = services.find((s) => s.kind === 'external' && s.name === 'api.fedex.com')!;
    expect(fedex.failed).toBe(fedex.requests);
    expect(services.find((s) => s.kind === 'database' && s.name === 'shop')?.requests).toBeGreaterThan(0);
  });

  it('the demo zone dt-orders-k8 holds the Kubernetes services, not the browser application', async () => {
    if (hasChromium) {
      const all = await api<{ services: ServiceRow[] }>('/api/v1/services');
      expect(all.services).toContainEqual(expect.objectContaining({ kind: 'application', name: 'orders-web' }));
    }
    const { services } = await api<{ services: ServiceRow[] }>('/api/v1/services?zone=dt-orders-k8');
    const names = services.map((s) => `${s.kind}:${s.name}`);
    expect(names).toEqual(expect.arrayContaining(['service:backend', 'service:catalog', 'service:customer', 'service:frontend', 'service:order']));
    expect(services.filter((s) => s.kind === 'application' || s.kind === 'service').length).toBe(5);
  });

  it('Ctrl-C (SIGINT) stops every process it started, cleanly', async () => {
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(`${ready.webUrl}/`)).rejects.toThrow();
    await expect(fetch(`${ready.apiUrl}/healthz`)).rejects.toThrow();
    expect(stderr).toMatch(/\[tributary\] .*stopped/);
  });
});
