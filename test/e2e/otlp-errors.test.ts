import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { credentials, makeGenericClientConstructor, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeDataDir, startServer, type ServerProcess } from '../harness/server.js';

/** An OTLP/JSON request with `spans` spans of one trace; span ids are `0000…01`, `0000…02`, …. */
function jsonRequest(traceId: string, spans: number, spanId = (i: number) => (i + 1).toString(16).padStart(16, '0')): string {
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
      scopeSpans: [{
        scope: { name: 'manual' },
        spans: Array.from({ length: spans }, (_, i) => ({
          traceId,
          spanId: spanId(i),
          ...(i > 0 ? { parentSpanId: spanId(0) } : {}),
          name: `op-${i}`,
          kind: i === 0 ? 'SPAN_KIND_SERVER' : 2,
          startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)),
          endTimeUnixNano: 1_700_000_000_000_001_000 + i,
        })),
      }],
    }],
  });
}

function traceIdHex(): string {
  return randomBytes(16).toString('hex');
}

describe('OTLP/HTTP refuses bad requests clearly and keeps the rest', () => {
  const data = makeDataDir();
  let server: ServerProcess;
  const post = (body: Uint8Array | string, headers: Record<string, string>) =>
    fetch(`http://127.0.0.1:${server.otlpHttpPort}/v1/traces`, { method: 'POST', body, headers });

  beforeAll(async () => {
    server = await startServer({ dataDir: data.dir, settleMs: 100, env: { TRIBUTARY_MAX_BODY_BYTES: String(64 * 1024) } });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it('400 with a google.rpc.Status body for malformed protobuf', async () => {
    const response = await post(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), { 'content-type': 'application/x-protobuf' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/x-protobuf');
    const body = new Uint8Array(await response.arrayBuffer());
    expect(body[0]).toBe(0x08); // Status.code (field 1, varint)
    expect(body[1]).toBe(3); // INVALID_ARGUMENT
    expect(Buffer.from(body).toString('utf8')).toMatch(/[a-z]/);
  });

  it('400 naming the problem for malformed JSON and for JSON of the wrong shape', async () => {
    const broken = await post('{"resourceSpans": [', { 'content-type': 'application/json' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { message: string }).message).toMatch(/JSON/i);
    const wrongShape = await post('{"resourceSpans": "nope"}', { 'content-type': 'application/json' });
    expect(wrongShape.status).toBe(400);
    expect(((await wrongShape.json()) as { message: string }).message).toMatch(/resourceSpans/);
  });

  it('415 for other content types', async () => {
    const response = await post('hello', { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { message: string }).message).toMatch(/application\/x-protobuf/);
  });

  it('413 above the body limit, compressed or after decompression', async () => {
    const big = jsonRequest(traceIdHex(), 1).padEnd(100 * 1024, ' ');
    expect((await post(big, { 'content-type': 'application/json' })).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const response = await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(response.status).toBe(413);
  });

  it('400 for a body that is not the gzip it claims to be', async () => {
    const response = await post('not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(response.status).toBe(400);
  });

  it('partial success: invalid spans are rejected and counted, valid ones stored', async () => {
    const traceId = traceIdHex();
    const ids = ['00000000000000aa', '0000000000000000', '00000000000000bb'];
    const response = await post(jsonRequest(traceId, 3, (i) => ids[i]!), { 'content-type': 'application/json' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { partialSuccess?: { rejectedSpans: string; errorMessage: string } };
    expect(body.partialSuccess?.rejectedSpans).toBe('1');
    expect(body.partialSuccess?.errorMessage).toMatch(/span id/i);
    const trace = await eventually(async () => {
      const r = await server.api(`/api/v1/traces/${traceId}`);
      return r.status === 200 ? ((await r.json()) as { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] }) : undefined;
    });
    const spanIds = trace.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.spanId))).sort();
    expect(spanIds).toEqual(['00000000000000aa', '00000000000000bb']);
  });

  it('the trace API refuses an invalid id with 400 and an unknown one with 404', async () => {
    const invalid = await server.api('/api/v1/traces/not-hex');
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { code: string; message: string } }).error.message).toMatch(/traceId/);
    expect((await server.api(`/api/v1/traces/${traceIdHex()}`)).status).toBe(404);
  });
});

describe('OTLP/gRPC', () => {
  const data = makeDataDir();
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ dataDir: data.dir });
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  it('INVALID_ARGUMENT for undecodable data', async () => {
    const Client = makeGenericClientConstructor({
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    }, 'TraceService');
    const client = new Client(`127.0.0.1:${server.otlpGrpcPort}`, credentials.createInsecure());
    const error = await new Promise<ServiceError | null>((resolve) => {
      (client as unknown as { Export: (req: Buffer, md: Metadata, cb: (e: ServiceError | null) => void) => void })
        .Export(Buffer.from([0x0a, 0x05, 0x01]), new Metadata(), (e) => resolve(e));
    });
    client.close();
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('backpressure', () => {
  it('answers 429 with Retry-After when the queue is full, and stores everything it acked', async () => {
    const data = makeDataDir();
    const server = await startServer({ dataDir: data.dir, env: { TRIBUTARY_MAX_QUEUED_SPANS: '1' } });
    try {
      const traceIds = Array.from({ length: 30 }, traceIdHex);
      const responses = await Promise.all(traceIds.map((traceId) =>
        fetch(`http://127.0.0.1:${server.otlpHttpPort}/v1/traces`, {
          method: 'POST', body: jsonRequest(traceId, 200), headers: { 'content-type': 'application/json' },
        })));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
      for (const r of responses.filter((x) => x.status === 429)) expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      for (const [i, r] of responses.entries()) {
        if (r.status !== 200) continue;
        const trace = await server.api(`/api/v1/traces/${traceIds[i]}`);
        expect(trace.status).toBe(200);
      }
    } finally {
      await server.stop();
      data.remove();
    }
  });
});
