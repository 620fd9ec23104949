import { useState } from 'react';
import { apiUrl, useApi } from '../../api.js';
import { FailureRate } from '../../components/Figures.js';
import { KIND_LABELS, KindIcon } from '../../components/KindIcon.js';
import { KubernetesCell } from '../../components/Kubernetes.js';
import { Loaded } from '../../components/States.js';
import { Tabs, type TabSpec } from '../../components/Tabs.js';
import { formatCount, formatPercent } from '../../format.js';
import { apiParams, type ServiceParams } from '../../params.js';
import { Link, type Location } from '../../router.js';
import { buildHref, servicePath, tracePath } from '../../routes.js';
import type { BacktraceDetailsJson, RequestCount } from '../../types.js';
import type { PlacedNode } from './tree.js';

type TabId = 'requests' | 'failures' | 'stacks' | 'pages' | 'proxies' | 'instances' | 'traces';

/**
 * What one backtrace node stands for: its requests and user actions, and — from
 * `/backtrace/details?path=…` — failure reasons, stack traces, referring pages, proxies,
 * instances and exemplar traces, for exactly the focal calls under that node.
 */
export function BacktraceDetailsPanel({ location, service, params, placed, total, onFilterByChain, onClose }: {
  readonly location: Location;
  readonly service: string;
  readonly params: ServiceParams;
  readonly placed: PlacedNode;
  readonly total: number;
  readonly onFilterByChain: (chain: string) => void;
  readonly onClose: () => void;
}) {
  const { node, depth, pathText, chain } = placed;
  const url = pathText === null ? null : apiUrl(`services/${encodeURIComponent(service)}/backtrace/details`, { ...apiParams(params), path: pathText });
  const details = useApi<BacktraceDetailsJson>(url);
  const [tab, setTab] = useState<TabId>('requests');
  const counts = details.state === 'ok' ? details.data : undefined;
  const tabs: TabSpec<TabId>[] = [
    { id: 'requests', label: node.kind === 'application' ? 'User actions' : 'Requests', count: node.calls.length },
    { id: 'failures', label: 'Failure reasons', ...(counts ? { count: counts.failureReasons.length } : {}) },
    { id: 'stacks', label: 'Stack traces', ...(counts ? { count: counts.stackTraces.length } : {}) },
    { id: 'pages', label: 'Referring pages', ...(counts ? { count: counts.referringPages.length } : {}) },
    { id: 'proxies', label: 'Proxies', ...(counts ? { count: counts.proxies.length } : {}) },
    { id: 'instances', label: 'Instances', ...(counts ? { count: counts.instances.length } : {}) },
    { id: 'traces', label: 'Traces', ...(counts ? { count: counts.exemplarTraceIds.length } : {}) },
  ];
  const via = [...placed.steps.map((s) => s.name), service].join(' → ');

  return (
    <aside className="details-panel" aria-label={`Details of ${node.name}`}>
      <div className="details-head">
        <h2 className="details-title">
          <KindIcon kind={node.kind} size={18} />
          <span>{node.name}</span>
        </h2>
        <button type="button" className="icon-button" aria-label="Close details" onClick={onClose}>×</button>
      </div>
      <p className="muted details-kind">{KIND_LABELS[node.kind]}{depth > 0 ? ` · ${via}` : ' · focal service'}</p>
      <p className="details-figures">
        <strong>{formatCount(node.requests)}</strong> of {formatCount(total)} requests ({formatPercent(total === 0 ? 0 : node.requests / total)}) ·{' '}
        <FailureRate failed={node.failed} requests={node.requests} suffix=" failed" />
      </p>
      <div className="details-actions">
        {depth > 0 ? (
          <button
            type="button"
            className="button button-primary"
            disabled={chain === null}
            title={chain === null ? 'A name on this path contains ">" or ":", which the chain syntax cannot express' : `Show only transactions containing ${chain}`}
            onClick={() => chain !== null && onFilterByChain(chain)}
          >
            Filter by this chain
          </button>
        ) : null}
        {node.kind !== 'unknown' ? (
          <Link className="button" href={buildHref(servicePath(node.name), location.params, { set: { kind: node.kind } })}>Open {node.name}</Link>
        ) : null}
      </div>
      <Tabs tabs={tabs} selected={tab} onSelect={setTab} label="Node details">
        {tab === 'requests' ? (
          <RequestsTab node={placed} service={service} />
        ) : url === null ? (
          <p className="state state-error" role="alert">A name on this path contains “&gt;” or “:”, which the chain syntax of the API cannot express, so its details cannot be queried.</p>
        ) : (
          <Loaded loadable={details} what="node details">
            {(data) => <DetailsTab tab={tab} data={data} location={location} />}
          </Loaded>
        )}
      </Tabs>
    </aside>
  );
}

function CountList({ rows, empty }: { readonly rows: readonly { readonly label: string; readonly count: number; readonly failed?: number }[]; readonly empty: string }) {
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="count-list">
      {rows.map((r) => (
        <li key={r.label}>
          <span className="count-label">{r.label === '' ? '(empty name)' : r.label}</span>
          <span className="count-value">
            {formatCount(r.count)}
            {r.failed !== undefined && r.failed > 0 ? <> · <FailureRate failed={r.failed} requests={r.count} suffix=" failed" /></> : null}
          </span>
        </li>
      ))}
    </ul>
  );
}

const asRows = (counts: readonly RequestCount[]) => counts.map((c) => ({ label: c.name, count: c.requests, failed: c.failed }));

function RequestsTab({ node: placed, service }: { readonly node: PlacedNode; readonly service: string }) {
  const { node, depth, steps } = placed;
  const next = depth > 1 ? steps[1]?.name : service;
  return (
    <>
      <h3 className="tab-heading">{node.kind === 'application' ? 'User actions' : `Requests of ${node.name}`} on these paths</h3>
      <CountList rows={asRows(node.calls)} empty="None" />
      {node.sentToNext !== undefined && depth > 0 ? (
        <>
          <h3 className="tab-heading">Sent to {next}</h3>
          <CountList rows={asRows(node.sentToNext)} empty="None" />
        </>
      ) : null}
    </>
  );
}

function DetailsTab({ tab, data, location }: { readonly tab: TabId; readonly data: BacktraceDetailsJson; readonly location: Location }) {
  switch (tab) {
    case 'requests':
      return null;
    case 'failures':
      return <CountList rows={data.failureReasons.map((r) => ({ label: r.reason, count: r.count }))} empty="No failed requests." />;
    case 'stacks':
      if (data.stackTraces.length === 0) return <p className="muted">No stack traces (exception events with exception.stacktrace).</p>;
      return (
        <>
          {data.stackTraces.map((s) => (
            <figure key={s.stackTrace} className="stack">
              <figcaption>{formatCount(s.count)} requests</figcaption>
              <pre>{s.stackTrace}</pre>
            </figure>
          ))}
        </>
      );
    case 'pages':
      return <CountList rows={data.referringPages.map((r) => ({ label: r.page, count: r.count }))} empty="No referring pages." />;
    case 'proxies':
      return <CountList rows={data.proxies.map((r) => ({ label: r.proxy, count: r.count }))} empty="No proxies on these paths." />;
    case 'instances':
      if (data.instances.length === 0) return <p className="muted">No instances.</p>;
      return (
        <table className="table compact">
          <thead><tr><th>Instance</th><th>Kubernetes</th><th className="num">Requests</th><th className="num">Failed</th></tr></thead>
          <tbody>
            {data.instances.map((i, index) => (
              <tr key={i.instance ?? `none-${index}`}>
                <td>{i.instance ?? <span className="muted">not reported</span>}</td>
                <td><KubernetesCell k8s={i.k8s} /></td>
                <td className="num">{formatCount(i.requests)}</td>
                <td className="num"><FailureRate failed={i.failed} requests={i.requests} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      );
    case 'traces':
      if (data.exemplarTraceIds.length === 0) return <p className="muted">No traces.</p>;
      return (
        <ul className="trace-links">
          {data.exemplarTraceIds.map((id) => (
            <li key={id}><Link href={buildHref(tracePath(id), location.params)} className="mono">{id}</Link></li>
          ))}
        </ul>
      );
  }
}
