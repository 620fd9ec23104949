/**
 * Trace-ID routing as the OpenTelemetry Collector's `loadbalancing` exporter does it with
 * `routing_key: traceID` (no Collector binary is available to the tests, so the sender routes):
 * a consistent-hash ring of 36,000 positions, each endpoint placed at 100 positions
 * (`crc32(endpoint ‖ byte i) mod 36000`, a position already taken is skipped), and a trace goes to
 * the first endpoint at or after `crc32(16 raw trace-id bytes) mod 36000`, wrapping round.
 *
 * The property the scale-out design needs is only that every span of a trace reaches the same
 * Tributary process whichever batch it is in; following the Collector's ring also keeps the
 * split between processes the one a deployment would see.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { crc32 } from 'node:zlib';

const RING_POSITIONS = 36_000;
const POSITIONS_PER_ENDPOINT = 100;

interface RingItem {
  readonly position: number;
  readonly endpoint: number;
}

/** A ring over `endpoints` (names as the Collector's resolver lists them, e.g. `host:4317`). */
export class TraceIdRing {
  private readonly items: readonly RingItem[];

  constructor(readonly endpoints: readonly string[]) {
    if (endpoints.length === 0) throw new Error('trace-id ring: no endpoints');
    const taken = new Set<number>();
    const items: RingItem[] = [];
    endpoints.forEach((name, endpoint) => {
      for (let i = 0; i < POSITIONS_PER_ENDPOINT; i++) {
        const position = crc32(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.of(i & 0xff)])) % RING_POSITIONS;
        if (taken.has(position)) continue;
        taken.add(position);
        items.push({ position, endpoint });
      }
    });
    this.items = items.sort((a, b) => a.position - b.position);
  }

  /** Index into `endpoints` of the process that owns the trace (32 hex digits). */
  endpointFor(traceIdHex: string): number {
    const position = crc32(Buffer.from(traceIdHex, 'hex')) % RING_POSITIONS;
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.items[mid]!.position < position) low = mid + 1;
      else high = mid;
    }
    return (this.items[low] ?? this.items[0]!).endpoint;
  }
}

/**
 * A `SpanExporter` that splits every batch by trace id over `routed` (through the ring) and also
 * sends the whole batch to each of `copies` (the single reference process). Resolves a batch as
 * failed when any target failed. `shutdown` leaves the targets alone: several tracer providers
 * share one router, and the test closes the targets itself.
 */
export class TraceIdRouter implements SpanExporter {
  /** Trace ids each routed target received, by target index. */
  readonly routedTraces: Set<string>[];

  constructor(
    private readonly ring: TraceIdRing,
    private readonly routed: readonly SpanExporter[],
    private readonly copies: readonly SpanExporter[] = [],
  ) {
    if (ring.endpoints.length !== routed.length) throw new Error('trace-id router: one exporter per ring endpoint');
    this.routedTraces = routed.map(() => new Set());
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const groups = this.routed.map((): ReadableSpan[] => []);
    for (const span of spans) {
      const traceId = span.spanContext().traceId;
      const target = this.ring.endpointFor(traceId);
      groups[target]!.push(span);
      this.routedTraces[target]!.add(traceId);
    }
    const sends: { exporter: SpanExporter; spans: ReadableSpan[] }[] = [
      ...groups.flatMap((group, i) => (group.length === 0 ? [] : [{ exporter: this.routed[i]!, spans: group }])),
      ...this.copies.map((exporter) => ({ exporter, spans })),
    ];
    void Promise.all(sends.map(({ exporter, spans: part }) => new Promise<ExportResult>((resolve) => exporter.export(part, resolve)))).then((results) => {
      resultCallback(results.find((r) => r.code !== ExportResultCode.SUCCESS) ?? { code: ExportResultCode.SUCCESS });
    });
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.routed, ...this.copies].map((e) => e.forceFlush?.()));
  }

  async shutdown(): Promise<void> {
    // Owned by the test (see the class comment).
  }

  /** Shuts every target down. */
  async close(): Promise<void> {
    await Promise.all([...this.routed, ...this.copies].map((e) => e.shutdown()));
  }
}
