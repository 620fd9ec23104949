/**
 * Loads OpenTelemetry Demo traffic (bench/query-traffic.ts) into any store through the real
 * ingest path: encode → decode → `appendSpans` → `Assembler.add` → flush. Every benchmark store
 * (DuckDB, bench/demo-store.ts; ClickHouse, bench/clickhouse-demo-store.ts) is loaded by this one
 * loop, with the same seed, window and request size, so the backends are timed on the same work.
 */
import { Metrics } from '../src/app/metrics.js';
import { Assembler } from '../src/ingest/assembler.js';
import { ServiceInfoCache } from '../src/ingest/skeletons.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import type { TimeRange } from '../src/storage/api/call-queries.js';
import type { Storage } from '../src/storage/api/storage.js';
import { DemoTraffic } from './query-traffic.js';

const WINDOW_START = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
const WINDOW_MS = 3_600_000;
const TRACES_PER_REQUEST = 100;

/** The hour every demo store's traces start in. */
export const DEMO_WINDOW: TimeRange = { fromUnixNano: WINDOW_START, toUnixNano: WINDOW_START + BigInt(WINDOW_MS) * 1_000_000n };

/**
 * The assembler a benchmark loads demo traffic through: it settles on the next tick and holds
 * whatever it is given (the loaders flush it every few requests).
 */
export function demoAssembler(storage: Storage, log: (message: string) => void = () => undefined): Assembler {
  return new Assembler({
    storage,
    services: new ServiceInfoCache({ proxyServices: [] }),
    derivation: { failureRules: [] },
    metrics: new Metrics(),
    settleMs: 0,
    maxLiveSpans: 10_000_000,
    maxSpansPerTrace: 1_000_000,
    log,
  });
}

/** Appends whole requests of 100 traces until at least `targetSpans` spans, deriving as it goes; the store stays open. */
export async function loadDemoTraffic(storage: Storage, targetSpans: number, log: (line: string) => void): Promise<{ spans: number; traces: number }> {
  const messages: string[] = [];
  const assembler = demoAssembler(storage, (message) => messages.push(message));
  const traffic = new DemoTraffic({ seed: 1, windowStartUnixNano: WINDOW_START, windowMs: WINDOW_MS, tracesPerRequest: TRACES_PER_REQUEST });
  let spans = 0;
  let traces = 0;
  for (let requests = 0; spans < targetSpans; requests++) {
    const decoded = decodeTraceRequest(encodeTraceRequest(traffic.next().request));
    if (!decoded.ok) throw new Error(`generated request does not decode: ${decoded.error}`);
    assembler.add(decoded.batch, (await storage.appendSpans(decoded.batch)).seq);
    spans += decoded.batch.length;
    traces += TRACES_PER_REQUEST;
    // Each request holds whole traces: derive them now rather than holding every skeleton.
    if (requests % 10 === 9) await assembler.flush();
    if (requests % 500 === 499) log(`  loaded ${spans.toLocaleString('en')} spans`);
  }
  await assembler.flush();
  if (messages.length > 0) log(`assembler said:\n  ${messages.slice(0, 5).join('\n  ')}`);
  return { spans, traces };
}
