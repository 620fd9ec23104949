import type { AnyValue, KeyValue } from '../model/otlp.js';
import type { KubernetesContext, ServiceInfo } from '../model/service.js';

/** Configuration that shapes service identity. */
export interface ServiceInfoOptions {
  /** Service names configured as proxies (DESIGN.md §2 "Proxies": "when configured so"). */
  readonly proxyServices: readonly string[];
}

/** DESIGN.md §2: the name of an instrumented service whose resource has no (or an empty) `service.name`. */
export const UNKNOWN_SERVICE_NAME = 'unknown_service';

/**
 * Normalizes a resource's attributes into the service identity of DESIGN.md §2 "Services".
 *
 * - `name`: `service.name`; missing or empty → `unknown_service`. Not trimmed.
 * - `namespace`, `version`: `service.namespace`, `service.version`.
 * - `environment`: `deployment.environment.name` ?? `deployment.environment`.
 * - `instance`: `service.instance.id` ?? `k8s.pod.name` ?? `host.name`; when `process.pid` is present
 *   it is appended to whichever of the three was chosen as `<base>:<pid>` (e.g. `host-1:4242`,
 *   `checkout-7d4f8b9c6-x2x9z:1`). With none of the three the instance is null, even with a pid:
 *   a pid alone names no instance.
 * - `k8s`: see {@link kubernetesContext}.
 * - `kind`: `application` for a browser application (`telemetry.sdk.language = webjs`, or any
 *   attribute whose key starts with `browser.`), else `service`.
 * - `proxy`: the name is listed in `options.proxyServices`. (Envoy-style proxy spans are judged
 *   per span during call derivation.)
 * - `attributes`: every attribute flattened by {@link flattenAnyValue}.
 *
 * An attribute whose value flattens to '' counts as absent for every field above. When a key
 * repeats (OTLP forbids it, but a hostile sender may), the first occurrence wins.
 */
export function serviceInfoFromResource(attributes: readonly KeyValue[], options: ServiceInfoOptions): ServiceInfo {
  const flat: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const { key, value } of attributes) {
    if (!(key in flat)) flat[key] = flattenAnyValue(value);
  }
  const get = (key: string): string | null => {
    const value = flat[key];
    return value === undefined || value === '' ? null : value;
  };

  const name = get('service.name') ?? UNKNOWN_SERVICE_NAME;
  const base = get('service.instance.id') ?? get('k8s.pod.name') ?? get('host.name');
  const pid = get('process.pid');
  const browser = get('telemetry.sdk.language') === 'webjs' || Object.keys(flat).some((key) => key.startsWith('browser.'));

  return {
    kind: browser ? 'application' : 'service',
    name,
    namespace: get('service.namespace'),
    version: get('service.version'),
    environment: get('deployment.environment.name') ?? get('deployment.environment'),
    instance: base === null ? null : pid === null ? base : `${base}:${pid}`,
    k8s: kubernetesContext(get),
    proxy: options.proxyServices.includes(name),
    attributes: { ...flat },
  };
}

/**
 * DESIGN.md §2 "Kubernetes context". `workload` = `k8s.deployment.name` ?? `k8s.statefulset.name`
 * ?? `k8s.daemonset.name` ?? `k8s.job.name` ?? `k8s.cronjob.name` ?? {@link workloadFromPodName}.
 */
function kubernetesContext(get: (key: string) => string | null): KubernetesContext {
  const pod = get('k8s.pod.name');
  return {
    cluster: get('k8s.cluster.name'),
    node: get('k8s.node.name'),
    namespace: get('k8s.namespace.name'),
    pod,
    workload:
      get('k8s.deployment.name') ??
      get('k8s.statefulset.name') ??
      get('k8s.daemonset.name') ??
      get('k8s.job.name') ??
      get('k8s.cronjob.name') ??
      (pod === null ? null : workloadFromPodName(pod)),
  };
}

/**
 * Kubernetes names the pods of a Deployment `<deployment>-<pod-template-hash>-<suffix>`: the hash
 * is 1–10 characters and the suffix 5, both drawn from the alphabet `bcdfghjklmnpqrstvwxz2456789`
 * (apimachinery's SafeEncodeString: no vowels, no 0/1/3, so they never spell words). CronJob pods
 * (`<cronjob>-<scheduled-minute>-<suffix>`) have the same shape.
 */
const REPLICASET_TAIL = /^(.+)-([a-z0-9]{1,10})-[a-z0-9]{5}$/;
const SAFE_ALPHABET_ONLY = /^[bcdfghjklmnpqrstvwxz2456789]+$/;
const HAS_DIGIT = /[0-9]/;

/**
 * The heuristic workload of a pod that names none (DESIGN.md §2): the pod name without its
 * `-<replicaset-hash>-<suffix>` tail, e.g. `checkout-7d4f8b9c6-x2x9z` → `checkout`.
 *
 * The tail is recognised when the suffix is 5 lower-case alphanumerics and the hash either uses
 * only Kubernetes' safe alphabet (above) or is alphanumeric with at least one digit (hand-made
 * names such as `web-5f7d8c9b6d-abcde`), at most 10 characters. So word-like names keep their
 * meaning: `user-profile-store` is not cut. A pod name with no such tail is its own workload:
 * StatefulSet pods (`db-0`) and bare pods are kept as they are.
 */
export function workloadFromPodName(pod: string): string {
  const match = REPLICASET_TAIL.exec(pod);
  const workload = match?.[1];
  const hash = match?.[2];
  if (workload === undefined || hash === undefined) return pod;
  return SAFE_ALPHABET_ONLY.test(hash) || HAS_DIGIT.test(hash) ? workload : pod;
}

/**
 * An attribute value as one string, as zone rules compare them: strings as they are; booleans
 * `true`/`false`; integers in decimal; doubles as JavaScript prints them (`1.5`, `NaN`); bytes in
 * base64 (as OTLP/JSON writes them); an empty value as ''; arrays and key-value lists as JSON
 * (`["a",1]`, `{"k":"v"}`), with integers as JSON numbers, bytes as base64 strings and empty
 * values as `null`.
 */
export function flattenAnyValue(value: AnyValue): string {
  if ('stringValue' in value) return value.stringValue;
  if ('arrayValue' in value || 'kvlistValue' in value) return nestedJson(value);
  return scalarText(value);
}

function scalarText(value: AnyValue): string {
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue ? 'true' : 'false';
  if ('intValue' in value) return value.intValue.toString();
  if ('doubleValue' in value) return String(value.doubleValue);
  if ('bytesValue' in value) return Buffer.from(value.bytesValue).toString('base64');
  return '';
}

/**
 * JSON of a nested value, without recursion on the JS stack: a hostile resource may nest arrays
 * arbitrarily deep. Frames hold the values still to write at one level.
 */
function nestedJson(root: AnyValue): string {
  let out = '';
  const stack: { items: readonly (AnyValue | KeyValue)[]; index: number; close: string }[] = [];
  const open = (value: AnyValue): void => {
    if ('arrayValue' in value) {
      out += '[';
      stack.push({ items: value.arrayValue.values, index: 0, close: ']' });
    } else if ('kvlistValue' in value) {
      out += '{';
      stack.push({ items: value.kvlistValue.values, index: 0, close: '}' });
    } else if ('stringValue' in value || 'bytesValue' in value) {
      out += JSON.stringify(scalarText(value));
    } else if ('empty' in value) {
      out += 'null';
    } else if ('doubleValue' in value && !Number.isFinite(value.doubleValue)) {
      out += JSON.stringify(String(value.doubleValue));
    } else {
      out += scalarText(value);
    }
  };
  open(root);
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    const item = frame.items[frame.index];
    if (item === undefined) {
      out += frame.close;
      stack.pop();
      continue;
    }
    if (frame.index > 0) out += ',';
    frame.index++;
    if ('key' in item) {
      out += `${JSON.stringify(item.key)}:`;
      open(item.value);
    } else {
      open(item);
    }
  }
  return out;
}
