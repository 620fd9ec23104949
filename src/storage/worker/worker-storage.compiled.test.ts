/**
 * The worker must also start from compiled JavaScript, as in production (`node bin/tributary.js
 * serve` runs dist/), where no tsx is registered: compiles the proxy and its worker entry with the
 * build's compiler options into a temporary directory and uses them from plain `node`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('opens, appends, reads and closes from compiled JavaScript under plain node', async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tributary-worker-compiled-'));
  const tsconfig = {
    extends: path.join(repoRoot, 'tsconfig.build.json'),
    compilerOptions: { rootDir: path.join(repoRoot, 'src'), outDir: path.join(dir, 'dist'), sourceMap: false },
    include: [],
    files: [path.join(repoRoot, 'src/storage/worker/worker-storage.ts'), path.join(repoRoot, 'src/storage/worker/storage-worker.ts')],
  };
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  await run(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')]);

  const script = `
    import { openWorkerStorage } from './dist/storage/worker/worker-storage.js';
    const store = await openWorkerStorage({ backend: 'duckdb', dataDir: ${JSON.stringify(path.join(dir, 'data'))}, threads: 1 });
    const traceId = 'a'.repeat(32);
    const batch = { length: 1, resources: [{ id: 7n, bytes: new Uint8Array([1]), attributes: [] }], scopes: [{ id: 9n, bytes: new Uint8Array([2]), name: 's', version: '' }],
      resourceIndex: new Uint32Array(1), scopeIndex: new Uint32Array(1), traceIds: new Uint8Array(16).fill(0xaa), spanIds: new Uint8Array(8).fill(1),
      parentSpanIds: new Uint8Array(8), names: ['GET /'], kinds: new Uint8Array([2]), startTimeUnixNano: new BigInt64Array([5n]),
      endTimeUnixNano: new BigInt64Array([9n]), statusCodes: new Uint8Array(1), statusMessages: [''], semantics: [{ httpStatusCode: 200 }],
      payloads: [new Uint8Array([10, 2, 3, 4])] };
    const { seq } = await store.appendSpans(batch);
    const { spans } = await store.getTrace(traceId);
    console.log(JSON.stringify({ seq: String(seq), spans: spans.map((s) => [s.spanId, s.name, [...s.payload]]) }));
    await store.close();
  `;
  await writeFile(path.join(dir, 'use.mjs'), script);
  const { stdout } = await run(process.execPath, [path.join(dir, 'use.mjs')], { cwd: dir });
  expect(JSON.parse(stdout)).toEqual({ seq: '1', spans: [['0101010101010101', 'GET /', [10, 2, 3, 4]]] });
});
