import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

export type ExporterKind = 'proto' | 'json' | 'grpc';

/** A real OpenTelemetry SDK exporter of the given kind, pointed at a running Tributary. */
export function makeExporter(kind: ExporterKind, ports: { otlpHttpPort: number; otlpGrpcPort: number }, gzip = false): SpanExporter {
  const compression = gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE;
  switch (kind) {
    case 'proto':
      return new ProtoExporter({ url: `http://127.0.0.1:${ports.otlpHttpPort}/v1/traces`, compression });
    case 'json':
      return new JsonExporter({ url: `http://127.0.0.1:${ports.otlpHttpPort}/v1/traces`, compression });
    case 'grpc':
      return new GrpcExporter({ url: `http://127.0.0.1:${ports.otlpGrpcPort}`, compression });
  }
}

/** One instrumented service: a tracer provider with its own resource, exporting through `exporter`. */
export class TestService {
  readonly provider: BasicTracerProvider;

  constructor(
    readonly name: string,
    exporter: SpanExporter,
    resource: Record<string, string | number> = {},
    /** `simple` exports every span as it ends (many small requests); `batch` as the SDK does in production. */
    processor: 'simple' | 'batch' = 'simple',
  ) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': name, ...resource }),
      spanProcessors: [processor === 'simple' ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50 })],
    });
  }

  /** Starts a span; `parent` is a span of any service (context propagation across processes). */
  start(name: string, kind: SpanKind, parent?: Span, attributes: Record<string, string | number | string[]> = {}): Span {
    const context: Context = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    return this.provider.getTracer('tributary-tests').startSpan(name, { kind, attributes }, context);
  }

  async flush(): Promise<void> {
    await this.provider.forceFlush();
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

export interface Shop {
  readonly web: TestService;
  readonly frontend: TestService;
  readonly order: TestService;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The services of the orders shop: a browser application, `frontend` and `order`, with Kubernetes context. */
export function makeShop(exporter: SpanExporter): Shop {
  const k8s = (workload: string) => ({
    'k8s.cluster.name': 'lab',
    'k8s.namespace.name': 'dt-orders',
    'k8s.deployment.name': workload,
    'k8s.pod.name': `${workload}-7d4f8b9c6-x2x9z`,
    'k8s.node.name': 'node-1',
  });
  const web = new TestService('orders-web', exporter, { 'telemetry.sdk.language': 'webjs' });
  const frontend = new TestService('frontend', exporter, k8s('frontend'));
  const order = new TestService('order', exporter, k8s('order'));
  const all = [web, frontend, order];
  return {
    web,
    frontend,
    order,
    flush: async () => void (await Promise.all(all.map((s) => s.flush()))),
    shutdown: async () => void (await Promise.all(all.map((s) => s.shutdown()))),
  };
}

/**
 * One checkout journey: a click in the browser → frontend → order → a database query and a
 * call to a third party that fails with 503. Returns the trace id. Spans end children-first, as
 * real instrumentation does, so they are exported in several requests.
 */
export function checkoutJourney(shop: Shop): string {
  const click = shop.web.start('click', SpanKind.INTERNAL, undefined, {
    event_type: 'click', target_element: 'BUTTON', target_xpath: '//*[@id="checkout"]',
  });
  const fetchSpan = shop.web.start('HTTP POST', SpanKind.CLIENT, click, { 'http.url': 'http://shop.local/api/checkout' });
  const checkout = shop.frontend.start('POST /api/checkout', SpanKind.SERVER, fetchSpan, {
    'http.request.method': 'POST', 'http.response.status_code': 200, 'http.request.header.referer': ['http://shop.local/cart'],
  });
  const toOrder = shop.frontend.start('GET', SpanKind.CLIENT, checkout, { 'server.address': 'order' });
  const orderServer = shop.order.start('GET /order/{id}', SpanKind.SERVER, toOrder, { 'http.response.status_code': 200 });
  const query = shop.order.start('SELECT orders', SpanKind.CLIENT, orderServer, { 'db.system': 'postgresql', 'db.name': 'orders' });
  query.end();
  const ship = shop.order.start('POST /ship', SpanKind.CLIENT, orderServer, { 'server.address': 'api.fedex.com', 'http.response.status_code': 503 });
  ship.setStatus({ code: SpanStatusCode.ERROR, message: 'Service Unavailable' });
  ship.end();
  orderServer.end();
  toOrder.end();
  checkout.end();
  fetchSpan.end();
  click.end();
  return click.spanContext().traceId;
}
