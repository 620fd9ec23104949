/**
 * Bounded shutdown (issue 8): a server holding many live traces (a settle window far longer than
 * the test) gets SIGTERM with a short `shutdownGraceMs`. It must stop deriving when the grace is
 * used up, close the store and exit 0, leaving the rest to recovery; the next start must derive
 * every trace that was left, so nothing acknowledged is lost.
 *
 * No clock decides the assertions: the server's own log says how many traces it left, and the
 * restart's log and the API say they were all derived. (The time from SIGTERM to exit is printed.)
 * The server runs from the TypeScript sources, so the test needs no build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/analysis/testing/seeded-random.js';
import { makeDataDir, repoRoot } from '../harness/server.js';
import { checkoutTrace, encodeRequest, mapConcurrent, postTraces, sleep } from './traffic.js';

const TRACES = 10_000;
const TRACES_PER_REQUEST = 100;
// Short enough that 10K traces cannot all be derived in it: 1 s did not suffice once derivation got faster (ADR 0008).
const GRACE_MS = 200;

interface Server {
  readonly apiPort: number;
  readonly otlpHttpPort: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

async function startFromSources(dataDir: string, settleMs: number, graceMs: number): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      // The same `main` as bin/tributary.js, from the sources (bench/serve-source.ts).
      '--import', 'tsx', 'bench/serve-source.ts',
      'serve', '--data', dataDir, '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--settle-ms', String(settleMs),
    ],
    { cwd: repoRoot, env: { ...process.env, TRIBUTARY_SHUTDOWN_GRACE_MS: String(graceMs) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<{ apiPort: number; otlpHttpPort: number }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { ready?: boolean; apiPort: number; otlpHttpPort: number };
        if (parsed.ready) resolve(parsed);
      } catch {
        // not the ready line
      }
    });
    void exited.then((code) => reject(new Error(`tributary serve exited with ${code} before it was ready:\n${stderr}`)));
  });
  return { ...ready, child, exited, stderr: () => stderr };
}

interface ServiceRow {
  readonly kind: string;
  readonly name: string;
  readonly requests: number;
}

async function services(server: Server): Promise<ServiceRow[]> {
  const response = await fetch(`http://127.0.0.1:${server.apiPort}/api/v1/services?from=now-1h&to=now%2B1h`);
  if (response.status !== 200) return [];
  return ((await response.json()) as { services: ServiceRow[] }).services
    .map(({ kind, name, requests }) => ({ kind, name, requests }))
    .sort((a, b) => `${a.kind}:${a.name}`.localeCompare(`${b.kind}:${b.name}`));
}

describe('bounded shutdown', () => {
  const data = makeDataDir('tributary-shutdown-');
  const running: Server[] = [];
  afterAll(async () => {
    for (const server of running) if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await Promise.all(running.map((s) => s.exited));
    data.remove();
  });

  it('stops deriving at the grace deadline, exits 0, and the next start derives every trace left', async () => {
    const first = await startFromSources(data.dir, 600_000, GRACE_MS);
    running.push(first);
    const rnd = new SeededRandom(19);
    const startMs = Date.now() - 60_000;
    const bodies: Uint8Array[] = [];
    for (let r = 0; r < TRACES / TRACES_PER_REQUEST; r++) {
      const spans = Array.from({ length: TRACES_PER_REQUEST }, (_, t) => checkoutTrace(rnd, startMs + r * 100 + t)).flatMap((trace) => [...trace.frontend, ...trace.checkout]);
      bodies.push(encodeRequest(spans));
    }
    const results = await mapConcurrent(bodies, 4, async (body) => {
      for (;;) {
        const result = await postTraces(first.otlpHttpPort, body);
        if (result.kind !== 'refused') return result.kind;
        await sleep((result.retryAfterSeconds ?? 1) * 1_000);
      }
    });
    expect(results.filter((kind) => kind !== 'acked')).toEqual([]);
    // Nothing is derived yet: the settle window is ten minutes.
    expect(await services(first)).toEqual([]);

    const signalledAt = performance.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const exitMs = performance.now() - signalledAt;
    const stopped = /shutdown: derived (\d+) live trace\(s\); (\d+) left for recovery/.exec(first.stderr());
    expect(stopped, first.stderr()).not.toBeNull();
    const derived = Number(stopped![1]);
    const left = Number(stopped![2]);
    expect(left).toBeGreaterThan(0);
    expect(derived + left).toBe(TRACES);

    const second = await startFromSources(data.dir, 200, 20_000);
    running.push(second);
    expect(Number(/recovered (\d+) trace/.exec(second.stderr())?.[1] ?? 0)).toBe(left);
    const expected = [
      { kind: 'database', name: 'orders', requests: TRACES },
      { kind: 'service', name: 'checkout', requests: TRACES },
      { kind: 'service', name: 'frontend', requests: TRACES },
    ];
    // Recovery ran before the server reported ready, so the calls are there at once.
    expect(await services(second)).toEqual(expected);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    console.log(`shutdown: ${TRACES} live traces, grace ${GRACE_MS} ms: exited ${Math.round(exitMs)} ms after SIGTERM, derived ${derived}, left ${left} (recovered at the next start)`);
  });
});
