import { apiUrl, useApi } from '../api.js';
import { FailureRate } from '../components/Figures.js';
import { KIND_LABELS, KindIcon } from '../components/KindIcon.js';
import { asKubernetes, KubernetesCell, KubernetesSummary } from '../components/Kubernetes.js';
import { ServiceHeader } from '../components/ServiceHeader.js';
import { Empty, Loaded } from '../components/States.js';
import { formatCount, formatDuration } from '../format.js';
import { apiParams, serviceParams } from '../params.js';
import { Link, type Location } from '../router.js';
import { buildHref, SERVICE_PARAMS, servicePath } from '../routes.js';
import type { CallerKind, ServiceOverviewJson } from '../types.js';

interface Hop {
  readonly kind: CallerKind;
  readonly name: string;
  readonly calls: number;
  readonly failed: number;
}

/** `/services/{service}`: callers → service → callees, request names, instances, Kubernetes. */
export function ServiceOverviewPage({ location, service }: { readonly location: Location; readonly service: string }) {
  const params = serviceParams(location);
  const overview = useApi<ServiceOverviewJson>(apiUrl(`services/${encodeURIComponent(service)}`, apiParams(params)));
  const kind = overview.state === 'ok' ? overview.data.kind : params.kind;
  const here = (view: 'backtrace' | 'flow') => buildHref(servicePath(service, view), location.params, { keep: SERVICE_PARAMS, set: { kind: kind ?? undefined } });
  return (
    <section className="page">
      <ServiceHeader location={location} service={service} kind={kind} view="overview">
        <Link className="button button-primary" href={here('backtrace')}>Analyze backtrace</Link>
        <Link className="button" href={here('flow')}>View service flow</Link>
      </ServiceHeader>
      <Loaded loadable={overview} what="the service overview">
        {(data) =>
          data.requests === 0 ? (
            <Empty title="No requests in this timeframe" hint={`${service} handled no requests in the selected timeframe. Choose a longer one.`} />
          ) : (
            <OverviewBody location={location} data={data} />
          )
        }
      </Loaded>
    </section>
  );
}

function OverviewBody({ location, data }: { readonly location: Location; readonly data: ServiceOverviewJson }) {
  const hopHref = (hop: Hop) => (hop.kind === 'unknown' ? null : buildHref(servicePath(hop.name), location.params, { set: { kind: hop.kind } }));
  const requestHref = (request: string) => buildHref(servicePath(data.service, 'backtrace'), location.params, { keep: SERVICE_PARAMS, set: { kind: data.kind, request } });
  return (
    <>
      <div className="infographic" aria-label="Callers and callees">
        <div className="info-column">
          <h2 className="info-heading">Callers</h2>
          {data.callers.map((hop) => <HopCard key={`${hop.kind}:${hop.name}`} hop={hop} href={hopHref(hop)} unit="calls" />)}
          {data.startedHere > 0 ? (
            <div className="hop-card hop-origin">
              <span className="hop-name">Requests started here</span>
              <span className="hop-figures">{formatCount(data.startedHere)} requests</span>
            </div>
          ) : null}
          {data.callers.length === 0 && data.startedHere === 0 ? <p className="muted">No callers</p> : null}
        </div>
        <div className="info-arrow" aria-hidden="true">→</div>
        <div className="info-column info-focal">
          <div className="focal-card">
            <KindIcon kind={data.kind} size={28} />
            <span className="focal-name">{data.service}</span>
            <span className="muted">{KIND_LABELS[data.kind]}</span>
            <div className="focal-figures">
              <div><span className="figure">{formatCount(data.requests)}</span><span className="figure-label">requests</span></div>
              <div><span className="figure"><FailureRate failed={data.failed} requests={data.requests} /></span><span className="figure-label">failed ({formatCount(data.failed)})</span></div>
              <div><span className="figure">{data.instances.length}</span><span className="figure-label">instances</span></div>
            </div>
          </div>
        </div>
        <div className="info-arrow" aria-hidden="true">→</div>
        <div className="info-column">
          <h2 className="info-heading">Callees</h2>
          {data.callees.map((hop) => <HopCard key={`${hop.kind}:${hop.name}`} hop={hop} href={hopHref(hop)} unit="calls" />)}
          {data.callees.length === 0 ? <p className="muted">Calls nothing</p> : null}
        </div>
      </div>

      <div className="panel">
        <h2 className="panel-title">{data.kind === 'application' ? 'User actions' : 'Requests'}</h2>
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr><th>Name</th><th className="num">Requests</th><th className="num">Failure rate</th><th className="num">p50</th><th className="num">p90</th><th className="num">p99</th></tr>
            </thead>
            <tbody>
              {data.requestNames.map((r) => (
                <tr key={r.name}>
                  <td><Link href={requestHref(r.name)} title="Backtrace of this request">{r.name === '' ? '(empty name)' : r.name}</Link></td>
                  <td className="num">{formatCount(r.requests)}</td>
                  <td className="num"><FailureRate failed={r.failed} requests={r.requests} /></td>
                  <td className="num">{formatDuration(r.durationMs.p50)}</td>
                  <td className="num">{formatDuration(r.durationMs.p90)}</td>
                  <td className="num">{formatDuration(r.durationMs.p99)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>

      <div className="panel-row">
        <div className="panel">
          <h2 className="panel-title">Instances</h2>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr><th>Instance</th><th>Kubernetes</th><th className="num">Requests</th><th className="num">Failure rate</th><th className="num">p50</th></tr>
              </thead>
              <tbody>
                {data.instances.map((i, index) => (
                  <tr key={i.instance ?? `none-${index}`}>
                    <td>{i.instance ?? <span className="muted">not reported</span>}</td>
                    <td><KubernetesCell k8s={asKubernetes(i.k8s)} /></td>
                    <td className="num">{formatCount(i.requests)}</td>
                    <td className="num"><FailureRate failed={i.failed} requests={i.requests} /></td>
                    <td className="num">{formatDuration(i.durationMs.p50)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
        <div className="panel">
          <h2 className="panel-title">Kubernetes</h2>
          <KubernetesSummary
            rows={[
              { label: 'Cluster', values: data.k8s.clusters },
              { label: 'Namespace', values: data.k8s.namespaces },
              { label: 'Workload', values: data.k8s.workloads },
              { label: 'Node', values: data.k8s.nodes },
              { label: 'Pod', values: data.k8s.pods },
            ]}
          />
        </div>
      </div>
    </>
  );
}

function HopCard({ hop, href, unit }: { readonly hop: Hop; readonly href: string | null; readonly unit: string }) {
  const body = (
    <>
      <span className="hop-name"><KindIcon kind={hop.kind} /><span>{hop.name}</span></span>
      <span className="hop-figures">
        {formatCount(hop.calls)} {unit} · <FailureRate failed={hop.failed} requests={hop.calls} suffix=" failed" />
      </span>
    </>
  );
  return href === null ? <div className="hop-card">{body}</div> : <Link className="hop-card" href={href}>{body}</Link>;
}
