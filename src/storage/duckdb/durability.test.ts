import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openDuckDbStorage } from './duckdb-storage.js';

const CHILD = fileURLToPath(new URL('./testing/crash-writer.ts', import.meta.url));
const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Runs the crash writer until it has acknowledged `acks` appends, then kills it with SIGKILL. */
async function appendThenKill(dataDir: string, acks: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) if (line !== 'ready') acked.push(line);
      if (acked.length >= acks) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`crash writer exited early (${code ?? signal}): ${stderr}`));
    });
  });
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
  return acked;
}

describe('duckdb durability', () => {
  it('loses no acknowledged append when the process is killed with SIGKILL', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-kill9-'));
    dirs.push(dataDir);
    const acked = await appendThenKill(dataDir, 60);

    const storage = await openDuckDbStorage({ dataDir, memoryLimit: '256MB' });
    try {
      for (const traceId of acked) {
        const trace = await storage.getTrace(traceId);
        expect(trace.spans.length, traceId).toBe(200);
      }
    } finally {
      await storage.close();
    }
  }, 60_000);
});
