/**
 * `npm run demo`: Tributary plus an instrumented shop with a browser front end and traffic, ready
 * in seconds. Start-up order: build Tributary if needed, bundle the web app, start `tributary
 * serve`, start the services (they export to it), start the traffic. Ctrl-C stops in reverse.
 *
 * Prints the URLs and commands to try, and one JSON line for scripts:
 * `{"demoReady":true,"webUrl":…,"apiUrl":…,"otlpHttpUrl":…,"traffic":…}`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNeeded, distExists, runBuild } from './build.js';
import { USAGE, parseDemoOptions, type DemoOptions } from './options.js';
import { freePort, startChild, type Child } from './processes.js';
import { SERVICES, SHIPPING_PEER, resourceAttributes, type ServiceName } from './topology.js';
import { startBrowserTraffic } from './traffic/browser.js';
import { startHttpTraffic } from './traffic/http.js';
import type { Traffic } from './traffic/traffic.js';
import { bundleWebApp } from './web/bundle.js';

const demoDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(demoDir, '..');

interface TributaryReady { readonly apiPort: number; readonly otlpHttpPort: number; readonly otlpGrpcPort: number }
interface ServiceReady { readonly port: number }

const log = (line: string) => process.stderr.write(`${line}\n`);
const say = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const parsed = parseDemoOptions(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    if (parsed.help) {
      say(USAGE);
      return 0;
    }
    log(`${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const options = parsed.options;

  const reason = options.build === 'never' ? undefined : options.build === 'always' ? 'asked to' : buildNeeded(repoRoot);
  if (reason !== undefined) {
    log(`building Tributary (${reason}) …`);
    const built = await runBuild(repoRoot);
    if (!built.ok) {
      if (!distExists(repoRoot)) {
        log(`${built.message}; nothing to run`);
        return 1;
      }
      log(`${built.message}; going on with what it wrote to dist/`);
    }
  }

  const children: Child[] = [];
  let traffic: Traffic | undefined;
  const webDir = await mkdtemp(path.join(tmpdir(), 'tributary-demo-web-'));
  let stopping: Promise<void> | undefined;
  const stopAll = () => (stopping ??= (async () => {
    await traffic?.stop().catch((error: unknown) => log(`[traffic] ${String(error)}`));
    // Services first, so their last spans reach Tributary; Tributary last, so it settles them.
    const tributary = children.find((c) => c.name === 'tributary');
    await Promise.all(children.filter((c) => c !== tributary).map((c) => c.stop(5_000)));
    await tributary?.stop(20_000);
    await rm(webDir, { recursive: true, force: true }).catch(() => undefined);
  })());

  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) {
      log(`${signal} again: killing everything`);
      for (const child of children) child.process.kill('SIGKILL');
      process.exit(130);
    }
    interrupted = true;
    log(`${signal}: stopping the demo …`);
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const ports = await servicePorts(options);
    const webUrl = `http://127.0.0.1:${ports.frontend}`;
    await bundleWebApp(webDir);

    const tributary = await startTributary(webUrl, (child) => children.push(child));
    const host = reachableHost(process.env.TRIBUTARY_HOST);
    const apiUrl = `http://${host}:${tributary.apiPort}`;
    const otlpHttpUrl = `http://${host}:${tributary.otlpHttpPort}`;

    await Promise.all(SERVICES.map(async (service) => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PORT: String(ports[service.name]),
        DEMO_FAILURES: options.failures.join(','),
        DEMO_EXTERNAL_PEERS: `${SHIPPING_PEER}=127.0.0.1:${ports.shipping}`,
        OTEL_SERVICE_NAME: service.name,
        OTEL_RESOURCE_ATTRIBUTES: resourceAttributes(service),
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlpHttpUrl}/v1/traces`,
        DEMO_WEB_DIR: webDir,
        DEMO_BROWSER_OTLP_URL: `${otlpHttpUrl}/v1/traces`,
      };
      for (const callee of service.calls) env[`DEMO_URL_${callee.toUpperCase()}`] = `http://127.0.0.1:${ports[callee]}`;
      const child = startChild<ServiceReady>({
        name: service.k8s ? service.name : SHIPPING_PEER,
        command: process.execPath,
        args: ['--import', 'tsx', path.join(demoDir, 'services', service.script)],
        cwd: repoRoot,
        env,
        log,
        readyTimeoutMillis: 30_000,
      });
      children.push(child);
      await child.ready;
    }));

    traffic = await startTraffic(options, webUrl);
    for (const child of children) void child.exited.then((code) => {
      if (!stopping) {
        log(`${child.name} exited unexpectedly (${code}); stopping the demo`);
        process.exitCode = 1;
        void stopAll().then(() => process.exit(1));
      }
    });

    printWelcome(options, traffic, { webUrl, apiUrl, otlpHttpUrl, grpcPort: tributary.otlpGrpcPort });
    say(JSON.stringify({ demoReady: true, webUrl, apiUrl, otlpHttpUrl, traffic: traffic?.mode ?? 'off', failures: options.failures }));
    return await new Promise<number>(() => {}); // runs until a signal
  } catch (error) {
    if (stopping) return await new Promise<number>(() => {}); // interrupted while starting: the signal handler exits
    log(`demo failed to start: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll();
    return 1;
  }
}

/** The port of every demo process: the shop's port and the next five, or all free ones for port 0. */
async function servicePorts(options: DemoOptions): Promise<Record<ServiceName, number>> {
  const ports = {} as Record<ServiceName, number>;
  for (const service of SERVICES) ports[service.name] = options.port === 0 ? await freePort() : options.port + service.portOffset;
  return ports;
}

async function startTributary(webUrl: string, register: (child: Child) => void): Promise<TributaryReady> {
  const web = new URL(webUrl);
  const origins = [process.env.TRIBUTARY_OTLP_CORS_ORIGINS, web.origin, `http://localhost:${web.port}`].filter(Boolean);
  const child = startChild<TributaryReady>({
    name: 'tributary',
    command: process.execPath,
    args: [path.join(repoRoot, 'bin/tributary.js'), 'serve'],
    cwd: repoRoot,
    env: {
      ...process.env,
      TRIBUTARY_CONFIG: process.env.TRIBUTARY_CONFIG ?? path.join(demoDir, 'tributary.yaml'),
      // The shop's page sends its spans straight to Tributary, from another origin.
      TRIBUTARY_OTLP_CORS_ORIGINS: origins.join(','),
    },
    log,
    readyTimeoutMillis: 60_000,
  });
  register(child);
  return child.ready;
}

async function startTraffic(options: DemoOptions, webUrl: string): Promise<Traffic | undefined> {
  const { chromiumPath, clickIntervalMillis } = options;
  if (options.traffic === 'off') return undefined;
  let why = 'asked to (--traffic http)';
  if (options.traffic !== 'http') {
    if (existsSync(chromiumPath)) {
      try {
        return await startBrowserTraffic({ webUrl, chromiumPath, clickIntervalMillis, log });
      } catch (error) {
        why = `Chromium did not start (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
      }
    } else {
      why = `${chromiumPath} not found`;
    }
  }
  return startHttpTraffic({ webUrl, clickIntervalMillis, why, log });
}

/** Tributary listening on every address is still reached on loopback. */
function reachableHost(host: string | undefined): string {
  return host === undefined || host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

function printWelcome(options: DemoOptions, traffic: Traffic | undefined, urls: { webUrl: string; apiUrl: string; otlpHttpUrl: string; grpcPort: number }): void {
  const server = `--server ${urls.apiUrl}`;
  say();
  say('Tributary demo is running.');
  say(`  Shop (orders-web)    ${urls.webUrl}/`);
  say(`  Tributary UI + API   ${urls.apiUrl}/   (e.g. ${urls.apiUrl}/api/v1/services)`);
  say(`  OTLP                 ${urls.otlpHttpUrl}/v1/traces (HTTP), port ${urls.grpcPort} (gRPC)`);
  say(`  Traffic              ${traffic?.description ?? 'none (--traffic off): click around the shop yourself'}`);
  say(`  Failure scenarios    ${options.failures.length ? options.failures.join(', ') : 'none (try --fail card,ads,third-party)'}`);
  say('');
  say('A trace shows up once idle for the settle window (TRIBUTARY_SETTLE_MS; 3 s in demo/tributary.yaml). Try:');
  say(`  npx tributary services ${server} --zone dt-orders-k8`);
  say(`  npx tributary backtrace order ${server}`);
  say(`  npx tributary backtrace backend ${server}`);
  say(`  npx tributary flow frontend ${server}`);
  say(`  curl -s '${urls.apiUrl}/api/v1/services/order/backtrace'`);
  say('');
  say('Ctrl-C stops everything.');
}

process.exitCode = await main();
