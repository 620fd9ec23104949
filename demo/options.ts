/**
 * What `npm run demo` can be told, by flag or environment variable (flags win). Tributary's own
 * options are not here: every `TRIBUTARY_*` variable reaches `tributary serve` unchanged.
 */
import { parseArgs } from 'node:util';

export const FAILURE_SCENARIOS = ['card', 'ads', 'third-party'] as const;
export type FailureScenario = (typeof FAILURE_SCENARIOS)[number];
export type TrafficMode = 'auto' | 'browser' | 'http' | 'off';

export interface DemoOptions {
  /** The shop's port; the services take the next five. 0: free ports for everything. */
  readonly port: number;
  readonly failures: readonly FailureScenario[];
  /** `auto`: the browser when `chromiumPath` exists, else HTTP. */
  readonly traffic: TrafficMode;
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
  --traffic MODE    auto | browser | http | off (env DEMO_TRAFFIC; auto: the browser when Chromium is installed, else http)
  --chromium PATH   the browser to drive (env DEMO_CHROMIUM, default /usr/bin/chromium)
  --interval-ms N   pause between clicks (env DEMO_INTERVAL_MS, default 1500)
  --build MODE      auto | always | never (env DEMO_BUILD, default auto)

Tributary itself honours every TRIBUTARY_* variable (TRIBUTARY_PORT, TRIBUTARY_DATA, TRIBUTARY_SETTLE_MS, …);
its config file defaults to demo/tributary.yaml.`;

export type ParsedOptions =
  | { readonly ok: true; readonly options: DemoOptions }
  | { readonly ok: false; readonly help: true }
  | { readonly ok: false; readonly help?: false; readonly message: string };

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
  if (flags.help) return { ok: false, help: true };

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
  const traffic = flags.traffic ?? env.DEMO_TRAFFIC ?? 'auto';
  if (traffic !== 'auto' && traffic !== 'browser' && traffic !== 'http' && traffic !== 'off') {
    return { ok: false, message: `--traffic / DEMO_TRAFFIC: ${JSON.stringify(traffic)} is not auto, browser, http or off` };
  }

  const clickIntervalMillis = Number(flags['interval-ms'] ?? env.DEMO_INTERVAL_MS ?? 1500);
  if (!Number.isFinite(clickIntervalMillis) || clickIntervalMillis < 0) return { ok: false, message: '--interval-ms / DEMO_INTERVAL_MS: not a number of milliseconds' };

  const build = flags.build ?? env.DEMO_BUILD ?? 'auto';
  if (build !== 'auto' && build !== 'always' && build !== 'never') return { ok: false, message: `--build / DEMO_BUILD: ${JSON.stringify(build)} is not auto, always or never` };

  return { ok: true, options: { port, failures, traffic, chromiumPath, clickIntervalMillis, build } };
}
