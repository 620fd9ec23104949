import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeDataDir, repoRoot, startServer, type ServerProcess } from '../harness/server.js';

/**
 * A real `tributary serve` with fixtures imported, and Debian's Chromium driven by
 * playwright-core: what the UI tests and `npm run screenshots` run against.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** The fixtures' timestamps are from 2018 and 2024: links use a window that holds them all. */
export const ALL_TIME = 'from=0&to=4102444800000';

const testdata = path.resolve(repoRoot, '../shared/testdata');
export const FIXTURES = {
  /** A browser shop on Kubernetes with a failing third party (test/ui/fixtures/generate.ts). */
  shop: path.join(repoRoot, 'test/ui/fixtures/shop.otlp.json'),
  /** Service and span names that are HTML. */
  hostile: path.join(repoRoot, 'test/ui/fixtures/hostile.otlp.json'),
  /** A real 953-span Zipkin trace. */
  smartthings: path.join(testdata, 'zipkin-lens-testdata/smartthings-mobile-web-install.json'),
} as const;

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** The UI must have been built by `npm run build` (the `npm test` script does it first). */
export function assertWebBuilt(): void {
  if (!existsSync(path.join(repoRoot, 'dist/web/index.html'))) {
    throw new Error('dist/web/index.html is missing: run `npm run build` (npm test does) before the UI tests');
  }
}

const run = promisify(execFile);

export interface UiServer {
  readonly server: ServerProcess;
  readonly baseUrl: string;
  stop(): Promise<void>;
}

/** Imports `files` into a fresh data directory and starts `tributary serve` on it. */
export async function startUiServer(options: { readonly files: readonly string[]; readonly configYaml?: string }): Promise<UiServer> {
  assertWebBuilt();
  const data = makeDataDir('tributary-ui-');
  try {
    await run(process.execPath, [path.join(repoRoot, 'bin/tributary.js'), 'import', ...options.files, '--data', data.dir], { cwd: repoRoot });
    const args: string[] = [];
    if (options.configYaml !== undefined) {
      const configFile = path.join(data.dir, 'tributary.yaml');
      writeFileSync(configFile, options.configYaml);
      args.push('--config', configFile);
    }
    const server = await startServer({ dataDir: data.dir, args });
    return {
      server,
      baseUrl: `http://127.0.0.1:${server.apiPort}`,
      stop: async () => {
        await server.stop();
        data.remove();
      },
    };
  } catch (error) {
    data.remove();
    throw error;
  }
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A laptop-sized page (1280×720) that records uncaught page errors, for tests to assert none happened. */
export async function openPage(browser: Browser, width = 1280, height = 720): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { page, errors };
}
