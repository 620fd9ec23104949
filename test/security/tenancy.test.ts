import { existsSync } from 'node:fs';
import path from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_ROUTES } from '../../src/api/routes.js';
import { eventually, makeDataDir, startServer, type ServerProcess } from '../harness/server.js';
import { RECENT, exporterAs, grpcExport, identityHeaders, routeUrl, sendJourney, tributary, type Identity } from './support.js';

/**
 * Multi-tenancy (X-Scope-OrgID): two tenants send different traces with the real OpenTelemetry
 * SDK exporters over OTLP/HTTP and OTLP/gRPC; then, for every route of the API's route table,
 * tenant alpha never sees anything of tenant bravo (and the other way round).
 */
const ALPHA: Identity = { tenant: 'alpha' };
const BRAVO: Identity = { tenant: 'bravo' };

interface Sent {
  readonly traces: string[];
}

describe('multi-tenancy: tenants never see each other\'s traces', () => {
  const data = makeDataDir('tributary-tenancy-');
  let server: ServerProcess;
  const sent: Record<string, Sent> = {};

  const api = (pathAndQuery: string, identity: Identity) =>
    fetch(`http://127.0.0.1:${server.apiPort}${pathAndQuery}`, { headers: identityHeaders(identity) });

  beforeAll(async () => {
    server = await startServer({ dataDir: data.dir, settleMs: 200, args: ['--multi-tenancy'], env: { TRIBUTARY_MAX_TENANTS: '2' } });
    for (const [prefix, identity] of [['alpha', ALPHA], ['bravo', BRAVO]] as const) {
      const http = await sendJourney(exporterAs('proto', server, identity), prefix);
      const grpc = await sendJourney(exporterAs('grpc', server, identity), prefix);
      sent[prefix] = { traces: [http, grpc] };
    }
    // Both traces of each tenant are stored and their calls derived (the settle window passed).
    for (const [prefix, identity] of [['alpha', ALPHA], ['bravo', BRAVO]] as const) {
      for (const traceId of sent[prefix]!.traces) {
        await eventually(async () => {
          const response = await api(`/api/v1/traces/${traceId}`, identity);
          if (response.status !== 200) return undefined;
          const body = (await response.json()) as { calls: unknown[] };
          return body.calls.length === 5 ? true : undefined;
        }, 30_000, `${prefix} trace ${traceId} derived`);
      }
    }
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it('keeps each tenant in its own store under <data>/tenants/<id>', () => {
    expect(existsSync(path.join(data.dir, 'tenants/alpha/tributary.duckdb'))).toBe(true);
    expect(existsSync(path.join(data.dir, 'tenants/bravo/tributary.duckdb'))).toBe(true);
    expect(existsSync(path.join(data.dir, 'tributary.duckdb'))).toBe(false);
  });

  for (const [me, other] of [['alpha', 'bravo'], ['bravo', 'alpha']] as const) {
    it(`${me} sees its own data on every route of the route table, and nothing of ${other}`, async () => {
      const identity = { tenant: me };
      expect(QUERY_ROUTES.length).toBeGreaterThanOrEqual(9);
      for (const route of QUERY_ROUTES) {
        // The other tenant's service and trace: unknown here.
        for (const traceId of sent[other]!.traces) {
          const url = `${routeUrl(route.path, { service: `${other}-frontend`, traceId })}?${RECENT}`;
          const response = await api(url, identity);
          const text = await response.text();
          expect([200, 404], `${url}: ${text}`).toContain(response.status);
          if (route.path.includes(':')) expect(response.status, `${url} must not find ${other}'s ${route.path.includes(':traceId') ? 'trace' : 'service'}`).toBe(404);
          // A 404 names what was asked for ("no service named …"); beyond that echo, nothing of the other tenant.
          const withoutEcho = text.replaceAll(`${other}-frontend`, '').replaceAll(traceId, '');
          expect(withoutEcho, url).not.toContain(other);
          if (response.status === 200) expect(text, url).not.toContain(traceId);
        }
        // Its own service and trace: found, and still nothing of the other tenant.
        const own = `${routeUrl(route.path, { service: `${me}-frontend`, traceId: sent[me]!.traces[0]! })}?${RECENT}`;
        const response = await api(own, identity);
        const text = await response.text();
        expect(response.status, `${own}: ${text}`).toBe(200);
        expect(text, own).not.toContain(other);
        if (!route.path.endsWith('/zones')) expect(text, own).toContain(me);
      }
    });
  }

  it('lists, backtraces and flows of a tenant hold only its services', async () => {
    const services = (await (await api(`/api/v1/services?${RECENT}`, ALPHA)).json()) as { services: { name: string }[] };
    expect(services.services.map((s) => s.name).sort()).toEqual(['alpha-db', 'alpha-frontend', 'alpha-order', 'alpha-web', 'alpha.example.com']);
    const traces = (await (await api(`/api/v1/traces?${RECENT}`, BRAVO)).json()) as { traces: { traceId: string }[] };
    expect(traces.traces.map((t) => t.traceId).sort()).toEqual([...sent.bravo!.traces].sort());
  });

  it('refuses requests without X-Scope-OrgID (401) and with a malformed one (400) on every port', async () => {
    const missing = await api(`/api/v1/services?${RECENT}`, {});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: { code: 'unauthenticated', message: 'missing X-Scope-OrgID: this server is multi-tenant, every request names its tenant' } });
    const malformed = await api(`/api/v1/services?${RECENT}`, { tenant: '../alpha' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'invalid_tenant', message: 'invalid X-Scope-OrgID "../alpha": 1 to 64 letters, digits, "_" or "-"',
    });

    const post = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${server.otlpHttpPort}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    const httpMissing = await post({});
    expect(httpMissing.status).toBe(401);
    expect(await httpMissing.json()).toEqual({ code: 16, message: 'missing X-Scope-OrgID: this server is multi-tenant, every request names its tenant' });
    const httpMalformed = await post({ 'x-scope-orgid': 'a b' });
    expect(httpMalformed.status).toBe(400);
    expect(((await httpMalformed.json()) as { code: number }).code).toBe(3);

    expect(await grpcExport(server.otlpGrpcPort, {})).toMatchObject({ ok: false, code: grpcStatus.UNAUTHENTICATED, details: expect.stringMatching(/^missing X-Scope-OrgID/) });
    expect(await grpcExport(server.otlpGrpcPort, { 'x-scope-orgid': 'a/b' })).toMatchObject({ ok: false, code: grpcStatus.INVALID_ARGUMENT });
    expect(await grpcExport(server.otlpGrpcPort, { 'x-scope-orgid': 'alpha' })).toEqual({ ok: true });
  });

  it('refuses a tenant beyond maxTenants (429 / RESOURCE_EXHAUSTED) and keeps serving the others', async () => {
    const third = await api(`/api/v1/services?${RECENT}`, { tenant: 'charlie' });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('too_many_tenants');
    const post = await fetch(`http://127.0.0.1:${server.otlpHttpPort}/v1/traces`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-scope-orgid': 'charlie' }, body: '{}',
    });
    expect(post.status).toBe(429);
    expect(await grpcExport(server.otlpGrpcPort, { 'x-scope-orgid': 'charlie' })).toMatchObject({ ok: false, code: grpcStatus.RESOURCE_EXHAUSTED });
    expect(existsSync(path.join(data.dir, 'tenants/charlie'))).toBe(false);
    expect((await api(`/api/v1/services?${RECENT}`, ALPHA)).status).toBe(200);
  });

  it('labels ingest metrics by tenant', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${server.apiPort}/metrics`)).text();
    expect(metrics).toMatch(/^tributary_spans_accepted_total\{transport="http",tenant="alpha"\} 7$/m);
    expect(metrics).toMatch(/^tributary_spans_accepted_total\{transport="grpc",tenant="bravo"\} 7$/m);
    expect(metrics).toMatch(/^tributary_tenants_open 2$/m);
  });

  it('CLI: --tenant sends X-Scope-OrgID with --server, and TRIBUTARY_TENANT does too', async () => {
    const server_ = `http://127.0.0.1:${server.apiPort}`;
    const alpha = await tributary(['services', '--server', server_, '--tenant', 'alpha', '--from', 'now-1h', '--to', 'now+1h', '--json']);
    expect(alpha.code, alpha.stderr).toBe(0);
    expect(alpha.stdout).toContain('alpha-frontend');
    expect(alpha.stdout).not.toContain('bravo');
    const bravo = await tributary(['services', '--server', server_, '--from', 'now-1h', '--to', 'now+1h'], { TRIBUTARY_TENANT: 'bravo' });
    expect(bravo.code, bravo.stderr).toBe(0);
    expect(bravo.stdout).toContain('bravo-frontend');
    expect(bravo.stdout).not.toContain('alpha');
    const none = await tributary(['services', '--server', server_]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('missing X-Scope-OrgID');
    const bad = await tributary(['services', '--server', server_, '--tenant', '../x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--tenant: .*1 to 64 letters/);
  });

  it('CLI: --tenant reads <data>/tenants/<id> with --data, and import --tenant writes there', async () => {
    await server.stop();
    const alpha = await tributary(['backtrace', 'alpha-order', '--data', data.dir, '--tenant', 'alpha', '--from', 'now-1h', '--to', 'now+1h', '--json']);
    expect(alpha.code, alpha.stderr).toBe(0);
    expect((JSON.parse(alpha.stdout) as { requests: number }).requests).toBe(2);
    const other = await tributary(['backtrace', 'alpha-order', '--data', data.dir, '--tenant', 'bravo', '--from', 'now-1h', '--to', 'now+1h']);
    expect(other.code).toBe(3);

    const fixture = path.resolve(import.meta.dirname, '../ui/fixtures/shop.otlp.json');
    const imported = await tributary(['import', fixture, '--data', data.dir, '--tenant', 'delta']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain(path.join(data.dir, 'tenants/delta'));
    const delta = await tributary(['services', '--data', data.dir, '--tenant', 'delta', '--from', '0', '--to', '4102444800000', '--json']);
    expect(delta.stdout).toContain('checkout');
    expect(delta.stdout).not.toContain('alpha');
  });
});
