/**
 * The little HTTP toolkit the demo services share: a router on `node:http` that names server spans
 * by route (as web frameworks' instrumentations do), and a JSON client on `http.request`, which the
 * HTTP instrumentation traces and propagates `traceparent` through.
 */
import http from 'node:http';
import { context, trace } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

export interface Request {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export interface Reply {
  readonly status?: number;
  readonly body: unknown;
  /** Defaults to JSON; any other type sends `body` as a string. */
  readonly contentType?: string;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  /** `/orders/:id/checkout`: `:name` segments become `params`. */
  readonly pattern: string;
  handle(request: Request): Promise<Reply> | Reply;
}

/** A failure with the HTTP status the service answers with. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HttpError';
  }
}

/** Thrown by `callJson` when the callee answers with a status ≥ 400. */
export class DownstreamError extends HttpError {
  constructor(readonly url: string, readonly downstreamStatus: number, detail: string) {
    super(502, `${url} answered ${downstreamStatus}: ${detail}`);
    this.name = 'DownstreamError';
  }
}

/** Listens on loopback; `port` 0 picks a free one. */
export async function serve(routes: readonly Route[], port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => void handle(routes, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

async function handle(routes: readonly Route[], req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = matchRoute(routes, req.method ?? 'GET', url.pathname);
  let reply: Reply;
  try {
    if (!match) throw new HttpError(404, `no route for ${req.method} ${url.pathname}`);
    // The HTTP instrumentation names the server span `METHOD route` and sets `http.route` from this.
    const rpc = getRPCMetadata(context.active());
    if (rpc?.type === RPCType.HTTP) rpc.route = match.route.pattern;
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    reply = await match.route.handle({ method: req.method ?? 'GET', params: match.params, query: url.searchParams, body });
  } catch (error) {
    const status = error instanceof HttpError ? error.status : 500;
    if (status >= 500) trace.getActiveSpan()?.recordException(error instanceof Error ? error : String(error));
    reply = { status, body: { error: error instanceof Error ? error.message : String(error) } };
  }
  const json = reply.contentType === undefined;
  res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/json' });
  res.end(json ? JSON.stringify(reply.body) : String(reply.body));
}

function matchRoute(routes: readonly Route[], method: string, pathname: string): { route: Route; params: Record<string, string> } | undefined {
  const segments = pathname.split('/');
  for (const route of routes) {
    if (route.method !== method) continue;
    const pattern = route.pattern.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((part, i) => {
      const segment = segments[i] ?? '';
      if (part.startsWith(':')) {
        params[part.slice(1)] = decodeURIComponent(segment);
        return segment !== '';
      }
      return part === segment;
    });
    if (matches) return { route, params };
  }
  return undefined;
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

/** A JSON request to another service; statuses ≥ 400 become a `DownstreamError`. */
export function callJson(baseUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers: payload ? { 'content-type': 'application/json' } : {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        if (status >= 400) return reject(new DownstreamError(url.href, status, errorText(text)));
        try {
          resolve(text === '' ? undefined : JSON.parse(text));
        } catch (error) {
          reject(new HttpError(502, `${url.href} answered with a body that is not JSON`, { cause: error }));
        }
      });
    });
    request.on('error', reject);
    request.end(payload);
  });
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: use the text
  }
  return body.slice(0, 200);
}

/** A required environment variable (the demo runner sets them all). */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (start the demo with \`npm run demo\`)`);
  return value;
}

/** Whether the failure scenario `name` is switched on (`DEMO_FAILURES=card,ads,third-party`). */
export function failureEnabled(name: string): boolean {
  return (process.env.DEMO_FAILURES ?? '').split(',').map((s) => s.trim()).includes(name);
}

/** Waits a few milliseconds, so response times in the demo look like a network's. */
export function pause(minMillis: number, maxMillis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, minMillis + Math.random() * (maxMillis - minMillis)));
}
