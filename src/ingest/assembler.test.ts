import { describe, expect, it } from 'vitest';
import { Metrics } from '../app/metrics.js';
import type { KeyValue, OtlpSpan, OtlpTraceRequest } from '../model/otlp.js';
import type { SpanBatch } from '../model/span-batch.js';
import { decodeTraceRequest } from '../otlp/decode-request.js';
import { encodeTraceRequest } from '../otlp/encode.js';
import type { Storage } from '../storage/api/storage.js';
import { openMemoryStorage } from '../storage/memory/memory-storage.js';
import { Assembler } from './assembler.js';
import { ServiceInfoCache } from './skeletons.js';

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

function id(bytes: number, n: number, salt: number): Uint8Array {
  const out = new Uint8Array(bytes);
  new DataView(out.buffer).setUint32(bytes - 4, n + 1);
  out[0] = salt;
  return out;
}

function span(traceN: number, spanN: number, parent: number | undefined, name: string, kind: number): OtlpSpan {
  const start = 1_700_000_000_000_000_000n + BigInt(traceN) * 1_000_000n + BigInt(spanN) * 1_000n;
  return {
    traceId: id(16, traceN, 0xab), spanId: id(8, traceN * 4 + spanN, 0xcd), traceState: '', flags: 1,
    parentSpanId: parent === undefined ? new Uint8Array(0) : id(8, traceN * 4 + parent, 0xcd),
    name, kind, startTimeUnixNano: start, endTimeUnixNano: start + 500n, attributes: [], droppedAttributesCount: 0,
    events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' },
  };
}

/** `count` traces frontend (SERVER → CLIENT) → checkout (SERVER), as one committed batch; only the spans `keep` names. */
function traces(count: number, keep: (spanN: number) => boolean = () => true): SpanBatch {
  const frontend: OtlpSpan[] = [];
  const checkout: OtlpSpan[] = [];
  for (let t = 0; t < count; t++) {
    frontend.push(...[span(t, 0, undefined, 'GET /', 2), span(t, 1, 0, 'POST /checkout', 3)].filter((_, n) => keep(n)));
    if (keep(2)) checkout.push(span(t, 2, 1, 'POST /checkout', 2));
  }
  const scope = { name: 'test', version: '1', attributes: [], droppedAttributesCount: 0 };
  const request: OtlpTraceRequest = {
    resourceSpans: [
      { resource: { attributes: [str('service.name', 'frontend')], droppedAttributesCount: 0 }, scopeSpans: [{ scope, spans: frontend, schemaUrl: '' }], schemaUrl: '' },
      { resource: { attributes: [str('service.name', 'checkout')], droppedAttributesCount: 0 }, scopeSpans: [{ scope, spans: checkout, schemaUrl: '' }], schemaUrl: '' },
    ],
  };
  const decoded = decodeTraceRequest(encodeTraceRequest(request));
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.batch;
}

function assembler(storage: Storage, now: () => number, overrides: { settleMs?: number; log?: (message: string) => void } = {}): Assembler {
  return new Assembler({
    storage,
    services: new ServiceInfoCache({ proxyServices: [] }),
    derivation: { failureRules: [] },
    metrics: new Metrics(),
    settleMs: overrides.settleMs ?? 60_000,
    maxLiveSpans: 1_000_000,
    maxSpansPerTrace: 1_000,
    log: overrides.log ?? (() => undefined),
    now,
  });
}

async function derivedTraceCount(storage: Storage): Promise<number> {
  const range = { fromUnixNano: 0n, toUnixNano: 2n ** 62n };
  const checkout = (await storage.serviceSummaries(range)).find((s) => s.kind === 'service' && s.name === 'checkout');
  return checkout?.requests ?? 0;
}

describe('Assembler.stop with a deadline, then recover', () => {
  it('derives live traces until the deadline, leaves the rest to recovery, and recovery derives every one', async () => {
    const storage = openMemoryStorage();
    // A clock that advances 1 ms per reading: the deadline falls after a few settle chunks.
    let clock = 0;
    const first = assembler(storage, () => clock++);
    const batch = traces(3_000);
    first.add(batch, (await storage.appendSpans(batch)).seq);
    expect(first.liveTraceCount).toBe(3_000);

    const outcome = await first.stop({ deadlineMs: clock + 3 });
    expect(outcome.derived).toBeGreaterThan(0);
    expect(outcome.left).toBeGreaterThan(0);
    expect(outcome.derived + outcome.left).toBe(3_000);
    expect(await derivedTraceCount(storage)).toBe(outcome.derived);
    // The persisted watermark stays below what is left, so a restart finds it.
    const pending = await storage.tracesNeedingDerivation(await storage.getDerivedWatermark());
    expect(pending).toHaveLength(outcome.left);
    // Oldest first: the last trace added is one of those left.
    const last = traceIdHex(2_999);
    expect(pending).toContain(last);
    expect(await storage.getTraceCalls(last)).toEqual([]);

    const second = assembler(storage, () => clock++);
    expect(await second.recover()).toBe(outcome.left);
    expect(await derivedTraceCount(storage)).toBe(3_000);
    expect(await storage.tracesNeedingDerivation(-1n)).toEqual([]);
    // The recovered calls are the same as those derived from memory: frontend → checkout, once per trace.
    const calls = await storage.getTraceCalls(last);
    expect(calls.map((c) => `${c.service}:${c.request}`).sort()).toEqual(['checkout:POST /checkout', 'frontend:GET /']);
    expect(calls.find((c) => c.service === 'checkout')?.path.map((p) => p.name)).toEqual(['frontend']);
  });

  it('without a deadline derives every live trace', async () => {
    const storage = openMemoryStorage();
    const one = assembler(storage, Date.now);
    const batch = traces(700);
    one.add(batch, (await storage.appendSpans(batch)).seq);
    expect(await one.stop()).toEqual({ derived: 700, left: 0 });
    expect(await derivedTraceCount(storage)).toBe(700);
    expect(await storage.tracesNeedingDerivation(await storage.getDerivedWatermark())).toEqual([]);
  });
});

describe('Assembler settling on its timer', () => {
  it('writes several settle chunks at once; a chunk whose write fails stays live and the next tick derives it', async () => {
    const storage = openMemoryStorage();
    let writes = 0;
    let inFlight = 0;
    let mostInFlight = 0;
    const flaky: Storage = new Proxy(storage, {
      get(target, property, receiver) {
        if (property !== 'replaceTraceCalls') return Reflect.get(target, property, receiver) as unknown;
        return async (entries: Parameters<Storage['replaceTraceCalls']>[0]) => {
          const write = ++writes;
          inFlight++;
          mostInFlight = Math.max(mostInFlight, inFlight);
          try {
            await new Promise((resolve) => setTimeout(resolve, 30));
            if (write === 2) throw new Error('disk full');
            await target.replaceTraceCalls(entries);
          } finally {
            inFlight--;
          }
        };
      },
    });
    const logged: string[] = [];
    const one = assembler(flaky, Date.now, { settleMs: 0, log: (message) => logged.push(message) });
    const batch = traces(5_000); // three settle chunks: 2,000, 2,000 and 1,000 traces
    one.add(batch, (await storage.appendSpans(batch)).seq);
    one.start();
    const deadline = Date.now() + 20_000;
    while ((await derivedTraceCount(storage)) < 5_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await one.stop()).toEqual({ derived: 0, left: 0 });

    expect(await derivedTraceCount(storage)).toBe(5_000);
    expect(mostInFlight).toBeGreaterThan(1);
    expect(writes).toBe(4); // the failed chunk once more
    expect(logged.filter((m) => m.includes('disk full'))).toHaveLength(1);
    expect(await storage.tracesNeedingDerivation(await storage.getDerivedWatermark())).toEqual([]);
  });
});

describe('Assembler with a trace that keeps receiving spans', () => {
  it('turns its rows into skeletons after two settle windows, and derives it whole when it settles', async () => {
    const storage = openMemoryStorage();
    let clock = 0;
    const one = assembler(storage, () => clock, { settleMs: 100 });
    one.start();
    const tick = () => new Promise((resolve) => setTimeout(resolve, 150)); // the timer ticks every 50 ms
    // Its three spans arrive 90 ms apart, each in a batch of its own, so it stays live 180 ms.
    for (const [at, spanN] of [[0, 0], [90, 1], [180, 2]] as const) {
      clock = at;
      const batch = traces(1, (n) => n === spanN);
      one.add(batch, (await storage.appendSpans(batch)).seq);
      await tick();
    }
    clock = 210; // its oldest row is older than two windows, its last span newer than one: unpinned, not settled
    await tick();
    expect(one.liveTraceCount).toBe(1);
    expect(await storage.getTraceCalls(traceIdHex(0))).toEqual([]);
    clock = 400;
    await tick();
    expect(await one.stop()).toEqual({ derived: 0, left: 0 });
    const calls = await storage.getTraceCalls(traceIdHex(0));
    expect(calls.map((c) => `${c.service}:${c.request}:${c.path.map((p) => p.name).join('>')}`).sort()).toEqual(['checkout:POST /checkout:frontend', 'frontend:GET /:']);
  });
});

function traceIdHex(traceN: number): string {
  return Buffer.from(id(16, traceN, 0xab)).toString('hex');
}
