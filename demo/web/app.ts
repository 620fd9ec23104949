/**
 * `orders-web`: the shop's browser application, traced with the OpenTelemetry web SDK. Page
 * loads and clicks are user actions; the fetches they make carry `traceparent` to `frontend`
 * (same origin, so no CORS setup is needed for propagation); spans go to Tributary as OTLP/HTTP
 * JSON, cross-origin, which Tributary allows through `TRIBUTARY_OTLP_CORS_ORIGINS`.
 */
import { ZoneContextManager } from '@opentelemetry/context-zone';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { UserInteractionInstrumentation } from '@opentelemetry/instrumentation-user-interaction';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, WebTracerProvider } from '@opentelemetry/sdk-trace-web';
import { SHOP_ACTIONS, rememberOrder, type ShopAction, type ShopSession } from './actions.js';

interface PageConfig { readonly otlpTracesUrl: string }
const config = JSON.parse(document.getElementById('demo-config')?.textContent ?? '{}') as PageConfig;

const provider = new WebTracerProvider({
  // The default resource says `telemetry.sdk.language = webjs`: how Tributary knows a browser
  // application. A resource given here replaces it, so merge.
  resource: defaultResource().merge(resourceFromAttributes({ 'service.name': 'orders-web', 'service.version': '1.4.2' })),
  // Exported every second so the demo shows clicks quickly (the SDK default waits 5 s).
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.otlpTracesUrl }), { scheduledDelayMillis: 1000 })],
});
// The zone context manager carries the click's context into the fetch it triggers.
provider.register({ contextManager: new ZoneContextManager() });
registerInstrumentations({
  tracerProvider: provider,
  instrumentations: [
    new DocumentLoadInstrumentation(),
    new UserInteractionInstrumentation({ eventNames: ['click'] }),
    new FetchInstrumentation({ ignoreUrls: [config.otlpTracesUrl], clearTimingResources: true }),
  ],
});

const session: ShopSession = { customerId: new URLSearchParams(location.search).get('customer') ?? '1', orderId: '1001' };
const status = document.getElementById('status')!;
const result = document.getElementById('result')!;
let sequence = 0;

async function run(action: ShopAction): Promise<void> {
  const body = action.body?.(session);
  const response = await fetch(action.path(session), {
    method: action.method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload: unknown = await response.json().catch(() => null);
  if (response.ok) rememberOrder(session, action, payload);
  result.textContent = JSON.stringify(payload, null, 2);
  status.textContent = `${action.label}: ${response.status} ${response.ok ? 'OK' : 'failed'}`;
  status.className = response.ok ? 'ok' : 'failed';
  // The traffic generator waits for this to change before its next click.
  status.dataset.seq = String(++sequence);
}

// Listeners are added after the user-interaction instrumentation is registered: it traces clicks
// by wrapping `addEventListener`.
for (const action of SHOP_ACTIONS) {
  const button = document.getElementById(action.buttonId);
  if (!button) throw new Error(`index.html has no button #${action.buttonId}`);
  button.addEventListener('click', () => void run(action).catch((error: unknown) => {
    status.textContent = `${action.label}: ${String(error)}`;
    status.className = 'failed';
    status.dataset.seq = String(++sequence);
  }));
}

/** Lets the traffic generator export the last spans before it closes the page. */
(window as unknown as { demoFlushSpans: () => Promise<void> }).demoFlushSpans = () => provider.forceFlush();
