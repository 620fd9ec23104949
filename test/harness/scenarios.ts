import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { TestService } from './otel.js';

/**
 * The seed scenarios of issue 3, emitted with the real OpenTelemetry SDK: the situations a
 * Dynatrace user reads off a backtrace or a service flow.
 */
export class Scenarios {
  private readonly services = new Map<string, TestService>();

  constructor(private readonly exporter: SpanExporter) {}

  service(name: string, resource: Record<string, string> = {}): TestService {
    let service = this.services.get(name);
    if (!service) this.services.set(name, (service = new TestService(name, this.exporter, resource, 'batch')));
    return service;
  }

  browser(name: string): TestService {
    return this.service(name, { 'telemetry.sdk.language': 'webjs' });
  }

  async flush(): Promise<void> {
    for (const service of this.services.values()) await service.flush();
  }

  async shutdown(): Promise<void> {
    for (const service of this.services.values()) await service.shutdown();
  }

  /** A click in a browser application, with the fetch it sends: returns the fetch span (parent of the server span). */
  private click(app: string, buttonId: string, page: string): { click: Span; fetch: Span } {
    const browser = this.browser(app);
    const click = browser.start('click', SpanKind.INTERNAL, undefined, {
      event_type: 'click', target_element: 'BUTTON', target_xpath: `//*[@id="${buttonId}"]`, 'http.url': page,
    });
    const fetch = browser.start('HTTP POST', SpanKind.CLIENT, click, { 'http.url': `${page}/api` });
    return { click, fetch };
  }

  /** Login click → Service2 → Service1 → SQL database `userdb`. */
  login(): void {
    const { click, fetch } = this.click('easytravel-web', 'login', 'http://easytravel.local/login');
    const s2 = this.service('Service2').start('POST /login', SpanKind.SERVER, fetch, { 'http.response.status_code': 200 });
    const s2out = this.service('Service2').start('POST', SpanKind.CLIENT, s2, { 'server.address': 'service1' });
    const s1 = this.service('Service1').start('authenticate', SpanKind.SERVER, s2out);
    const sql = this.service('Service1').start('SELECT users', SpanKind.CLIENT, s1, { 'db.system': 'mysql', 'db.name': 'userdb' });
    endAll(sql, s1, s2out, s2, fetch, click);
  }

  /** A product page whose ads request fails; the page handles it and succeeds. */
  productPage(adFails: boolean): void {
    const frontend = this.service('frontend');
    const page = frontend.start('GET /product/{id}', SpanKind.SERVER, undefined, { 'http.response.status_code': 200 });
    const out = frontend.start('GET', SpanKind.CLIENT, page, { 'server.address': 'ad' });
    const ad = this.service('ad').start('GET /ads', SpanKind.SERVER, out, { 'http.response.status_code': adFails ? 500 : 200 });
    if (adFails) {
      ad.recordException({ name: 'AdServiceException', message: 'ad inventory unavailable', stack: 'AdServiceException: ad inventory unavailable\n    at AdService.getAds (ads.js:42)' });
      ad.setStatus({ code: SpanStatusCode.ERROR, message: 'ad inventory unavailable' });
      out.setStatus({ code: SpanStatusCode.ERROR });
    }
    endAll(ad, out, page);
  }

  /** Booking → payment → card verification; a failing verification fails the booking. */
  booking(cardFails: boolean): void {
    const { click, fetch } = this.click('easytravel-web', 'book', 'http://easytravel.local/journey');
    const booking = this.service('booking').start('POST /booking', SpanKind.SERVER, fetch);
    const toPayment = this.service('booking').start('POST', SpanKind.CLIENT, booking, { 'server.address': 'payment' });
    const payment = this.service('payment').start('POST /pay', SpanKind.SERVER, toPayment);
    const toVerify = this.service('payment').start('POST', SpanKind.CLIENT, payment, { 'server.address': 'card-verification' });
    const verify = this.service('card-verification').start('POST /verify', SpanKind.SERVER, toVerify);
    if (cardFails) {
      verify.setStatus({ code: SpanStatusCode.ERROR, message: 'card verification failed: issuer declined' });
      payment.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined' });
      booking.setStatus({ code: SpanStatusCode.ERROR, message: 'booking failed: payment declined' });
    }
    endAll(verify, toVerify, payment, toPayment, booking, fetch, click);
  }

  /** Shipping quote click → frontend → shipping → third party `api.fedex.com`, which always fails. */
  shippingQuote(): void {
    const { click, fetch } = this.click('easytravel-web', 'quote', 'http://easytravel.local/cart');
    const frontend = this.service('frontend').start('POST /api/quote', SpanKind.SERVER, fetch, { 'http.response.status_code': 200 });
    const toShipping = this.service('frontend').start('POST', SpanKind.CLIENT, frontend, { 'server.address': 'shipping' });
    const shipping = this.service('shipping').start('POST /quote', SpanKind.SERVER, toShipping);
    const fedex = this.service('shipping').start('POST /rates', SpanKind.CLIENT, shipping, {
      'server.address': 'api.fedex.com', 'url.full': 'https://api.fedex.com/rates', 'http.response.status_code': 503,
    });
    fedex.setStatus({ code: SpanStatusCode.ERROR, message: 'Service Unavailable' });
    endAll(fedex, shipping, toShipping, frontend, fetch, click);
  }

  /** The orders lab: browser → frontend (k8s) → monolith backend (k8s), and order → backend. */
  ordersLab(): void {
    const k8s = (workload: string) => ({
      'k8s.cluster.name': 'lab', 'k8s.namespace.name': 'dt-orders', 'k8s.deployment.name': workload,
      'k8s.pod.name': `${workload}-5d9c7b8f6d-q7w2x`, 'k8s.node.name': 'worker-1',
    });
    const { click, fetch } = this.click('orders-web', 'my-orders', 'http://orders.local/');
    const frontend = this.service('orders-frontend', k8s('frontend')).start('GET /orders', SpanKind.SERVER, fetch);
    const toBackend = this.service('orders-frontend', k8s('frontend')).start('GET', SpanKind.CLIENT, frontend, { 'server.address': 'backend' });
    const backend = this.service('backend', k8s('backend')).start('GET /api/orders', SpanKind.SERVER, toBackend);
    endAll(backend, toBackend, frontend, fetch, click);
    // A call that starts at `order` itself (a batch job): no browser in front.
    const order = this.service('order', k8s('order')).start('sync orders', SpanKind.INTERNAL);
    const toBackend2 = this.service('order', k8s('order')).start('GET', SpanKind.CLIENT, order, { 'server.address': 'backend' });
    const backend2 = this.service('backend', k8s('backend')).start('GET /api/orders/{id}', SpanKind.SERVER, toBackend2);
    endAll(backend2, toBackend2, order);
  }
}

function endAll(...spans: Span[]): void {
  for (const span of spans) span.end();
}
