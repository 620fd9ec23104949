import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { wwwAuthenticate, type Admission, type Credentials, type Refusal } from '../app/access.js';
import { fastifyTimeouts } from '../app/http-timeouts.js';
import type { HttpTimeouts } from '../config/config.js';
import type { IngestOutcome, IngestPipeline } from './pipeline.js';
import { exportResponseJson, exportResponseProtobuf, statusJson, statusProtobuf } from './otlp-responses.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** gRPC status codes used in `google.rpc.Status` bodies. */
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;
const GRPC_UNAUTHENTICATED = 16;

type Encoding = 'protobuf' | 'json';

/**
 * Decides, from what a request carried, whether it may export and into which pipeline (with
 * multi-tenancy: its tenant's). Called before the body is read.
 */
export type IngestAdmit = (credentials: Credentials) => Promise<Admission<IngestPipeline>>;

/** Where a receiver's requests go: always one pipeline, or the one `admit` picks per request. */
export type PipelineSource = { readonly pipeline: IngestPipeline } | { readonly admit: IngestAdmit };

export function admitterOf(source: PipelineSource): IngestAdmit {
  if ('admit' in source) return source.admit;
  const admitted = { ok: true, value: source.pipeline } as const;
  return async () => admitted;
}

export type OtlpHttpOptions = PipelineSource & {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  /** Origins allowed to export from a browser (CORS); `*` for any. */
  readonly corsOrigins?: readonly string[];
  /** Socket timeouts (slow clients); Fastify's defaults when absent. */
  readonly timeouts?: HttpTimeouts;
};

export interface RunningServer {
  /** The port actually bound (differs from the requested one when that was 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * OTLP/HTTP receiver: `POST /v1/traces` with `application/x-protobuf` or `application/json`,
 * optionally `Content-Encoding: gzip` (or `deflate`). Status codes per the OTLP/HTTP spec:
 * 200 (with partial success when spans were rejected), 400 undecodable, 413 too large,
 * 415 unsupported content type or encoding, 429/503 with `Retry-After` when it cannot take the
 * request now. Error bodies are `google.rpc.Status` in the request's encoding.
 */
export async function startOtlpHttpReceiver(options: OtlpHttpOptions): Promise<RunningServer> {
  const app = buildOtlpHttpApp(options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return { port, close: () => app.close() };
}

export function buildOtlpHttpApp(options: OtlpHttpOptions): FastifyInstance {
  const { maxBodyBytes } = options;
  const admit = admitterOf(options);
  // Fastify enforces the limit on the compressed body; decompression enforces it again below.
  const app = Fastify({ bodyLimit: maxBodyBytes, logger: false, ...fastifyTimeouts(options.timeouts) });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const corsOrigins = options.corsOrigins ?? [];
  if (corsOrigins.length > 0) {
    // Browsers (the OpenTelemetry web SDK) preflight a cross-origin POST with a JSON or protobuf body.
    app.addHook('onRequest', async (request, reply) => {
      const origin = request.headers.origin;
      if (origin === undefined || !(corsOrigins.includes('*') || corsOrigins.includes(origin))) return;
      reply.header('Access-Control-Allow-Origin', corsOrigins.includes('*') ? '*' : origin);
      reply.header('Vary', 'Origin');
      if (request.method === 'OPTIONS') {
        reply.header('Access-Control-Allow-Methods', 'POST');
        reply.header('Access-Control-Allow-Headers', 'Content-Type, Content-Encoding, traceparent, Authorization, X-Scope-OrgID');
        reply.header('Access-Control-Max-Age', '600');
        await reply.code(204).send();
      }
    });
    app.options('/v1/traces', async (_request, reply) => reply.code(204).send());
  }

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const encoding = encodingOf(request.headers['content-type']) ?? 'json';
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
      return sendStatus(reply, 413, encoding, GRPC_RESOURCE_EXHAUSTED, `request body exceeds the limit of ${maxBodyBytes} bytes`);
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return sendStatus(reply, status, encoding, GRPC_INVALID_ARGUMENT, error.message);
  });

  // Token and tenant are checked before the body is read, so a refused client costs no buffering.
  const admitted = new WeakMap<FastifyRequest, IngestPipeline>();
  app.addHook('onRequest', async (request, reply) => {
    // Only an export is admitted: other paths and preflights get their 404/204 and open no tenant.
    if (request.method !== 'POST' || request.url.split('?')[0] !== '/v1/traces') return;
    const admission = await admit({ authorization: header(request, 'authorization'), tenant: header(request, 'x-scope-orgid') });
    if (admission.ok) return void admitted.set(request, admission.value);
    await sendRefusal(reply, admission.refusal, encodingOf(request.headers['content-type']) ?? 'json');
  });

  app.post('/v1/traces', async (request, reply) => {
    const pipeline = admitted.get(request);
    if (pipeline === undefined) throw new Error('OTLP request reached the handler without admission');
    const encoding = encodingOf(request.headers['content-type']);
    if (encoding === undefined) {
      return sendStatus(reply, 415, 'json', GRPC_INVALID_ARGUMENT,
        `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? '')}: use application/x-protobuf or application/json`);
    }
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const body = await decompress(raw, request.headers['content-encoding'], maxBodyBytes);
    if (!body.ok) return sendStatus(reply, body.status, encoding, GRPC_INVALID_ARGUMENT, body.message);

    let outcome: IngestOutcome;
    if (encoding === 'protobuf') {
      outcome = await pipeline.ingestProtobuf(body.bytes, 'http');
    } else {
      let value: unknown;
      try {
        value = JSON.parse(body.bytes.toString('utf8'));
      } catch (error) {
        return sendStatus(reply, 400, encoding, GRPC_INVALID_ARGUMENT, `invalid JSON: ${(error as Error).message}`);
      }
      outcome = await pipeline.ingestJson(value, 'http');
    }
    return sendOutcome(reply, outcome, encoding);
  });

  return app;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A refused request: 401 with `WWW-Authenticate: Bearer` (RFC 6750), 400, 429 or 503; body `google.rpc.Status`. */
function sendRefusal(reply: FastifyReply, refusal: Refusal, encoding: Encoding): FastifyReply {
  switch (refusal.kind) {
    case 'unauthenticated':
      reply.header('WWW-Authenticate', wwwAuthenticate(refusal));
      return sendStatus(reply, 401, encoding, GRPC_UNAUTHENTICATED, refusal.message);
    case 'invalid-tenant':
      return sendStatus(reply, 400, encoding, GRPC_INVALID_ARGUMENT, refusal.message);
    case 'tenant-limit':
      return sendStatus(reply, 429, encoding, GRPC_RESOURCE_EXHAUSTED, refusal.message);
    case 'unavailable':
      reply.header('Retry-After', '1');
      return sendStatus(reply, 503, encoding, GRPC_UNAVAILABLE, refusal.message);
  }
}

function encodingOf(contentType: string | undefined): Encoding | undefined {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

type Decompressed = { ok: true; bytes: Buffer } | { ok: false; status: 400 | 413 | 415; message: string };

async function decompress(raw: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<Decompressed> {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return { ok: true, bytes: raw };
  const inflater = encoding === 'gzip' ? gunzipAsync : encoding === 'deflate' ? inflateAsync : undefined;
  if (inflater === undefined) return { ok: false, status: 415, message: `unsupported content encoding "${encoding}": use gzip or none` };
  try {
    return { ok: true, bytes: await inflater(raw, { maxOutputLength: maxBytes }) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return { ok: false, status: 413, message: `decompressed body exceeds the limit of ${maxBytes} bytes` };
    }
    return { ok: false, status: 400, message: `body is not valid ${encoding}: ${(error as Error).message}` };
  }
}

function sendOutcome(reply: FastifyReply, outcome: IngestOutcome, encoding: Encoding): FastifyReply {
  switch (outcome.kind) {
    case 'accepted': {
      const partial = outcome.rejectedSpans > 0
        ? { rejectedSpans: outcome.rejectedSpans, errorMessage: outcome.rejectionMessage }
        : undefined;
      return encoding === 'protobuf'
        ? reply.code(200).type('application/x-protobuf').send(Buffer.from(exportResponseProtobuf(partial)))
        : reply.code(200).type('application/json').send(exportResponseJson(partial));
    }
    case 'invalid':
      return sendStatus(reply, 400, encoding, GRPC_INVALID_ARGUMENT, outcome.message);
    case 'retryable':
      reply.header('Retry-After', String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))));
      return outcome.overloaded
        ? sendStatus(reply, 429, encoding, GRPC_RESOURCE_EXHAUSTED, outcome.message)
        : sendStatus(reply, 503, encoding, GRPC_UNAVAILABLE, outcome.message);
  }
}

function sendStatus(reply: FastifyReply, httpStatus: number, encoding: Encoding, grpcCode: number, message: string): FastifyReply {
  return encoding === 'protobuf'
    ? reply.code(httpStatus).type('application/x-protobuf').send(Buffer.from(statusProtobuf(grpcCode, message)))
    : reply.code(httpStatus).type('application/json').send(statusJson(grpcCode, message));
}
