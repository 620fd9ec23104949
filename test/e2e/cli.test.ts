import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDataDir, repoRoot, startServer } from '../harness/server.js';

const run = promisify(execFile);
const testdata = path.resolve(repoRoot, '../shared/testdata');
const smartthings = path.join(testdata, 'zipkin-lens-testdata/smartthings-mobile-web-install.json');
const ALL_TIME = ['--from', '0', '--to', '4102444800000'];

async function tributary(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/tributary.js'), ...args], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

interface Node { kind: string; name: string; requests: number; failed: number; calls: { name: string; requests: number }[]; sentToNext?: unknown[]; callers: Node[] }

describe('tributary CLI on the SmartThings Zipkin trace', () => {
  const data = makeDataDir();
  beforeAll(async () => {
    const imported = await tributary(['import', smartthings, '--data', data.dir]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toMatch(/imported 953 span\(s\) from 1 file\(s\)/);
  });
  afterAll(() => data.remove());

  it('backtrace --json has DESIGN.md\'s shape and auth\'s 8 immediate callers', async () => {
    const { stdout, code } = await tributary(['backtrace', 'auth', '--data', data.dir, ...ALL_TIME, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { service: string; kind: string; from: string; to: string; requests: number; failed: number; tree: Node };
    expect(Object.keys(result)).toEqual(['service', 'kind', 'from', 'to', 'requests', 'failed', 'tree']);
    expect(result).toMatchObject({ service: 'auth', kind: 'service', from: '1970-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' });
    expect(result.tree).toMatchObject({ kind: 'service', name: 'auth' });
    expect(result.tree.callers).toHaveLength(8);
    expect(result.tree.requests).toBe(result.requests);
    const callerRequests = result.tree.callers.reduce((n, c) => n + c.requests, 0);
    expect(callerRequests).toBeLessThanOrEqual(result.requests);
    for (const caller of result.tree.callers) {
      expect(Object.keys(caller)).toEqual(['kind', 'name', 'requests', 'failed', 'calls', 'sentToNext', 'callers']);
      expect(caller.calls.reduce((n, c) => n + c.requests, 0)).toBe(caller.requests);
    }
  });

  it('backtrace prints a readable tree with counts and failure %', async () => {
    const { stdout, code } = await tributary(['backtrace', 'auth', '--data', data.dir, ...ALL_TIME]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^auth \(service\)\s+\d+ requests, [\d.]+% failed/m);
    expect(stdout.match(/^[├└]─ /gm)).toHaveLength(8);
    expect(stdout).toMatch(/coreSrv \(service\)\s+\d+ requests \(\d+(\.\d)?%\)/);
  });

  it('flow, services and trace answer too', async () => {
    const flow = await tributary(['flow', 'coreSrv', '--data', data.dir, ...ALL_TIME, '--json']);
    expect(flow.code).toBe(0);
    const tree = (JSON.parse(flow.stdout) as { tree: { children: { name: string }[] } }).tree;
    expect(tree.children.map((c) => c.name)).toContain('auth');
    const services = await tributary(['services', '--data', data.dir, ...ALL_TIME]);
    expect(services.code).toBe(0);
    expect(services.stdout).toMatch(/^auth\s+service\s+\d+/m);
    const trace = await tributary(['trace', '14b60fd9ae504820', '--data', data.dir]);
    expect(trace.code).toBe(0);
    expect(trace.stdout).toMatch(/^Trace 000000000000000014b60fd9ae504820: 953 spans/);
  });

  it('explains bad input and missing things on stderr with a non-zero exit', async () => {
    const unknown = await tributary(['backtrace', 'nope', '--data', data.dir, ...ALL_TIME]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no service named "nope"/);
    const badTime = await tributary(['backtrace', 'auth', '--data', data.dir, '--from', 'yesterday']);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toMatch(/from:/);
    const missingFile = await tributary(['import', path.join(testdata, 'no-such-file.json'), '--data', data.dir]);
    expect(missingFile.code).not.toBe(0);
    expect(missingFile.stderr).toMatch(/no-such-file\.json/);
  });
});

describe('query commands against a running server', () => {
  it('--server gives the same JSON as --data', async () => {
    const data = makeDataDir();
    try {
      expect((await tributary(['import', smartthings, '--data', data.dir])).code).toBe(0);
      const local = await tributary(['backtrace', 'auth', '--data', data.dir, ...ALL_TIME, '--json']);
      const server = await startServer({ dataDir: data.dir });
      try {
        const remote = await tributary(['backtrace', 'auth', '--server', `http://127.0.0.1:${server.apiPort}`, ...ALL_TIME, '--json']);
        expect(remote.code).toBe(0);
        expect(JSON.parse(remote.stdout)).toEqual(JSON.parse(local.stdout));
        const locked = await tributary(['services', '--data', data.dir, ...ALL_TIME]);
        expect(locked.code).not.toBe(0);
        expect(locked.stderr).toMatch(/--server/);
      } finally {
        await server.stop();
      }
    } finally {
      data.remove();
    }
  });
});
