import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  readonly apiPort: number;
  readonly otlpHttpPort: number;
  readonly otlpGrpcPort: number;
  readonly dataDir: string;
  readonly process: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  api(pathAndQuery: string): Promise<Response>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown work at all. */
  kill(): Promise<void>;
}

export function makeDataDir(prefix = 'tributary-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts the built CLI (`bin/tributary.js serve`) on free loopback ports and waits until it is ready. */
export async function startServer(options: { dataDir: string; settleMs?: number; args?: string[]; env?: Record<string, string> }): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bin/tributary.js'), 'serve',
      '--data', options.dataDir,
      '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0',
      '--settle-ms', String(options.settleMs ?? 200),
      ...(options.args ?? []),
    ],
    { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<{ apiPort: number; otlpHttpPort: number; otlpGrpcPort: number }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { ready?: boolean; apiPort: number; otlpHttpPort: number; otlpGrpcPort: number };
        if (parsed.ready) resolve(parsed);
      } catch {
        // not the ready line
      }
    });
    void exited.then((code) => reject(new Error(`tributary serve exited with ${code} before it was ready:\n${stderr}`)));
  });
  return {
    ...ready,
    dataDir: options.dataDir,
    process: child,
    stderr: () => stderr,
    api: (pathAndQuery) => fetch(`http://127.0.0.1:${ready.apiPort}${pathAndQuery}`),
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
