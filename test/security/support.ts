import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Metadata, makeGenericClientConstructor, credentials as grpcCredentials, type ServiceError } from '@grpc/grpc-js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { repoRoot } from '../harness/server.js';
import { TestService, type ExporterKind } from '../harness/otel.js';

/** Who a test client is: a bearer token and a tenant, each optional. */
export interface Identity {
  readonly token?: string;
  readonly tenant?: string;
}

export function identityHeaders(identity: Identity): Record<string, string> {
  const headers: Record<string, string> = {};
  if (identity.token !== undefined) headers.authorization = `Bearer ${identity.token}`;
  if (identity.tenant !== undefined) headers['x-scope-orgid'] = identity.tenant;
  return headers;
}

/** A real OpenTelemetry SDK exporter that sends as `identity` (HTTP `headers`, gRPC `metadata`). */
export function exporterAs(kind: ExporterKind, ports: { otlpHttpPort: number; otlpGrpcPort: number }, identity: Identity): SpanExporter {
  const headers = identityHeaders(identity);
  switch (kind) {
    case 'proto':
      return new ProtoExporter({ url: `http://127.0.0.1:${ports.otlpHttpPort}/v1/traces`, headers });
    case 'json':
      return new JsonExporter({ url: `http://127.0.0.1:${ports.otlpHttpPort}/v1/traces`, headers });
    case 'grpc': {
      const metadata = new Metadata();
      for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
      return new GrpcExporter({ url: `http://127.0.0.1:${ports.otlpGrpcPort}`, metadata });
    }
  }
}

/**
 * One trace through services named `<prefix>-web → <prefix>-frontend → <prefix>-order`, with a
 * database `<prefix>-db` and a failing third party `<prefix>.example.com`. Returns the trace id
 * after the spans were exported; rejects when the exporter could not deliver them.
 */
export async function sendJourney(exporter: SpanExporter, prefix: string): Promise<string> {
  const failures: string[] = [];
  const checked: SpanExporter = {
    export: (spans, done) =>
      exporter.export(spans, (result) => {
        if (result.code !== 0) failures.push(result.error?.message ?? 'export failed');
        done(result);
      }),
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush!() } : {}),
  };
  const web = new TestService(`${prefix}-web`, checked, { 'telemetry.sdk.language': 'webjs' });
  const frontend = new TestService(`${prefix}-frontend`, checked);
  const order = new TestService(`${prefix}-order`, checked);
  const click = web.start('click', SpanKind.INTERNAL, undefined, { event_type: 'click', target_element: 'BUTTON' });
  const request = web.start('HTTP GET', SpanKind.CLIENT, click);
  const server = frontend.start(`GET /${prefix}`, SpanKind.SERVER, request, { 'http.response.status_code': 200 });
  const toOrder = frontend.start('GET', SpanKind.CLIENT, server);
  const orderServer = order.start(`GET /${prefix}/order/{id}`, SpanKind.SERVER, toOrder, { 'http.response.status_code': 200 });
  order.start('SELECT', SpanKind.CLIENT, orderServer, { 'db.system': 'postgresql', 'db.name': `${prefix}-db` }).end();
  const third = order.start('POST /pay', SpanKind.CLIENT, orderServer, { 'server.address': `${prefix}.example.com`, 'http.response.status_code': 503 });
  third.setStatus({ code: SpanStatusCode.ERROR, message: `${prefix} payment down` });
  third.end();
  for (const span of [orderServer, toOrder, server, request, click]) span.end();
  for (const service of [web, frontend, order]) await service.flush();
  await Promise.all([web, frontend, order].map((s) => s.shutdown()));
  if (failures.length > 0) throw new Error(`export failed: ${failures.join('; ')}`);
  return click.spanContext().traceId;
}

/** A raw OTLP/gRPC `Export` with the given metadata (an empty request is a valid one). */
export async function grpcExport(port: number, headers: Record<string, string>, body: Uint8Array = new Uint8Array(0)): Promise<{ ok: true } | { ok: false; code: number; details: string }> {
  const Client = makeGenericClientConstructor({
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: Uint8Array) => Buffer.from(value),
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (value: Uint8Array) => Buffer.from(value),
      responseDeserialize: (bytes: Buffer) => bytes,
    },
  }, 'TraceService');
  const client = new Client(`127.0.0.1:${port}`, grpcCredentials.createInsecure());
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  try {
    return await new Promise((resolve) => {
      client.makeUnaryRequest(
        '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        (value: Uint8Array) => Buffer.from(value),
        (bytes: Buffer) => bytes,
        body,
        metadata,
        (error: ServiceError | null) => resolve(error ? { ok: false, code: error.code, details: error.details } : { ok: true }),
      );
    });
  } finally {
    client.close();
  }
}

const run = promisify(execFile);

/** Runs the built CLI; resolves with its output and exit code (never rejects on a non-zero exit). */
export async function tributary(args: readonly string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/tributary.js'), ...args], {
      cwd: repoRoot, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** Every query route of the table with its path parameters filled in. */
export function routeUrl(path: string, values: { service: string; traceId: string }): string {
  return path.replace(/:(\w+)/g, (_match, name: string) => {
    if (name === 'service') return encodeURIComponent(values.service);
    if (name === 'traceId') return values.traceId;
    throw new Error(`route ${path} has a path parameter :${name} this test does not know: teach test/security how to fill it`);
  });
}

/** A window that holds the tests' traces (sent just now). */
export const RECENT = 'from=now-1h&to=now%2B1h';
