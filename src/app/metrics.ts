import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StoreMemory } from '../storage/api/storage.js';

/** Tributary's own Prometheus metrics, one registry per server so tests can run several. */
export class Metrics {
  readonly registry = new Registry();

  readonly spansReceived = new Counter({
    name: 'tributary_spans_received_total',
    help: 'Spans received in OTLP requests that decoded.',
    labelNames: ['transport'],
    registers: [this.registry],
  });
  readonly spansAccepted = new Counter({
    name: 'tributary_spans_accepted_total',
    help: 'Spans committed to the store.',
    labelNames: ['transport'],
    registers: [this.registry],
  });
  readonly spansRejected = new Counter({
    name: 'tributary_spans_rejected_total',
    help: 'Spans refused: invalid (partial success), undecodable request, or backpressure.',
    labelNames: ['transport', 'reason'],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'tributary_otlp_requests_total',
    help: 'OTLP export requests by outcome.',
    labelNames: ['transport', 'outcome'],
    registers: [this.registry],
  });
  readonly queuedSpans = new Gauge({
    name: 'tributary_ingest_queue_spans',
    help: 'Spans accepted for writing but not yet committed.',
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'tributary_commit_latency_seconds',
    help: 'Time from handing a batch to the store to its durable commit.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly liveTraces = new Gauge({
    name: 'tributary_assembler_live_traces',
    help: 'Traces the assembler holds, waiting for their settle window.',
    registers: [this.registry],
  });
  readonly liveSpans = new Gauge({
    name: 'tributary_assembler_live_spans',
    help: 'Span skeletons the assembler holds.',
    registers: [this.registry],
  });
  readonly tracesDerived = new Counter({
    name: 'tributary_traces_derived_total',
    help: 'Trace derivations written (first derivations and re-derivations).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly callsWritten = new Counter({
    name: 'tributary_calls_written_total',
    help: 'Service calls written to the store.',
    registers: [this.registry],
  });
  readonly traceAnomalies = new Counter({
    name: 'tributary_trace_anomalies_total',
    help: 'Hostile structures found while deriving calls (cycles, self-parents, duplicate ids, ...).',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly spansTruncated = new Counter({
    name: 'tributary_trace_spans_truncated_total',
    help: 'Spans stored but left out of call derivation because their trace exceeded maxSpansPerTrace.',
    registers: [this.registry],
  });
  readonly spansCutToLimits = new Counter({
    name: 'tributary_spans_truncated_total',
    help: 'Spans stored truncated to an attribute limit (limit: attributes = maxAttributesPerSpan, value_length = maxAttributeValueBytes); a span of a truncated resource counts too.',
    labelNames: ['limit'],
    registers: [this.registry],
  });
  readonly storeErrors = new Counter({
    name: 'tributary_store_errors_total',
    help: 'Store operations that failed.',
    labelNames: ['operation'],
    registers: [this.registry],
  });

  /** Where the store gauges read from: set by `observeStore` once the store is open. */
  private storeMemory: (() => Promise<StoreMemory | null>) | undefined;

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
    // Read at scrape time; absent for stores that keep no memory in this process.
    const storeGauge = (name: string, help: string, value: (memory: StoreMemory) => number): void => {
      const read = (): Promise<StoreMemory | null> => this.storeMemory?.().catch(() => null) ?? Promise.resolve(null);
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          const memory = await read();
          const measured = memory === null ? Number.NaN : value(memory);
          if (Number.isFinite(measured)) this.set(measured);
          else this.reset();
        },
      });
    };
    storeGauge(
      'tributary_store_memory_bytes',
      "Memory the store holds in this process outside JavaScript heaps (DuckDB's buffer manager: cached blocks, uncheckpointed data, indexes).",
      (memory) => memory.usedBytes,
    );
    storeGauge('tributary_store_memory_limit_bytes', "The store's memory limit in this process (DuckDB memory_limit, as DuckDB reports it).", (memory) => memory.limitBytes);
  }

  /** Reports the store's memory (`Storage.memoryUsage`) at every scrape. */
  observeStore(memoryUsage: () => Promise<StoreMemory | null>): void {
    this.storeMemory = memoryUsage;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
