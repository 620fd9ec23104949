import { status as grpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_ROUTES } from '../../src/api/routes.js';
import { eventually, makeDataDir, startServer, type ServerProcess } from '../harness/server.js';
import { RECENT, exporterAs, grpcExport, identityHeaders, routeUrl, sendJourney, tributary } from './support.js';

/**
 * Bearer tokens, separate for ingest and for queries: the ingest token set by flag, the query
 * tokens by environment variable (two of them, as during a rotation).
 */
const INGEST = 'ingest-token-9f8e7d6c5b4a3210';
const QUERY = 'query-token-0a1b2c3d4e5f6789';
const QUERY_NEXT = 'query-token-next-1122334455667788';

describe('bearer tokens', () => {
  const data = makeDataDir('tributary-auth-');
  let server: ServerProcess;
  let traceId: string;
  const apiAs = (pathAndQuery: string, token?: string) =>
    fetch(`http://127.0.0.1:${server.apiPort}${pathAndQuery}`, { headers: identityHeaders(token === undefined ? {} : { token }) });

  beforeAll(async () => {
    server = await startServer({ dataDir: data.dir, args: ['--ingest-token', INGEST], env: { TRIBUTARY_QUERY_TOKENS: `${QUERY},${QUERY_NEXT}` } });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it('OTLP exporters with the ingest token are accepted, over HTTP/protobuf, HTTP/JSON and gRPC', async () => {
    const ids = [];
    for (const kind of ['proto', 'json', 'grpc'] as const) ids.push(await sendJourney(exporterAs(kind, server, { token: INGEST }), `sender-${kind}`));
    traceId = ids[0]!;
    for (const id of ids) {
      await eventually(async () => ((await apiAs(`/api/v1/traces/${id}`, QUERY)).status === 200 ? true : undefined), 20_000, `trace ${id}`);
    }
    // The services list shows a service once its trace settled and its calls were derived.
    await eventually(async () => {
      const services = await (await apiAs(`/api/v1/services?${RECENT}`, QUERY)).text();
      return ['proto', 'json', 'grpc'].every((kind) => services.includes(`sender-${kind}-frontend`)) ? true : undefined;
    }, 20_000, 'the senders\' services');
  });

  it('OTLP exporters without a token or with the query token are refused, and nothing is stored', async () => {
    await expect(sendJourney(exporterAs('proto', server, {}), 'anonymous')).rejects.toThrow();
    await expect(sendJourney(exporterAs('grpc', server, { token: QUERY }), 'wrong-side')).rejects.toThrow();
    const services = await (await apiAs(`/api/v1/services?${RECENT}`, QUERY)).text();
    expect(services).toContain('sender-proto-frontend');
    expect(services).not.toContain('anonymous');
    expect(services).not.toContain('wrong-side');
  });

  it('OTLP/HTTP answers 401 with WWW-Authenticate and a google.rpc.Status (code 16) in the request\'s encoding', async () => {
    const post = (contentType: string, authorization?: string) =>
      fetch(`http://127.0.0.1:${server.otlpHttpPort}/v1/traces`, {
        method: 'POST', body: contentType === 'application/json' ? '{}' : new Uint8Array(0),
        headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
      });
    const json = await post('application/json');
    expect(json.status).toBe(401);
    expect(json.headers.get('www-authenticate')).toBe('Bearer realm="tributary"');
    expect(await json.json()).toEqual({ code: 16, message: 'missing bearer token (Authorization: Bearer <token>)' });

    const wrong = await post('application/x-protobuf', 'Bearer not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="tributary", error="invalid_token"');
    const bytes = Buffer.from(await wrong.arrayBuffer());
    // google.rpc.Status { code = 16 (field 1, varint), message (field 2) }
    expect([...bytes.subarray(0, 2)]).toEqual([0x08, 16]);
    expect(bytes.toString('utf8')).toContain('invalid bearer token');

    expect((await post('application/json', `Bearer ${INGEST}`)).status).toBe(200);
    expect((await post('application/json', `bearer ${INGEST}`)).status).toBe(200);
  });

  it('OTLP/gRPC answers UNAUTHENTICATED without the ingest token', async () => {
    expect(await grpcExport(server.otlpGrpcPort, {})).toMatchObject({ ok: false, code: grpcStatus.UNAUTHENTICATED, details: expect.stringMatching(/^missing bearer token/) });
    expect(await grpcExport(server.otlpGrpcPort, { authorization: 'Bearer nope' })).toMatchObject({ ok: false, code: grpcStatus.UNAUTHENTICATED, details: 'invalid bearer token' });
    expect(await grpcExport(server.otlpGrpcPort, { authorization: `Bearer ${QUERY}` })).toMatchObject({ ok: false, code: grpcStatus.UNAUTHENTICATED });
    expect(await grpcExport(server.otlpGrpcPort, { authorization: `Bearer ${INGEST}` })).toEqual({ ok: true });
  });

  it('every API route of the route table and /metrics answer 401 without the query token, and serve with either query token', async () => {
    const urls = [...QUERY_ROUTES.map((r) => `${routeUrl(r.path, { service: 'sender-proto-frontend', traceId })}?${RECENT}`), '/metrics'];
    for (const url of urls) {
      for (const token of [undefined, 'nope', INGEST]) {
        const response = await apiAs(url, token);
        expect(response.status, `${url} with ${token ?? 'no token'}`).toBe(401);
        expect(response.headers.get('www-authenticate'), url).toMatch(/^Bearer realm="tributary"/);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code, url).toBe('unauthenticated');
      }
      for (const token of [QUERY, QUERY_NEXT]) expect((await apiAs(url, token)).status, `${url} with a query token`).toBe(200);
    }
  });

  it('keeps /healthz, /readyz and the UI\'s files open (they carry no data)', async () => {
    for (const url of ['/healthz', '/readyz', '/services', `/traces/${traceId}`]) expect((await apiAs(url)).status, url).not.toBe(401);
  });

  it('CLI: --token (or TRIBUTARY_TOKEN) for --server; without it the command says why', async () => {
    const base = `http://127.0.0.1:${server.apiPort}`;
    const withFlag = await tributary(['flow', 'sender-json-frontend', '--server', base, '--token', QUERY, '--from', 'now-1h', '--to', 'now+1h', '--json']);
    expect(withFlag.code, withFlag.stderr).toBe(0);
    expect((JSON.parse(withFlag.stdout) as { requests: number }).requests).toBe(1);
    const withEnv = await tributary(['trace', traceId, '--server', base], { TRIBUTARY_TOKEN: QUERY_NEXT });
    expect(withEnv.code, withEnv.stderr).toBe(0);
    expect(withEnv.stdout).toContain('sender-proto-order');
    const without = await tributary(['services', '--server', base]);
    expect(without.code).toBe(2);
    expect(without.stderr).toBe('error: missing bearer token (Authorization: Bearer <token>)\n');
  });
});
