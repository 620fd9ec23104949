import { useEffect, useState, type FormEvent } from 'react';
import { apiUrl, useApi } from '../api.js';
import { ShareBar } from '../components/Figures.js';
import { FilterChip } from '../components/FilterChip.js';
import { KindIcon } from '../components/KindIcon.js';
import { Empty, Loaded } from '../components/States.js';
import { formatCount, formatDuration, formatTime, nanosToMs } from '../format.js';
import { Link, navigate, type Location } from '../router.js';
import { buildHref, tracePath, withParams } from '../routes.js';
import type { ServiceListJson, TraceListJson } from '../types.js';

const FILTER_PARAMS = ['service', 'kind', 'request', 'chain', 'failed', 'minDurationMs'] as const;
const LIST_LIMIT = 100;

/** `/traces`: the newest traces in the window, by service, request, chain, failures and duration. */
export function TracesPage({ location }: { readonly location: Location }) {
  const p = location.params;
  const query: Record<string, string | null> = { from: p.get('from'), to: p.get('to'), zone: p.get('zone'), limit: String(LIST_LIMIT) };
  for (const name of FILTER_PARAMS) query[name] = p.get(name);
  const traces = useApi<TraceListJson>(apiUrl('traces', query));
  const chain = p.get('chain');
  return (
    <section className="page">
      <header className="page-header">
        <div className="page-title-row"><h1 className="page-title">Traces</h1></div>
        <TraceFilters location={location} />
        {chain !== null ? (
          <div className="chips" aria-label="Active filters">
            <FilterChip label="Chain" value={chain} onRemove={() => navigate(withParams(location, { chain: undefined }))} />
          </div>
        ) : null}
      </header>
      <Loaded loadable={traces} what="traces">
        {(data) =>
          data.traces.length === 0 ? (
            <Empty title="No traces in this timeframe" hint="Choose a longer timeframe or loosen the filters." />
          ) : (
            <TraceTable location={location} data={data} />
          )
        }
      </Loaded>
    </section>
  );
}

function TraceFilters({ location }: { readonly location: Location }) {
  const p = location.params;
  const [service, setService] = useState(p.get('service') ?? '');
  const [request, setRequest] = useState(p.get('request') ?? '');
  const [failed, setFailed] = useState(p.get('failed') === 'true');
  const [minDuration, setMinDuration] = useState(p.get('minDurationMs') ?? '');
  // The form follows the URL when it changes from outside (Back, a link, a removed chip).
  useEffect(() => {
    setService(p.get('service') ?? '');
    setRequest(p.get('request') ?? '');
    setFailed(p.get('failed') === 'true');
    setMinDuration(p.get('minDurationMs') ?? '');
  }, [p]);
  const services = useApi<ServiceListJson>(apiUrl('services', { from: p.get('from'), to: p.get('to'), zone: p.get('zone') }));
  const names = services.state === 'ok' ? [...new Set(services.data.services.map((s) => s.name))] : [];

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const serviceChanged = service.trim() !== (p.get('service') ?? '');
    navigate(withParams(location, {
      service: service.trim() === '' ? undefined : service.trim(),
      // A kind belongs to the service it came with.
      ...(serviceChanged ? { kind: undefined } : {}),
      request: service.trim() === '' || request === '' ? undefined : request,
      failed: failed ? 'true' : undefined,
      minDurationMs: minDuration.trim() === '' ? undefined : minDuration.trim(),
    }));
  };
  return (
    <form className="toolbar filters" onSubmit={apply} aria-label="Trace filters">
      <label className="control">
        <span className="control-label">Service</span>
        <input type="text" list="service-names" value={service} onChange={(e) => setService(e.target.value)} placeholder="any" aria-label="Service" />
        <datalist id="service-names">{names.map((n) => <option key={n} value={n} />)}</datalist>
      </label>
      <label className="control">
        <span className="control-label">Request</span>
        <input type="text" value={request} onChange={(e) => setRequest(e.target.value)} placeholder={service.trim() === '' ? 'choose a service first' : 'any'} disabled={service.trim() === ''} aria-label="Request" />
      </label>
      <label className="control">
        <span className="control-label">Min duration (ms)</span>
        <input type="number" min="0" step="any" value={minDuration} onChange={(e) => setMinDuration(e.target.value)} aria-label="Minimum duration in milliseconds" className="narrow" />
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={failed} onChange={(e) => setFailed(e.target.checked)} />
        Failed only
      </label>
      <button type="submit" className="button button-primary">Apply</button>
    </form>
  );
}

function TraceTable({ location, data }: { readonly location: Location; readonly data: TraceListJson }) {
  const longest = data.traces.reduce((max, t) => Math.max(max, t.durationMs), 0);
  return (
    <>
      <p className="summary">
        {data.traces.length < LIST_LIMIT ? `${data.traces.length} traces, newest first` : `The newest ${LIST_LIMIT} traces: narrow the timeframe or the filters to see older ones`}
      </p>
      <div className="table-scroll">
        <table className="table traces-table">
          <thead>
            <tr><th>Start</th><th>Root</th><th className="num">Duration</th><th className="num">Spans</th><th className="num">Errors</th><th>Trace ID</th></tr>
          </thead>
          <tbody>
            {data.traces.map((t) => (
              <tr key={t.traceId}>
                <td className="nowrap">{formatTime(nanosToMs(t.startTimeUnixNano))}</td>
                <td>
                  <Link href={buildHref(tracePath(t.traceId), location.params)} className="trace-root">
                    <KindIcon kind={t.rootKind} />
                    <span className="trace-root-service">{t.rootService}</span>
                    <span className="trace-root-request">{t.rootRequest === '' ? '(empty name)' : t.rootRequest}</span>
                  </Link>
                </td>
                <td className="num duration-cell">
                  <span>{formatDuration(t.durationMs)}</span>
                  <ShareBar share={longest === 0 ? 0 : t.durationMs / longest} />
                </td>
                <td className="num">{formatCount(t.spanCount)}</td>
                <td className="num">{t.errorCount > 0 ? <span className="failure failure-some">{t.errorCount}</span> : <span className="muted">0</span>}</td>
                <td className="mono muted">{t.traceId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
