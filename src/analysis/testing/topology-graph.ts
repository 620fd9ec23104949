/**
 * The random service graph behind `generateTopology` (topology.ts): services with several
 * instances (resources with Kubernetes attributes), browser applications, and the downstream calls
 * each endpoint makes — to other services (recursion and self calls included), databases,
 * messaging systems (with or without a consumer) and third-party hosts.
 */
import type { KeyValue } from '../../model/otlp.js';
import type { SeededRandom } from './seeded-random.js';

export interface Endpoint {
  readonly name: string;
  /** Served by a CONSUMER span (a message handler) instead of a SERVER span. */
  readonly consumer: boolean;
  readonly downstream: Downstream[];
}

export type Downstream =
  | { readonly type: 'service'; readonly service: ServiceDef; readonly endpoint: Endpoint }
  | { readonly type: 'database'; readonly spanName: string; readonly attributes: readonly KeyValue[] }
  | { readonly type: 'messaging'; readonly spanName: string; readonly attributes: readonly KeyValue[]; readonly consumer?: { readonly service: ServiceDef; readonly endpoint: Endpoint } }
  | { readonly type: 'external'; readonly spanName: string; readonly attributes: readonly KeyValue[] };

export interface ServiceDef {
  readonly name: string;
  readonly application: boolean;
  /** One resource per instance. */
  readonly instances: readonly (readonly KeyValue[])[];
  readonly endpoints: Endpoint[];
  /** Its entry spans sometimes carry `component: proxy` (an Envoy-style proxy judged per span). */
  readonly marksProxySpans: boolean;
}

export interface UserAction {
  readonly spanName: string;
  readonly attributes: readonly KeyValue[];
  /** The page the action happened on (`url.full` of the action span, a referer for the backend). */
  readonly page: string;
  readonly calls: readonly { readonly service: ServiceDef; readonly endpoint: Endpoint }[];
}

export interface ApplicationDef extends ServiceDef {
  readonly actions: readonly UserAction[];
}

export interface ServiceGraph {
  readonly services: readonly ServiceDef[];
  /** Services whose endpoints requests usually enter through (the front of the graph). */
  readonly entries: readonly ServiceDef[];
  readonly applications: readonly ApplicationDef[];
  /** Configured proxies (DESIGN.md §2 "Proxies": "when configured so"). */
  readonly proxyServices: readonly string[];
  /** The service whose 404s a configured failure rule counts as failures. */
  readonly notFoundFails: string;
}

const SERVICE_NAMES = ['gateway', 'frontend', 'order', 'cart', 'checkout', 'payment', 'shipping', 'inventory', 'user', 'auth', 'search', 'recommendation', 'email', 'currency'];
const APP_NAMES = ['orders-web', 'shop-web', 'admin-web'];
const NAMESPACES = ['shop', 'payments', 'platform'];
const NODES = ['node-a', 'node-b', 'node-c', 'node-d'];
const DATABASES: readonly (readonly [system: string, name: string | undefined])[] = [
  ['postgresql', 'orders'],
  ['postgresql', 'users'],
  ['redis', undefined],
  ['mysql', 'inventory'],
  ['mongodb', 'catalog'],
];
const EXTERNALS: readonly (readonly KeyValue[])[] = [
  [str('server.address', 'api.fedex.com')],
  [str('url.full', 'https://api.stripe.com:443/v1/charges')],
  [str('peer.service', 'legacy-crm')],
  [str('net.peer.name', 'smtp.example.net')],
  [str('http.url', 'http://10.1.2.3:8080/geo')],
  [],
];

export function str(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

export function int(key: string, value: number): KeyValue {
  return { key, value: { intValue: BigInt(value) } };
}

/** A random graph of 4–9 services and 1–3 browser applications. */
export function buildServiceGraph(random: SeededRandom): ServiceGraph {
  const names = random.sample(SERVICE_NAMES.slice(1), random.int(4, 8));
  if (random.chance(0.5)) names.unshift('gateway');
  const services: ServiceDef[] = names.map((name) => ({
    name,
    application: false,
    instances: instancesOf(random, name),
    endpoints: endpointsOf(random, name),
    marksProxySpans: random.chance(0.15),
  }));
  const entries = services.slice(0, Math.min(2, services.length));

  // Downstream calls: mostly further into the graph, sometimes back up (recursion, ping-pong) or to itself.
  services.forEach((service, index) => {
    for (const endpoint of service.endpoints) {
      const count = random.int(0, 3);
      for (let i = 0; i < count; i++) endpoint.downstream.push(downstreamOf(random, services, index));
    }
  });

  const applications: ApplicationDef[] = random.sample(APP_NAMES, random.int(1, 3)).map((name) => ({
    name,
    application: true,
    instances: [[str('service.name', name), str('telemetry.sdk.language', 'webjs'), str('telemetry.sdk.name', 'opentelemetry')]],
    endpoints: [],
    marksProxySpans: false,
    actions: actionsOf(random, name, entries),
  }));

  return {
    services,
    entries,
    applications,
    proxyServices: names.includes('gateway') ? ['gateway'] : [],
    notFoundFails: random.pick(names),
  };
}

function instancesOf(random: SeededRandom, service: string): (readonly KeyValue[])[] {
  const namespace = random.pick(NAMESPACES);
  const onKubernetes = random.chance(0.8);
  const hash = random.hex(5).slice(0, 9);
  const withDeployment = random.chance(0.7);
  const instances: KeyValue[][] = [];
  for (let i = 0, n = random.int(1, 3); i < n; i++) {
    const attrs: KeyValue[] = [str('service.name', service), str('service.version', `1.${random.int(0, 4)}.0`), str('telemetry.sdk.language', random.pick(['nodejs', 'java', 'go']))];
    if (onKubernetes) {
      const pod = `${service}-${hash}-${random.hex(3).slice(0, 5)}`;
      attrs.push(str('k8s.cluster.name', 'prod-eu'), str('k8s.namespace.name', namespace), str('k8s.pod.name', pod), str('k8s.node.name', random.pick(NODES)));
      if (withDeployment) attrs.push(str('k8s.deployment.name', service));
      // Instance from `service.instance.id` when set, else (DESIGN.md §2) the pod name.
      if (random.chance(0.5)) attrs.push(str('service.instance.id', random.hex(8)));
    } else {
      attrs.push(str('host.name', `vm-${service}-${i + 1}`), int('process.pid', random.int(100, 9999)));
    }
    instances.push(attrs);
  }
  return instances;
}

function endpointsOf(random: SeededRandom, service: string): Endpoint[] {
  const endpoints: Endpoint[] = [];
  const methods = ['GET', 'GET', 'POST', 'PUT', 'DELETE'];
  for (let i = 0, n = random.int(1, 3); i < n; i++) {
    const method = random.pick(methods);
    const name = `${method} /${service}${i === 0 ? '' : `/${random.pick(['{id}', 'list', 'items/{id}', 'search'])}`}`;
    if (!endpoints.some((e) => e.name === name)) endpoints.push({ name, consumer: false, downstream: [] });
  }
  if (random.chance(0.3)) endpoints.push({ name: `${service}-events process`, consumer: true, downstream: [] });
  return endpoints;
}

function downstreamOf(random: SeededRandom, services: readonly ServiceDef[], from: number): Downstream {
  const roll = random.next();
  if (roll < 0.5) {
    const later = services.slice(from + 1);
    const target = later.length > 0 && random.chance(0.75) ? random.pick(later) : random.pick(services);
    return { type: 'service', service: target, endpoint: random.pick(target.endpoints.filter((e) => !e.consumer)) };
  }
  if (roll < 0.7) {
    const [system, name] = random.pick(DATABASES);
    const attributes = [str(random.chance(0.3) ? 'db.system.name' : 'db.system', system)];
    if (name !== undefined) attributes.push(str(random.chance(0.5) ? 'db.namespace' : 'db.name', name));
    return { type: 'database', spanName: random.pick(['SELECT', 'INSERT', 'UPDATE']) + (name ? ` ${name}` : ''), attributes };
  }
  if (roll < 0.82) {
    const destination = random.pick(['orders', 'payments', 'emails']);
    const attributes = [str('messaging.system', random.pick(['kafka', 'rabbitmq'])), ...(random.chance(0.8) ? [str('messaging.destination.name', destination)] : [])];
    const consumers = services.flatMap((service) => service.endpoints.filter((e) => e.consumer).map((endpoint) => ({ service, endpoint })));
    const consumer = consumers.length > 0 && random.chance(0.6) ? random.pick(consumers) : undefined;
    return { type: 'messaging', spanName: `${destination} publish`, attributes, ...(consumer ? { consumer } : {}) };
  }
  return { type: 'external', spanName: random.pick(['GET', 'POST', 'HTTP GET']), attributes: random.pick(EXTERNALS) };
}

function actionsOf(random: SeededRandom, app: string, entries: readonly ServiceDef[]): UserAction[] {
  const host = `${app}.example.com`;
  const actions: UserAction[] = [];
  const shapes = [
    { spanName: 'click', attributes: [str('event_type', 'click'), str('target_element', 'BUTTON'), str('target_xpath', '//*[@id="checkout"]')], path: '/cart' },
    { spanName: 'click', attributes: [str('event_type', 'click'), str('target_element', 'A'), str('target_xpath', '//html/body/nav/a[2]')], path: '/' },
    { spanName: 'submit', attributes: [str('event_type', 'submit'), str('target_element', 'FORM')], path: '/login' },
    { spanName: 'documentLoad', attributes: [], path: '/orders' },
  ];
  for (const shape of random.sample(shapes, random.int(1, 3))) {
    const page = `https://${host}${shape.path}`;
    const calls = random.sample(entries, random.int(1, entries.length)).map((service) => ({ service, endpoint: random.pick(service.endpoints.filter((e) => !e.consumer)) }));
    actions.push({ spanName: shape.spanName, attributes: [...shape.attributes, str('url.full', page)], page, calls });
  }
  return actions;
}
