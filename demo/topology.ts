/**
 * The demo system: which processes run, what they call, and the Kubernetes context each one
 * reports through `OTEL_RESOURCE_ATTRIBUTES` (as the OpenTelemetry Operator or a Collector's
 * `k8sattributes` processor would provide in a real cluster).
 */

export type ServiceName = 'frontend' | 'order' | 'customer' | 'catalog' | 'backend' | 'shipping';

export interface DemoService {
  readonly name: ServiceName;
  /** Under `demo/services/`. */
  readonly script: string;
  /** The shop's port plus this, unless every port is picked freely. */
  readonly portOffset: number;
  /** Services whose URL it gets as `DEMO_URL_<NAME>`. */
  readonly calls: readonly ServiceName[];
  /** Absent for the third-party stub: it sends no telemetry. */
  readonly k8s?: { readonly pod: string; readonly node: string; readonly version: string };
}

export const NAMESPACE = 'dt-orders';
export const CLUSTER = 'demo-cluster';
/** The name the shipping stub stands for (`peer.service` on the client spans that call it). */
export const SHIPPING_PEER = 'api.fedex.com';

export const SERVICES: readonly DemoService[] = [
  { name: 'frontend', script: 'frontend.ts', portOffset: 0, calls: ['order', 'catalog', 'backend'], k8s: { pod: 'frontend-7d9c6b5f4-k8r2m', node: 'worker-1', version: '2.3.0' } },
  { name: 'order', script: 'order.ts', portOffset: 1, calls: ['customer', 'backend', 'shipping'], k8s: { pod: 'order-6f7c9d5b8-x2x9z', node: 'worker-2', version: '1.8.1' } },
  { name: 'customer', script: 'customer.ts', portOffset: 2, calls: ['backend'], k8s: { pod: 'customer-5b8d7c9f6-q4w7e', node: 'worker-1', version: '1.2.0' } },
  { name: 'catalog', script: 'catalog.ts', portOffset: 3, calls: ['backend'], k8s: { pod: 'catalog-84c6f9d7b-m3n5p', node: 'worker-2', version: '1.5.3' } },
  { name: 'backend', script: 'backend.ts', portOffset: 4, calls: [], k8s: { pod: 'backend-9f5d8c7b6-t6y8u', node: 'worker-3', version: '7.0.12' } },
  { name: 'shipping', script: 'third-party.ts', portOffset: 5, calls: [] },
];

/** `OTEL_RESOURCE_ATTRIBUTES` for an instrumented service. */
export function resourceAttributes(service: DemoService): string | undefined {
  if (!service.k8s) return undefined;
  const attributes: Record<string, string> = {
    'service.version': service.k8s.version,
    'deployment.environment.name': 'demo',
    'k8s.cluster.name': CLUSTER,
    'k8s.namespace.name': NAMESPACE,
    'k8s.deployment.name': service.name,
    'k8s.pod.name': service.k8s.pod,
    'k8s.node.name': service.k8s.node,
  };
  return Object.entries(attributes).map(([key, value]) => `${key}=${value}`).join(',');
}
