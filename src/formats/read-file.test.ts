import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTraceRequestJson } from '../otlp/json.js';
import { detectFormat } from './detect.js';
import { readAll, readHead, readJsonValues } from './read-file.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-read-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const OTLP_FIXTURE = fileURLToPath(new URL('../../../shared/testdata/jaeger-skill-fixtures/error_timeout_masked.json', import.meta.url));

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('readJsonValues', () => {
  const request = JSON.parse(readFileSync(OTLP_FIXTURE, 'utf8')) as { resourceSpans: unknown[] };

  it('reads a pretty-printed OTLP/JSON export as one value, with progress up to the file size', async () => {
    const progress: [number, number][] = [];
    const values = await collect(readJsonValues(OTLP_FIXTURE, { chunkBytes: 4096, onProgress: (read, total) => progress.push([read, total]) }));
    expect(values).toEqual([{ ok: true, value: request, line: 1, offsetBytes: 0 }]);
    const size = readFileSync(OTLP_FIXTURE).length;
    expect(progress.length).toBeGreaterThan(10); // 72 KB in 4 KB reads
    expect(progress.every(([, total]) => total === size)).toBe(true);
    expect(progress.map(([read]) => read)).toEqual([...progress.map(([read]) => read)].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual([size, size]);
  });

  it('reads a JSON lines file of many requests, one value per line', async () => {
    const path = join(dir, 'export.jsonl');
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ ...request, line: i }));
    writeFileSync(path, lines.join('\n') + '\n');
    const values = await collect(readJsonValues(path, { chunkBytes: 1000 }));
    expect(values).toHaveLength(200);
    expect(values.map((v) => (v.ok ? (v.value as { line: number }).line : -1))).toEqual(lines.map((_, i) => i));
    expect(values[199]!.line).toBe(200);
  });

  it('reads a gzip file by its magic bytes, reporting progress in compressed bytes', async () => {
    const path = join(dir, 'export.json.gz');
    const compressed = gzipSync(readFileSync(OTLP_FIXTURE));
    writeFileSync(path, compressed);
    const progress: number[] = [];
    const values = await collect(readJsonValues(path, { onProgress: (read, total) => progress.push(read / total) }));
    expect(values).toEqual([expect.objectContaining({ ok: true, value: request })]);
    expect(progress.at(-1)).toBe(1);
    expect(detectFormat(await readHead(path, 256), path)).toBe('otlp-json');
  });

  it('keeps nanosecond times written as bare JSON numbers exact through the OTLP/JSON parser', async () => {
    const path = join(dir, 'numbers.jsonl');
    const line = (start: string, end: string) =>
      `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[` +
      `{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /","kind":2,` +
      `"startTimeUnixNano":${start},"endTimeUnixNano":${end}}]}]}]}`;
    writeFileSync(path, `${line('1754500000123456789', '1754500000987654321')}\n${line('1754500001000000001', '1754500001000000002')}\n`);
    const starts: bigint[] = [];
    for await (const value of readJsonValues(path)) {
      expect(value.ok).toBe(true);
      const parsed = parseTraceRequestJson(value.ok ? value.value : undefined);
      if (!parsed.ok) throw new Error(parsed.error);
      const span = parsed.request.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
      starts.push(span.startTimeUnixNano, span.endTimeUnixNano);
    }
    expect(starts).toEqual([1754500000123456789n, 1754500000987654321n, 1754500001000000001n, 1754500001000000002n]);
    expect(BigInt(JSON.parse('1754500000123456789') as number)).not.toBe(1754500000123456789n); // what JSON.parse alone keeps
  });

  it('rejects with the file system error for a missing file', async () => {
    await expect(collect(readJsonValues(join(dir, 'missing.json')))).rejects.toThrow(/ENOENT/);
  });
});

describe('readHead and readAll', () => {
  it('readHead returns at most the requested prefix; readAll the whole content', async () => {
    const path = join(dir, 'bytes.bin');
    const content = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256);
    writeFileSync(path, content);
    expect(Buffer.from(await readHead(path, 1000)).equals(content.subarray(0, 1000))).toBe(true);
    expect(await readHead(path)).toHaveLength(64 * 1024);
    const all = await readAll(path, { chunkBytes: 65536 });
    expect(all).toHaveLength(content.length);
    expect(Buffer.from(all).equals(content)).toBe(true);
  });

  it('handles an empty file', async () => {
    const path = join(dir, 'empty.json');
    writeFileSync(path, '');
    expect(await readHead(path)).toHaveLength(0);
    expect(await collect(readJsonValues(path))).toEqual([]);
  });
});
