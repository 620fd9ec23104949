import { useMemo } from 'react';
import { apiUrl, useApi } from '../api.js';
import { FailureRate } from '../components/Figures.js';
import { KIND_LABELS, KindIcon } from '../components/KindIcon.js';
import { Empty, Loaded } from '../components/States.js';
import { formatCount, formatDuration } from '../format.js';
import { Link, navigate, type Location } from '../router.js';
import { buildHref, servicePath, withParams } from '../routes.js';
import type { ServiceListJson, ServiceRow } from '../types.js';

type SortKey = 'name' | 'kind' | 'requests' | 'failureRate' | 'p50' | 'p90' | 'callers' | 'callees' | 'instances' | 'namespace' | 'workload';

interface Column {
  readonly key: SortKey;
  readonly label: string;
  readonly numeric: boolean;
  readonly value: (row: ServiceRow) => number | string;
}

const COLUMNS: readonly Column[] = [
  { key: 'name', label: 'Service', numeric: false, value: (r) => r.name },
  { key: 'kind', label: 'Kind', numeric: false, value: (r) => r.kind },
  { key: 'requests', label: 'Requests', numeric: true, value: (r) => r.requests },
  { key: 'failureRate', label: 'Failure rate', numeric: true, value: (r) => r.failureRate },
  { key: 'p50', label: 'p50', numeric: true, value: (r) => r.durationMs.p50 },
  { key: 'p90', label: 'p90', numeric: true, value: (r) => r.durationMs.p90 },
  { key: 'callers', label: 'Callers', numeric: true, value: (r) => r.callers },
  { key: 'callees', label: 'Callees', numeric: true, value: (r) => r.callees },
  { key: 'instances', label: 'Instances', numeric: true, value: (r) => r.instances },
  { key: 'namespace', label: 'Namespace', numeric: false, value: (r) => r.k8s.namespaces.join(', ') },
  { key: 'workload', label: 'Workload', numeric: false, value: (r) => r.k8s.workloads.join(', ') },
];

const KIND_FILTERS = ['service', 'application', 'database', 'messaging', 'external'] as const;

function sortState(params: URLSearchParams): { column: Column; descending: boolean } {
  const column = COLUMNS.find((c) => c.key === params.get('sort')) ?? COLUMNS[2]!;
  const dir = params.get('dir');
  return { column, descending: dir === null ? column.numeric : dir === 'desc' };
}

function compare(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

/** `/services`: every service with calls in the window, sortable, searchable, by zone. */
export function ServicesPage({ location }: { readonly location: Location }) {
  const p = location.params;
  const list = useApi<ServiceListJson>(apiUrl('services', { from: p.get('from'), to: p.get('to'), zone: p.get('zone') }));
  const search = p.get('q') ?? '';
  const type = p.get('type') ?? '';
  return (
    <section className="page">
      <header className="page-header">
        <div className="page-title-row">
          <h1 className="page-title">Services</h1>
        </div>
        <div className="toolbar">
          <input
            type="search"
            className="search"
            placeholder="Search services"
            aria-label="Search services"
            value={search}
            onChange={(e) => navigate(withParams(location, { q: e.target.value === '' ? undefined : e.target.value }), { replace: true })}
          />
          <select aria-label="Kind" value={type} onChange={(e) => navigate(withParams(location, { type: e.target.value === '' ? undefined : e.target.value }), { replace: true })}>
            <option value="">All kinds</option>
            {KIND_FILTERS.map((k) => (
              <option key={k} value={k}>{KIND_LABELS[k]}</option>
            ))}
          </select>
        </div>
      </header>
      <Loaded loadable={list} what="services">
        {(data) => <ServicesTable location={location} rows={data.services} search={search} type={type} />}
      </Loaded>
    </section>
  );
}

function ServicesTable({ location, rows, search, type }: { readonly location: Location; readonly rows: readonly ServiceRow[]; readonly search: string; readonly type: string }) {
  const { column, descending } = sortState(location.params);
  const visible = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const filtered = rows.filter((r) => (type === '' || r.kind === type) && (needle === '' || r.name.toLowerCase().includes(needle)));
    return filtered.sort((a, b) => {
      const order = compare(column.value(a), column.value(b)) || a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind);
      return descending ? -order : order;
    });
  }, [rows, search, type, column, descending]);

  if (rows.length === 0) {
    return <Empty title="No requests in this timeframe" hint="Choose a longer timeframe, or send traces to the OTLP receivers (gRPC :4317, HTTP :4318)." />;
  }
  const totalRequests = rows.reduce((n, r) => n + r.requests, 0);
  const totalFailed = rows.reduce((n, r) => n + r.failed, 0);
  const sortHref = (c: Column) =>
    withParams(location, { sort: c.key, dir: c.key === column.key ? (descending ? 'asc' : 'desc') : c.numeric ? 'desc' : 'asc' });

  return (
    <>
      <p className="summary" aria-live="polite">
        {visible.length === rows.length ? `${rows.length} services` : `${visible.length} of ${rows.length} services`} · {formatCount(totalRequests)} requests ·{' '}
        <FailureRate failed={totalFailed} requests={totalRequests} suffix=" failed" />
      </p>
      {visible.length === 0 ? (
        <Empty title="No service matches the search" hint="Clear the search or the kind filter." />
      ) : (
        <div className="table-scroll">
          <table className="table services-table">
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th key={c.key} className={c.numeric ? 'num' : undefined} aria-sort={c.key === column.key ? (descending ? 'descending' : 'ascending') : 'none'}>
                    <button type="button" className="sort-button" onClick={() => navigate(sortHref(c), { replace: true })}>
                      {c.label}
                      <span className="sort-mark" aria-hidden="true">{c.key === column.key ? (descending ? '▼' : '▲') : ''}</span>
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {visible.map((r) => (
                <tr key={`${r.kind}:${r.name}`}>
                  <td>
                    <Link className="service-link" href={buildHref(servicePath(r.name), location.params, { set: { kind: r.kind } })}>
                      <KindIcon kind={r.kind} />
                      <span>{r.name}</span>
                    </Link>
                  </td>
                  <td className="muted">{KIND_LABELS[r.kind]}</td>
                  <td className="num">{formatCount(r.requests)}</td>
                  <td className="num"><FailureRate failed={r.failed} requests={r.requests} /></td>
                  <td className="num">{formatDuration(r.durationMs.p50)}</td>
                  <td className="num">{formatDuration(r.durationMs.p90)}</td>
                  <td className="num">{r.callers}</td>
                  <td className="num">{r.callees}</td>
                  <td className="num">{r.instances}</td>
                  <td className="muted">{r.k8s.namespaces.join(', ')}</td>
                  <td className="muted">{r.k8s.workloads.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
