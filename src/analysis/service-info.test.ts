import { describe, expect, it } from 'vitest';
import type { AnyValue, KeyValue } from '../model/otlp.js';
import { flattenAnyValue, serviceInfoFromResource, workloadFromPodName } from './service-info.js';

const NO_OPTIONS = { proxyServices: [] };

function attrs(record: Record<string, string | number | boolean>): KeyValue[] {
  return Object.entries(record).map(([key, value]) => ({
    key,
    value:
      typeof value === 'string'
        ? { stringValue: value }
        : typeof value === 'boolean'
          ? { boolValue: value }
          : Number.isInteger(value)
            ? { intValue: BigInt(value) }
            : { doubleValue: value },
  }));
}

describe('serviceInfoFromResource: name and properties (DESIGN.md §2 "Services")', () => {
  it('names the service by service.name and keeps namespace, version and environment as properties', () => {
    const info = serviceInfoFromResource(
      attrs({
        'service.name': 'checkout',
        'service.namespace': 'shop',
        'service.version': '1.4.2',
        'deployment.environment.name': 'prod',
        'deployment.environment': 'legacy-name',
      }),
      NO_OPTIONS,
    );
    expect(info).toMatchObject({ kind: 'service', name: 'checkout', namespace: 'shop', version: '1.4.2', environment: 'prod' });
  });

  it('falls back to deployment.environment', () => {
    expect(serviceInfoFromResource(attrs({ 'service.name': 'a', 'deployment.environment': 'staging' }), NO_OPTIONS).environment).toBe('staging');
  });

  it('names a resource without service.name, or with an empty one, unknown_service', () => {
    expect(serviceInfoFromResource([], NO_OPTIONS).name).toBe('unknown_service');
    expect(serviceInfoFromResource(attrs({ 'service.name': '' }), NO_OPTIONS).name).toBe('unknown_service');
  });

  it('leaves absent properties null', () => {
    const info = serviceInfoFromResource(attrs({ 'service.name': 'a' }), NO_OPTIONS);
    expect(info).toMatchObject({ namespace: null, version: null, environment: null, instance: null, proxy: false });
    expect(info.k8s).toEqual({ cluster: null, node: null, namespace: null, pod: null, workload: null });
  });

  it('keeps the first of repeated keys', () => {
    const info = serviceInfoFromResource(
      [
        { key: 'service.name', value: { stringValue: 'first' } },
        { key: 'service.name', value: { stringValue: 'second' } },
      ],
      NO_OPTIONS,
    );
    expect(info.name).toBe('first');
    expect(info.attributes['service.name']).toBe('first');
  });
});

describe('serviceInfoFromResource: instance', () => {
  it('prefers service.instance.id, then k8s.pod.name, then host.name', () => {
    const all = { 'service.name': 'a', 'service.instance.id': 'i-1', 'k8s.pod.name': 'a-pod', 'host.name': 'host-1' };
    expect(serviceInfoFromResource(attrs(all), NO_OPTIONS).instance).toBe('i-1');
    const { 'service.instance.id': _id, ...podAndHost } = all;
    expect(serviceInfoFromResource(attrs(podAndHost), NO_OPTIONS).instance).toBe('a-pod');
    expect(serviceInfoFromResource(attrs({ 'service.name': 'a', 'host.name': 'host-1' }), NO_OPTIONS).instance).toBe('host-1');
  });

  it('appends process.pid as <base>:<pid> (an integer attribute, as SDKs send it)', () => {
    expect(serviceInfoFromResource(attrs({ 'service.name': 'a', 'host.name': 'host-1', 'process.pid': 4242 }), NO_OPTIONS).instance).toBe(
      'host-1:4242',
    );
    expect(
      serviceInfoFromResource(attrs({ 'service.name': 'a', 'service.instance.id': 'i-1', 'process.pid': 7 }), NO_OPTIONS).instance,
    ).toBe('i-1:7');
  });

  it('names no instance from a pid alone', () => {
    expect(serviceInfoFromResource(attrs({ 'service.name': 'a', 'process.pid': 4242 }), NO_OPTIONS).instance).toBeNull();
  });
});

describe('serviceInfoFromResource: Kubernetes context', () => {
  const pod = { 'service.name': 'checkout', 'k8s.pod.name': 'checkout-7d4f8b9c6-x2x9z' };

  it('reads cluster, node, namespace and pod', () => {
    const info = serviceInfoFromResource(
      attrs({ ...pod, 'k8s.cluster.name': 'eu-1', 'k8s.node.name': 'node-3', 'k8s.namespace.name': 'shop' }),
      NO_OPTIONS,
    );
    expect(info.k8s).toEqual({ cluster: 'eu-1', node: 'node-3', namespace: 'shop', pod: 'checkout-7d4f8b9c6-x2x9z', workload: 'checkout' });
  });

  it('takes the workload from deployment ?? statefulset ?? daemonset ?? job ?? cronjob', () => {
    const chain = [
      ['k8s.deployment.name', 'deploy'],
      ['k8s.statefulset.name', 'sts'],
      ['k8s.daemonset.name', 'ds'],
      ['k8s.job.name', 'job'],
      ['k8s.cronjob.name', 'cron'],
    ] as const;
    for (let i = 0; i < chain.length; i++) {
      const record: Record<string, string> = { ...pod };
      for (const [key, value] of chain.slice(i)) record[key] = value;
      expect(serviceInfoFromResource(attrs(record), NO_OPTIONS).k8s.workload).toBe(chain[i]![1]);
    }
  });

  it('without a workload attribute, cuts the -<replicaset-hash>-<suffix> tail off the pod name', () => {
    expect(serviceInfoFromResource(attrs(pod), NO_OPTIONS).k8s.workload).toBe('checkout');
  });
});

describe('workloadFromPodName', () => {
  it.each([
    ['checkout-7d4f8b9c6-x2x9z', 'checkout'],
    ['payment-service-5f7d8c9b6d-abcde', 'payment-service'],
    ['frontend-bcdfghjkl-mnpqr', 'frontend'],
    ['backup-28391040-tx7kq', 'backup'],
  ])('%s → %s', (name, workload) => {
    expect(workloadFromPodName(name)).toBe(workload);
  });

  it.each(['db-0', 'redis-master-1', 'user-profile-store', 'standalone', 'web-x2x9z', 'a-7d4f8b9c6a1-x2x9z', 'CHECKOUT-7D4F8B9C6-X2X9Z'])(
    'keeps %s as it is',
    (name) => {
      expect(workloadFromPodName(name)).toBe(name);
    },
  );

  it('terminates on a hostile megabyte-long name', () => {
    const name = '-a'.repeat(500_000);
    expect(workloadFromPodName(name)).toBe(name);
  });
});

describe('serviceInfoFromResource: browser applications and proxies', () => {
  it('recognises the OpenTelemetry web SDK (telemetry.sdk.language = webjs) as an application', () => {
    const info = serviceInfoFromResource(attrs({ 'service.name': 'shop-web', 'telemetry.sdk.language': 'webjs' }), NO_OPTIONS);
    expect(info).toMatchObject({ kind: 'application', name: 'shop-web' });
  });

  it('recognises any browser.* attribute', () => {
    expect(serviceInfoFromResource(attrs({ 'service.name': 'shop-web', 'browser.brands': 'Chromium' }), NO_OPTIONS).kind).toBe(
      'application',
    );
    expect(serviceInfoFromResource(attrs({ 'service.name': 'api', 'telemetry.sdk.language': 'nodejs' }), NO_OPTIONS).kind).toBe('service');
  });

  it('marks services listed in proxyServices as proxies', () => {
    const options = { proxyServices: ['edge-proxy'] };
    expect(serviceInfoFromResource(attrs({ 'service.name': 'edge-proxy' }), options).proxy).toBe(true);
    expect(serviceInfoFromResource(attrs({ 'service.name': 'api' }), options).proxy).toBe(false);
  });
});

describe('attribute flattening', () => {
  it('flattens every attribute of the resource to a string', () => {
    const info = serviceInfoFromResource(
      attrs({ 'service.name': 'a', 'k8s.namespace.name': 'dt-orders', 'process.pid': 12, sampled: true, ratio: 0.25 }),
      NO_OPTIONS,
    );
    expect(info.attributes).toEqual({ 'service.name': 'a', 'k8s.namespace.name': 'dt-orders', 'process.pid': '12', sampled: 'true', ratio: '0.25' });
  });

  it.each<[AnyValue, string]>([
    [{ stringValue: 'x' }, 'x'],
    [{ boolValue: false }, 'false'],
    [{ intValue: 9007199254740993n }, '9007199254740993'],
    [{ doubleValue: 1.5 }, '1.5'],
    [{ bytesValue: new Uint8Array([1, 2, 255]) }, 'AQL/'],
    [{ empty: true }, ''],
    [{ arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2n }, { empty: true }] } }, '["a",2,null]'],
    [{ kvlistValue: { values: [{ key: 'k', value: { arrayValue: { values: [{ boolValue: true }] } } }] } }, '{"k":[true]}'],
    [{ arrayValue: { values: [{ doubleValue: Number.NaN }] } }, '["NaN"]'],
  ])('%o → %s', (value, text) => {
    expect(flattenAnyValue(value)).toBe(text);
  });

  it('flattens a 100k-deep nested array without overflowing the stack', () => {
    let value: AnyValue = { stringValue: 'leaf' };
    for (let i = 0; i < 100_000; i++) value = { arrayValue: { values: [value] } };
    const text = flattenAnyValue(value);
    expect(text.length).toBe(200_000 + 6);
    expect(text.startsWith('[[[')).toBe(true);
    expect(text.includes('"leaf"')).toBe(true);
  });
});
