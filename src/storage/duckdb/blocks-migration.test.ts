/**
 * Schema 6 converts a store's span rows into span blocks. A store written as versions 1–5 did
 * (a `spans` row per span) must read back, trace by trace, exactly as the memory backend reads
 * the same appends: OTLP-decoded spans (whose columns the blocks take from their payloads), opaque
 * payloads (whose columns are stored beside them), duplicates, and more spans than one block holds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpanBatch } from '../../model/span-batch.js';
import { traceRequest } from '../../otlp/arbitraries.test-support.js';
import { decodeTraceRequest } from '../../otlp/decode-request.js';
import { encodeTraceRequest } from '../../otlp/encode.js';
import { plain } from '../conformance/harness.js';
import { spanBatch, spanIdHex, traceIdHex } from '../conformance/fixtures.js';
import { openMemoryStorage } from '../memory/memory-storage.js';
import { MAX_BLOCK_SPANS } from './block-cutter.js';
import { SerialConnection } from './connection.js';
import { DATABASE_FILE, openDuckDbStorage } from './duckdb-storage.js';
import { MIGRATIONS, migrate } from './schema.js';
import { insertVersion1Spans } from './testing/version1-spans.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-blocks-migration-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function decodedBatches(): SpanBatch[] {
  return fc.sample(traceRequest(), { seed: 6, numRuns: 40 }).flatMap((request) => {
    const outcome = decodeTraceRequest(encodeTraceRequest(request));
    return outcome.ok && outcome.batch.length > 0 ? [outcome.batch] : [];
  });
}

describe('schema 6: span rows become span blocks', () => {
  it('every trace of a version-5 store reads back as the memory backend reads the same appends', async () => {
    const opaque = spanBatch(Array.from({ length: MAX_BLOCK_SPANS + 500 }, (_, i) => ({ traceId: traceIdHex(1 + (i % 300)), spanId: spanIdHex(1 + i), name: `op ${i % 7}`, statusCode: i % 5 === 0 ? 2 : 0 })));
    const batches = [...decodedBatches(), opaque, opaque];
    const instance = await DuckDBInstance.create(path.join(dataDir, DATABASE_FILE));
    const conn = new SerialConnection(await instance.connect());
    try {
      await migrate(conn, MIGRATIONS.filter((m) => m.version <= 5));
      for (const [i, batch] of batches.entries()) await insertVersion1Spans(conn, batch, BigInt(i + 1));
    } finally {
      conn.close();
      instance.closeSync();
    }
    const memory = openMemoryStorage();
    for (const batch of batches) await memory.appendSpans(batch);

    const storage = await openDuckDbStorage({ dataDir, memoryLimit: '256MB', threads: 1 });
    try {
      const traceIds = [...new Set(batches.flatMap((b) => Array.from({ length: b.length }, (_, i) => Buffer.from(b.traceIds.subarray(16 * i, 16 * i + 16)).toString('hex'))))];
      expect(traceIds.length).toBeGreaterThan(300);
      for (const traceId of traceIds) {
        const [got, want] = [await storage.getTrace(traceId), await memory.getTrace(traceId)];
        expect(plain(got.spans), traceId).toEqual(plain(want.spans));
        expect([...got.resources.keys()].sort(), traceId).toEqual([...want.resources.keys()].sort());
        expect([...got.scopes.keys()].sort(), traceId).toEqual([...want.scopes.keys()].sort());
      }
      // Appends continue above the converted seqs.
      expect((await storage.appendSpans(spanBatch([{ traceId: traceIdHex(9999), spanId: spanIdHex(1) }]))).seq).toBe(BigInt(batches.length + 1));
      expect(await storage.tracesNeedingDerivation(0n)).toHaveLength(traceIds.length + 1);
    } finally {
      await storage.close();
      await memory.close();
    }
  });
});
