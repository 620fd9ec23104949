/**
 * OpenTelemetry for one demo service, set up the way an application would do it: a
 * NodeTracerProvider, the HTTP instrumentation registered with `registerInstrumentations`, and an
 * OTLP/HTTP protobuf exporter. Everything else comes from the standard environment variables the
 * demo runner sets: `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` (the Kubernetes context) and
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (Tributary's OTLP/HTTP port).
 */
import type { RequestOptions } from 'node:http';
import { createRequire } from 'node:module';
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { defaultResource, detectResources, envDetector } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface ServiceTelemetry {
  readonly tracer: Tracer;
  /** Exports the spans still buffered; call before the process exits. */
  shutdown(): Promise<void>;
}

/**
 * Starts tracing. Call it before the service creates its server or makes a request.
 *
 * `externalPeers` maps `host:port` to the name of the third party it stands for: the demo runs
 * third parties as stubs on loopback, and `peer.service` is how OpenTelemetry names the remote
 * side of a client span, so Tributary shows `api.fedex.com` rather than `127.0.0.1`.
 */
export function startTelemetry(externalPeers: ReadonlyMap<string, string> = readExternalPeers()): ServiceTelemetry {
  const provider = new NodeTracerProvider({
    // A resource given here replaces the default one (`telemetry.sdk.*`), so merge; and the SDK
    // reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES only through the env detector.
    resource: defaultResource().merge(detectResources({ detectors: [envDetector] })),
    // A short delay so a newcomer sees traces within seconds (the SDK default is 5 s).
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 500 })],
  });
  provider.register();

  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        startOutgoingSpanHook: (options: RequestOptions) => {
          const peer = externalPeers.get(`${options.hostname ?? options.host}:${options.port}`);
          return peer ? { 'peer.service': peer } : {};
        },
        // Outgoing spans are named by method only; a third party has no server span to name the
        // request, so its client span gets the path.
        requestHook: (span, request) => {
          if ('getHeader' in request && externalPeers.has(String(request.getHeader('host')))) {
            span.updateName(`${request.method} ${request.path.split('?')[0]}`);
          }
        },
        ignoreIncomingRequestHook: (request) => request.url === '/favicon.ico',
      }),
    ],
  });
  // The instrumentation patches `node:http` when it is first required; ES module imports of
  // built-ins do not go through `require`, so load it once here. The services then use the
  // default import (`http.request`), which is this same patched object.
  createRequire(import.meta.url)('node:http');

  return {
    tracer: trace.getTracer('tributary-demo'),
    shutdown: () => provider.shutdown(),
  };
}

/** `DEMO_EXTERNAL_PEERS=api.fedex.com=127.0.0.1:8085,…` → `127.0.0.1:8085` → `api.fedex.com`. */
function readExternalPeers(): Map<string, string> {
  const peers = new Map<string, string>();
  for (const entry of (process.env.DEMO_EXTERNAL_PEERS ?? '').split(',')) {
    const [name, address] = entry.split('=');
    if (name && address) peers.set(address.trim(), name.trim());
  }
  return peers;
}
