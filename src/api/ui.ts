import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { sendError } from './errors.js';

/**
 * Where `vite build` put the UI: `dist/web`, next to the compiled server (`dist/api/ui.js` →
 * `dist/web`); when this file runs from `src/` (tsx), the repository's `dist/web`.
 */
export function defaultWebRoot(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../web'), path.resolve(here, '../../dist/web')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
}

/** Top-level files such as `/favicon.ico` or `/robots.txt`: a last path segment with an extension. */
const TOP_LEVEL_FILE = /^\/[^/]+\.[A-Za-z0-9]+$/;

/**
 * Serves the web UI on the API port. Hashed bundles under `/assets/` are cached for good;
 * every other GET outside `/api/` is a deep link (`/services/a/backtrace?…`) and gets
 * `index.html`, which the UI's router reads. Unknown `/api/...` paths keep the JSON 404 of the
 * not-found handler. Without a built UI, deep links answer 503 with the command that builds it.
 */
export function registerUi(app: FastifyInstance, webRoot: string | undefined = defaultWebRoot()): void {
  if (webRoot === undefined) {
    app.get('/*', (request, reply) =>
      isApiPath(request.url)
        ? reply.callNotFound()
        : sendError(reply, 503, 'ui_not_built', 'the web UI is not built: run `npm run build` (the API under /api/v1 works without it)'));
    return;
  }
  void app.register(fastifyStatic, {
    root: path.join(webRoot, 'assets'),
    prefix: '/assets/',
    // Vite names every asset by its content hash: a changed file is a new URL.
    immutable: true,
    maxAge: '365d',
    index: false,
  });
  app.get('/*', (request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if (isApiPath(pathname)) return reply.callNotFound();
    if (TOP_LEVEL_FILE.test(pathname)) {
      const file = topLevelFile(webRoot, pathname);
      return file !== undefined ? reply.sendFile(path.basename(file), webRoot) : reply.callNotFound();
    }
    // index.html names the current bundles, so it must never be cached.
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html', webRoot, { cacheControl: false });
  });
}

function isApiPath(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
}

/** The file a top-level path names, if it exists directly in `root` (never outside it). */
function topLevelFile(root: string, pathname: string): string | undefined {
  try {
    const file = path.resolve(root, decodeURIComponent(pathname.slice(1)));
    return path.dirname(file) === path.resolve(root) && statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined; // malformed escapes or a missing file: not found
  }
}
