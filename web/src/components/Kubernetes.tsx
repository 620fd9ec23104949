import type { KubernetesContext } from '../types.js';

const FIELDS = ['cluster', 'namespace', 'workload', 'pod', 'node'] as const;

/** Reads a Kubernetes context from an API value typed `unknown` (the overview's instances). */
export function asKubernetes(value: unknown): KubernetesContext {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const text = (key: string) => (typeof record[key] === 'string' ? (record[key] as string) : null);
  return { cluster: text('cluster'), namespace: text('namespace'), workload: text('workload'), pod: text('pod'), node: text('node') };
}

export function hasKubernetes(k8s: KubernetesContext): boolean {
  return FIELDS.some((f) => k8s[f] !== null);
}

/** `namespace / workload` and `pod on node`, compactly, for tables. */
export function KubernetesCell({ k8s }: { readonly k8s: KubernetesContext }) {
  if (!hasKubernetes(k8s)) return <span className="muted">–</span>;
  return (
    <span className="k8s-cell">
      {k8s.namespace !== null || k8s.workload !== null ? (
        <span>{[k8s.namespace, k8s.workload].filter((v) => v !== null).join(' / ')}</span>
      ) : null}
      {k8s.pod !== null || k8s.node !== null ? (
        <span className="muted">
          {k8s.pod ?? ''}
          {k8s.node !== null ? ` on ${k8s.node}` : ''}
        </span>
      ) : null}
      {k8s.cluster !== null ? <span className="muted">cluster {k8s.cluster}</span> : null}
    </span>
  );
}

/** Lists of clusters, namespaces, … as a definition list; rows without values are left out. */
export function KubernetesSummary({ rows }: { readonly rows: readonly { readonly label: string; readonly values: readonly string[] }[] }) {
  const present = rows.filter((r) => r.values.length > 0);
  if (present.length === 0) return <p className="muted">No Kubernetes context: the spans carry no <code>k8s.*</code> resource attributes.</p>;
  return (
    <dl className="definition-list">
      {present.map((r) => (
        <div key={r.label}>
          <dt>{r.label}</dt>
          <dd>
            {r.values.map((v) => (
              <span key={v} className="tag">{v}</span>
            ))}
          </dd>
        </div>
      ))}
    </dl>
  );
}
