import { randomBytes } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { TestService } from '../harness/otel.js';
import { TraceIdRing, TraceIdRouter } from './trace-id-router.js';

const traceIds = Array.from({ length: 2_000 }, () => randomBytes(16).toString('hex'));

describe('trace-id ring (the Collector loadbalancing exporter, routing_key: traceID)', () => {
  it('sends a trace id to one endpoint every time and spreads trace ids over all endpoints', () => {
    const ring = new TraceIdRing(['10.0.0.1:4317', '10.0.0.2:4317']);
    const again = new TraceIdRing(['10.0.0.1:4317', '10.0.0.2:4317']);
    const counts = [0, 0];
    for (const id of traceIds) {
      const endpoint = ring.endpointFor(id);
      expect(again.endpointFor(id)).toBe(endpoint);
      counts[endpoint]!++;
    }
    // 100 positions per endpoint on a 36,000-position ring: shares are uneven, never one-sided.
    for (const n of counts) expect(n).toBeGreaterThan(traceIds.length / 5);
  });

  it('moves only the trace ids the new endpoint takes over when one is added (consistent hashing)', () => {
    const two = new TraceIdRing(['a:4317', 'b:4317']);
    const three = new TraceIdRing(['a:4317', 'b:4317', 'c:4317']);
    let moved = 0;
    for (const id of traceIds) {
      const after = three.endpointFor(id);
      if (after !== 2) expect(after).toBe(two.endpointFor(id));
      else moved++;
    }
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(traceIds.length * 0.6);
  });
});

describe('trace-id router', () => {
  it('splits one SDK batch by trace id, keeps a trace together, and copies the whole batch', async () => {
    const targets = [new InMemorySpanExporter(), new InMemorySpanExporter()];
    const copy = new InMemorySpanExporter();
    const router = new TraceIdRouter(new TraceIdRing(['x:1', 'y:1']), targets, [copy]);
    const service = new TestService('svc', router, {}, 'batch');
    for (let i = 0; i < 40; i++) {
      const root = service.start('root', SpanKind.SERVER);
      service.start('child', SpanKind.CLIENT, root).end();
      root.end();
    }
    await service.flush();
    const owner = new Map<string, number>();
    targets.forEach((target, i) => {
      for (const span of target.getFinishedSpans()) {
        const id = span.spanContext().traceId;
        expect(owner.get(id) ?? i).toBe(i);
        owner.set(id, i);
      }
    });
    expect(owner.size).toBe(40);
    expect(new Set(owner.values())).toEqual(new Set([0, 1]));
    expect(copy.getFinishedSpans()).toHaveLength(80);
    expect(router.routedTraces.map((s) => s.size).reduce((a, b) => a + b)).toBe(40);
    await service.shutdown();
  });

  it('reports a failed export when any target fails', async () => {
    const failing: SpanExporter = {
      export: (_spans: ReadableSpan[], done: (r: ExportResult) => void) => done({ code: ExportResultCode.FAILED, error: new Error('down') }),
      shutdown: async () => {},
    };
    const router = new TraceIdRouter(new TraceIdRing(['x:1']), [new InMemorySpanExporter()], [failing]);
    const service = new TestService('svc', new InMemorySpanExporter());
    const span = service.start('one', SpanKind.SERVER);
    span.end();
    const result = await new Promise<ExportResult>((resolve) => router.export([span as unknown as ReadableSpan], resolve));
    expect(result.code).toBe(ExportResultCode.FAILED);
  });
});
