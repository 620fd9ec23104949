/**
 * The demo's child processes: each announces itself with one JSON line on stdout (Tributary's
 * `{"ready":true,…}`, the services' `{"ready":true,"port":…}`), and is stopped by the runner in
 * an order it chooses, not by the terminal: children run in their own process group, so Ctrl-C
 * reaches only the runner, which stops the traffic, then the services (their last spans are
 * exported), then Tributary (it settles the last traces).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export interface Child<Ready = unknown> {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  readonly exited: Promise<number | string>;
  /** The child's first JSON line with `"ready": true`; rejects if it exits or times out first. */
  readonly ready: Promise<Ready>;
  /** SIGTERM, then SIGKILL after `graceMillis`; resolves when the process has exited. */
  stop(graceMillis: number): Promise<number | string>;
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where the child's stderr lines go, already prefixed with its name. */
  readonly log: (line: string) => void;
  readonly readyTimeoutMillis: number;
}

/**
 * Starts a child. It is returned at once, so the caller can stop it even while it starts up;
 * `ready` tells when it is listening.
 */
export function startChild<Ready>(options: StartOptions): Child<Ready> {
  const proc = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: options.env,
    // stdin stays open as a lifeline: the services exit when it closes, i.e. when the runner dies.
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    // A command that cannot be spawned emits `error` and never `exit`.
    proc.once('error', (error) => resolve(error.message));
  });
  const stderrLines = createInterface({ input: proc.stderr! });
  let saidSomething = false;
  stderrLines.on('line', (line) => {
    saidSomething = true;
    options.log(`[${options.name}] ${line}`);
  });

  const ready = waitUntilReady<Ready>(proc, exited, options, () => saidSomething);
  // Callers that stop a child before it is ready do not care why it never got there.
  ready.catch(() => undefined);
  return {
    name: options.name,
    process: proc,
    exited,
    ready,
    stop: async (graceMillis) => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), graceMillis);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}

function waitUntilReady<Ready>(proc: ChildProcess, exited: Promise<number | string>, options: StartOptions, saidSomething: () => boolean): Promise<Ready> {
  return new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${options.name} was not ready within ${options.readyTimeoutMillis} ms${saidSomething() ? ' (its output is above)' : ''}`));
    }, options.readyTimeoutMillis);
    const stdoutLines = createInterface({ input: proc.stdout! });
    stdoutLines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        const parsed = JSON.parse(line) as { ready?: unknown };
        if (parsed.ready !== true) return;
        clearTimeout(timer);
        resolve(parsed as Ready);
      } catch {
        // a log line that happens to start with a brace
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited (${code}) before it was ready${saidSomething() ? ' (its output is above)' : ''}`));
    });
    proc.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} could not start: ${error.message}`));
    });
  });
}

/** A port nothing listens on right now (a small race with other programs; fine for a demo). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
