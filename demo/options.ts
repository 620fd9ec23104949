/**
 * What `npm run demo` can be told, by flag or environment variable (flags win). Tributary's own
 * options are not here: every `TRIBUTARY_*` variable reaches `tributary serve` unchanged.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

export const FAILURE_SCENARIOS = ['card', 'ads', 'third-party'] as const;
export type FailureScenario = (typeof FAILURE_SCENARIOS)[number];
export type TrafficMode = 'browser' | 'http' | 'off';

export interface DemoOptions {
  /** The shop's port; the services take the next five. 0: free ports for everything. */
  readonly port: number;
  readonly failures: readonly FailureScenario[];
  readonly traffic: TrafficMode;
  /** Why `traffic` is what it is, for the start-up message. */
  readonly trafficReason: string;
  readonly chromiumPath: string;
  /** Pause between two clicks of the traffic generator. */
  readonly clickIntervalMillis: number;
  /** `auto`: run `npm run build` when `dist/` is missing or older than `src/`. */
  readonly build: 'auto' | 'always' | 'never';
}

export const DEFAULT_DEMO_PORT = 8080;

export const USAGE = `npm run demo [-- options]

  --port N          the shop's port (env DEMO_PORT, default ${DEFAULT_DEMO_PORT}; services use the next five; 0 picks free ports)
  --fail LIST       failure scenarios, comma-separated (env DEMO_FAILURES):
                      card         card verification fails, so every booking fails
                      ads          the ad service fails; the frontend handles it (the page still answers 200)
                      third-party  the shipping-rate API (api.fedex.com) answers 503
  --traffic MODE    browser | http | off (env DEMO_TRAFFIC; default: browser when Chromium is installed, else http)
  --chromium PATH   the browser to drive (env DEMO_CHROMIUM, default /usr/bin/chromium)
  --interval-ms N   pause between clicks (env DEMO_INTERVAL_MS, default 1500)
  --build MODE      auto | always | never (env DEMO_BUILD, default auto)

Tributary itself honours every TRIBUTARY_* variable (TRIBUTARY_PORT, TRIBUTARY_DATA, TRIBUTARY_SETTLE_MS, …);
its config file defaults to demo/tributary.yaml.`;

export type ParsedOptions = { readonly ok: true; readonly options: DemoOptions } | { readonly ok: false; readonly message: string };

export function parseDemoOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedOptions {
  let flags;
  try {
    flags = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' }, fail: { type: 'string' }, traffic: { type: 'string' }, chromium: { type: 'string' },
        'interval-ms': { type: 'string' }, build: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  if (flags.help) return { ok: false, message: USAGE };

  const port = Number(flags.port ?? env.DEMO_PORT ?? DEFAULT_DEMO_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65530) return { ok: false, message: `--port / DEMO_PORT: ${flags.port ?? env.DEMO_PORT} is not a port` };

  const failures: FailureScenario[] = [];
  for (const name of (flags.fail ?? env.DEMO_FAILURES ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(FAILURE_SCENARIOS as readonly string[]).includes(name)) {
      return { ok: false, message: `--fail / DEMO_FAILURES: unknown scenario ${JSON.stringify(name)} (known: ${FAILURE_SCENARIOS.join(', ')})` };
    }
    failures.push(name as FailureScenario);
  }

  const chromiumPath = flags.chromium ?? env.DEMO_CHROMIUM ?? '/usr/bin/chromium';
  const requested = flags.traffic ?? env.DEMO_TRAFFIC ?? 'auto';
  let traffic: TrafficMode;
  let trafficReason: string;
  if (requested === 'auto') {
    traffic = existsSync(chromiumPath) ? 'browser' : 'http';
    trafficReason = traffic === 'browser'
      ? `headless Chromium (${chromiumPath}) clicking through the shop`
      : `${chromiumPath} not found: replaying the same journeys over HTTP, so there are no browser user actions (install Chromium for those)`;
  } else if (requested === 'browser' || requested === 'http' || requested === 'off') {
    traffic = requested;
    trafficReason = { browser: `headless Chromium (${chromiumPath}) clicking through the shop`, http: 'journeys replayed over HTTP (no browser user actions)', off: 'none: click around the shop yourself' }[requested];
  } else {
    return { ok: false, message: `--traffic / DEMO_TRAFFIC: ${JSON.stringify(requested)} is not browser, http or off` };
  }

  const clickIntervalMillis = Number(flags['interval-ms'] ?? env.DEMO_INTERVAL_MS ?? 1500);
  if (!Number.isFinite(clickIntervalMillis) || clickIntervalMillis < 0) return { ok: false, message: '--interval-ms / DEMO_INTERVAL_MS: not a number of milliseconds' };

  const build = flags.build ?? env.DEMO_BUILD ?? 'auto';
  if (build !== 'auto' && build !== 'always' && build !== 'never') return { ok: false, message: `--build / DEMO_BUILD: ${JSON.stringify(build)} is not auto, always or never` };

  return { ok: true, options: { port, failures, traffic, trafficReason, chromiumPath, clickIntervalMillis, build } };
}
