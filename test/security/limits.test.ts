import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_ROUTES } from '../../src/api/routes.js';
import { eventually, makeDataDir, startServer, type ServerProcess } from '../harness/server.js';
import { exporterAs, routeUrl, sendJourney } from './support.js';

/**
 * Cost limits, hostile parameters and slow clients against a real server started with a 24 h
 * range cap and a 1 s request timeout.
 */
describe('query cost limits, hostile parameters and slow clients', () => {
  const data = makeDataDir('tributary-limits-');
  let server: ServerProcess;
  let traceId: string;

  beforeAll(async () => {
    server = await startServer({ dataDir: data.dir, env: { TRIBUTARY_MAX_QUERY_RANGE_HOURS: '24', TRIBUTARY_REQUEST_TIMEOUT_MS: '1000' } });
    traceId = await sendJourney(exporterAs('proto', server, {}), 'shop');
    await eventually(async () => {
      const response = await server.api(`/api/v1/traces/${traceId}`);
      return response.status === 200 && ((await response.json()) as { calls: unknown[] }).calls.length === 5 ? true : undefined;
    }, 20_000, 'the trace derived');
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  const error = async (url: string) => {
    const response = await server.api(url);
    return { status: response.status, message: ((await response.json()) as { error?: { message: string } }).error?.message };
  };

  it('refuses a window longer than maxQueryRangeHours, a limit over 1000 and a chain over 16 steps, each with 400 and a clear message', async () => {
    expect(await error('/api/v1/services?from=now-48h&to=now')).toEqual({
      status: 400, message: 'from: the window spans 48 h, more than the 24 h this server allows (query.maxQueryRangeHours)',
    });
    expect(await error('/api/v1/services/shop-order/backtrace?from=0&to=now')).toMatchObject({ status: 400, message: expect.stringMatching(/^from: the window spans \d+ h/) });
    expect(await error('/api/v1/traces?limit=5000')).toEqual({ status: 400, message: 'limit: expected a whole number from 1 to 1000, got "5000"' });
    const chain = encodeURIComponent(Array.from({ length: 20 }, () => 'shop-frontend').join(' > '));
    expect(await error(`/api/v1/services/shop-order/flow?chain=${chain}`)).toEqual({ status: 400, message: 'chain: 20 steps, at most 16 are allowed' });
    // Within the limits the same queries answer.
    expect((await server.api('/api/v1/services?from=now-24h&to=now')).status).toBe(200);
    expect((await server.api('/api/v1/traces?limit=1000')).status).toBe(200);
  });

  const HOSTILE = [
    "' OR '1'='1", "shop-order' --", '"; DROP TABLE spans; --', '%', '_', '*', '\\', "x') UNION SELECT * FROM calls --",
    '${jndi:ldap://x}', '<script>alert(1)</script>', 'ü🙂', 'a'.repeat(2000),
  ];

  it('takes hostile parameter values on every route as plain values: never a 500, never a wildcard', async () => {
    for (const route of QUERY_ROUTES) {
      for (const value of HOSTILE) {
        const query = new URLSearchParams({ service: value, request: value, chain: value, zone: value, path: value, kind: value });
        const url = `${routeUrl(route.path, { service: value, traceId: encodeURIComponent(value) })}?${query}`;
        const response = await server.api(url);
        expect([200, 400, 404], `${url.slice(0, 200)} → ${response.status}`).toContain(response.status);
      }
    }
    // A request name of `%` or `_` matches no request (it is not a LIKE pattern), and the data is intact.
    for (const request of ['%', '_', "' OR '1'='1"]) {
      const response = await server.api(`/api/v1/services/shop-order/backtrace?request=${encodeURIComponent(request)}`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { requests: number }).requests, request).toBe(0);
    }
    const all = (await (await server.api('/api/v1/services/shop-order/backtrace')).json()) as { requests: number };
    expect(all.requests).toBe(1);
    expect((await server.api(`/api/v1/traces?service=${encodeURIComponent('%')}`)).status).toBe(404);
  });

  /** Opens a raw connection, writes `head`, then one more byte every 100 ms until the server hangs up. */
  function slowClient(port: number, head: string, drip: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      let timer: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        socket.write(head);
        timer = setInterval(() => socket.write(drip), 100);
      });
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined); // the server may reset the connection while we write
      socket.on('close', () => {
        clearInterval(timer);
        resolve(received);
      });
      setTimeout(() => {
        clearInterval(timer);
        socket.destroy();
        reject(new Error(`the server kept a slow client connected; received ${JSON.stringify(received)}`));
      }, 30_000).unref();
    });
  }

  it('hangs up on a client that sends its headers a byte at a time (slow-loris), on the API and the OTLP/HTTP port', async () => {
    for (const port of [server.apiPort, server.otlpHttpPort]) {
      const answer = await slowClient(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X');
      expect(answer, `port ${port}`).toMatch(/^(HTTP\/1\.1 408|$)/);
    }
    expect((await server.api('/healthz')).status).toBe(200);
  });

  it('hangs up on a client that sends its OTLP body a byte at a time', async () => {
    const head = 'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{';
    const answer = await slowClient(server.otlpHttpPort, head, ' ');
    expect(answer).toMatch(/^(HTTP\/1\.1 408|$)/);
    const ok = await fetch(`http://127.0.0.1:${server.otlpHttpPort}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(ok.status).toBe(200);
  });
});
