/**
 * deploy/kubernetes and the demo's config: every YAML file parses, the objects reference each
 * other consistently (selectors, named ports, config keys, service accounts), the Tributary
 * config files pass Tributary's own loader, and the Collector routes by trace ID after adding
 * Kubernetes context. There is no cluster here, so this is what can be checked without one.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { repoRoot } from '../harness/server.js';

const manifestsDir = path.join(repoRoot, 'deploy/kubernetes');

// Kubernetes objects are checked field by field below; `any` keeps those paths readable.
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [key: string]: any };

function readManifests(): { file: string; object: K8sObject }[] {
  const all: { file: string; object: K8sObject }[] = [];
  for (const file of readdirSync(manifestsDir).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const document of parseAllDocuments(readFileSync(path.join(manifestsDir, file), 'utf8'))) {
      expect(document.errors, `${file}: ${document.errors.join('; ')}`).toEqual([]);
      const object = document.toJS() as K8sObject | null;
      if (object !== null) all.push({ file, object });
    }
  }
  return all;
}

const objects = readManifests().map((m) => m.object);
const find = (kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
};

/** Runs Tributary's config loader on YAML text, as `--config FILE` would. */
function loadTributaryConfig(text: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tributary-config-'));
  try {
    const file = path.join(dir, 'tributary.yaml');
    writeFileSync(file, text);
    return loadConfig({ configFile: file, env: {} });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('deploy/kubernetes', () => {
  it('every object has apiVersion, kind and a name, and namespaced ones live in the tributary namespace', () => {
    expect(objects.length).toBeGreaterThanOrEqual(10);
    find('Namespace', 'tributary');
    for (const object of objects) {
      expect(object.apiVersion).toMatch(/^(v1|apps\/v1|rbac\.authorization\.k8s\.io\/v1)$/);
      expect(object.metadata.name).toMatch(/^[a-z0-9-]+$/);
      const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(object.kind);
      expect(object.metadata.namespace).toBe(clusterScoped ? undefined : 'tributary');
    }
  });

  it('Tributary runs as one StatefulSet replica with its DuckDB data on a persistent volume claim', () => {
    const statefulSet = find('StatefulSet', 'tributary');
    expect(statefulSet.spec.replicas).toBe(1);
    const container = statefulSet.spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ TRIBUTARY_HOST: '0.0.0.0', TRIBUTARY_DATA: '/var/lib/tributary', TRIBUTARY_CONFIG: '/etc/tributary/tributary.yaml' });

    const claim = statefulSet.spec.volumeClaimTemplates[0];
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(claim.spec.resources.requests.storage).toMatch(/^\d+Gi$/);
    expect(container.volumeMounts).toContainEqual(expect.objectContaining({ name: claim.metadata.name, mountPath: env.TRIBUTARY_DATA }));

    expect(container.ports.map((p: { containerPort: number }) => p.containerPort).sort()).toEqual([4317, 4318, 8686]);
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
  });

  it('the ConfigMap holds a config file Tributary accepts, mounted where TRIBUTARY_CONFIG points', () => {
    const configMap = find('ConfigMap', 'tributary-config');
    const result = loadTributaryConfig(configMap.data['tributary.yaml']);
    expect(result).toMatchObject({ ok: true, warnings: [] });
    if (!result.ok) return;
    expect(result.config.zones.map((z) => z.name)).toContain('dt-orders-k8');

    const pod = find('StatefulSet', 'tributary').spec.template.spec;
    const volume = pod.volumes.find((v: { configMap?: { name: string } }) => v.configMap?.name === 'tributary-config');
    expect(pod.containers[0].volumeMounts).toContainEqual(expect.objectContaining({ name: volume.name, mountPath: '/etc/tributary' }));
  });

  it('Services select existing pods and target ports their containers name', () => {
    const workloads = objects.filter((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment');
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const workload = workloads.find((w) => Object.entries(service.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
      expect(workload, `Service ${service.metadata.name} selects no workload`).toBeDefined();
      const portNames = workload!.spec.template.spec.containers.flatMap((c: { ports: { name: string }[] }) => c.ports.map((p) => p.name));
      for (const port of service.spec.ports) expect(portNames, `${service.metadata.name}:${port.name}`).toContain(port.targetPort);
    }
    for (const workload of workloads) expect(workload.spec.selector.matchLabels).toEqual(expect.objectContaining(workload.spec.template.metadata.labels));
    const headless = find('Service', 'tributary-ingest');
    expect(headless.spec.clusterIP).toBe('None');
    expect(find('StatefulSet', 'tributary').spec.serviceName).toBe('tributary-ingest');
  });

  describe('the OpenTelemetry Collector', () => {
    const deployment = find('Deployment', 'otel-collector');
    const configMap = find('ConfigMap', 'otel-collector-config');
    const config = parse(configMap.data['collector.yaml']) as any;

    it('adds Kubernetes context with k8sattributes before routing by trace ID with loadbalancing', () => {
      const pipeline = config.service.pipelines.traces;
      expect(pipeline.receivers).toEqual(['otlp']);
      expect(pipeline.processors).toContain('k8sattributes');
      expect(pipeline.exporters).toEqual(['loadbalancing']);
      for (const name of pipeline.processors) expect(config.processors, name).toHaveProperty([name]);
      for (const name of config.service.extensions) expect(config.extensions, name).toHaveProperty([name]);

      expect(config.processors.k8sattributes.extract.metadata).toEqual(expect.arrayContaining(
        ['k8s.namespace.name', 'k8s.pod.name', 'k8s.node.name', 'k8s.deployment.name', 'k8s.statefulset.name'],
      ));
      expect(config.exporters.loadbalancing.routing_key).toBe('traceID');
      expect(config.receivers.otlp.protocols).toHaveProperty('grpc');
      expect(config.receivers.otlp.protocols).toHaveProperty('http');
    });

    it('resolves the headless tributary-ingest Service on the OTLP/gRPC port', () => {
      const resolver = config.exporters.loadbalancing.resolver.k8s;
      const [serviceName, namespace] = String(resolver.service).split('.');
      const service = find('Service', serviceName!);
      expect(service.metadata.namespace).toBe(namespace);
      expect(service.spec.clusterIP).toBe('None');
      expect(resolver.ports).toEqual(service.spec.ports.map((p: { port: number }) => p.port));
      expect(resolver.ports).toEqual([4317]);
    });

    it('runs the contrib image with that config, under a service account allowed to read pods and endpoints', () => {
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      expect(container.image).toMatch(/^otel\/opentelemetry-collector-contrib:/);
      const volume = pod.volumes.find((v: { configMap?: { name: string } }) => v.configMap?.name === configMap.metadata.name);
      const mount = container.volumeMounts.find((m: { name: string }) => m.name === volume.name);
      expect(container.args).toContain(`--config=${mount.mountPath}/collector.yaml`);
      expect(container.env).toContainEqual({ name: 'K8S_CLUSTER_NAME', value: expect.any(String) });

      const binding = find('ClusterRoleBinding', 'tributary-otel-collector');
      expect(binding.subjects).toContainEqual({ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'tributary' });
      find('ServiceAccount', pod.serviceAccountName);
      const role = find('ClusterRole', binding.roleRef.name);
      const allowed = role.rules.flatMap((r: { resources: string[]; verbs: string[] }) => (r.verbs.includes('watch') ? r.resources : []));
      expect(allowed).toEqual(expect.arrayContaining(['pods', 'namespaces', 'replicasets', 'endpointslices']));
    });
  });
});

describe('demo/tributary.yaml', () => {
  it('is a config Tributary accepts, with the dt-orders-k8 zone over the dt-orders namespace', () => {
    const result = loadTributaryConfig(readFileSync(path.join(repoRoot, 'demo/tributary.yaml'), 'utf8'));
    expect(result).toMatchObject({ ok: true, warnings: [] });
    if (!result.ok) return;
    expect(result.config.zones).toEqual([
      { name: 'dt-orders-k8', match: 'all', rules: [{ attribute: 'k8s.namespace.name', equals: 'dt-orders' }] },
    ]);
  });
});
