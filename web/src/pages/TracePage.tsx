import { useMemo } from 'react';
import { apiUrl, useApi } from '../api.js';
import { FailureRate } from '../components/Figures.js';
import { asCallerKind, KindIcon } from '../components/KindIcon.js';
import { Loaded } from '../components/States.js';
import { formatCount, formatDuration, formatTime } from '../format.js';
import { Link, navigate, type Location } from '../router.js';
import { buildHref, servicePath, withParams } from '../routes.js';
import type { TraceJson } from '../types.js';
import { buildTraceModel } from './trace/model.js';
import { SpanDetails } from './trace/SpanDetails.js';
import { Waterfall } from './trace/Waterfall.js';

/** `/traces/{traceId}`: the waterfall, with the derived service calls marked. */
export function TracePage({ location, traceId }: { readonly location: Location; readonly traceId: string }) {
  const trace = useApi<TraceJson>(apiUrl(`traces/${encodeURIComponent(traceId)}`));
  return (
    <section className="page">
      <header className="page-header">
        <nav className="breadcrumb" aria-label="Breadcrumb">
          <Link href={buildHref('/traces', location.params)}>Traces</Link>
          <span aria-hidden="true">›</span>
          <span className="mono">{traceId}</span>
        </nav>
      </header>
      <Loaded loadable={trace} what="the trace">
        {(data) => <TraceBody location={location} data={data} />}
      </Loaded>
    </section>
  );
}

function TraceBody({ location, data }: { readonly location: Location; readonly data: TraceJson }) {
  const model = useMemo(() => buildTraceModel(data), [data]);
  const selectedId = location.params.get('span');
  const selected = selectedId === null ? undefined : model.rows.find((r) => r.spanId === selectedId);
  const root = model.rows[0];
  const failedCalls = data.calls.filter((c) => c.failed).length;
  // Calls in waterfall order, each synthetic call right after the client span it came from.
  const calls = useMemo(() => {
    const order = new Map(model.rows.map((r, index) => [r.spanId, index]));
    const rank = (id: string) => order.get(id) ?? Number.MAX_SAFE_INTEGER;
    return [...data.calls].sort((a, b) => rank(a.callId) - rank(b.callId) || Number(a.synthetic) - Number(b.synthetic));
  }, [data.calls, model]);
  return (
    <>
      <div className="page-title-row">
        <h1 className="page-title">
          {root ? <><span className="page-title-text">{root.service}</span><span className="muted">{root.call?.request ?? root.name}</span></> : 'Trace'}
        </h1>
      </div>
      <dl className="trace-facts">
        <div><dt>Start</dt><dd>{formatTime(model.startMs)}</dd></div>
        <div><dt>Duration</dt><dd>{formatDuration(model.endMs - model.startMs)}</dd></div>
        <div><dt>Spans</dt><dd>{formatCount(model.rows.length + model.hidden)}</dd></div>
        <div><dt>Services</dt><dd>{model.services.length}</dd></div>
        <div><dt>Service calls</dt><dd>{formatCount(data.calls.length)} · <FailureRate failed={failedCalls} requests={data.calls.length} suffix=" failed" /></dd></div>
        <div><dt>Trace ID</dt><dd className="mono">{data.traceId}</dd></div>
      </dl>
      <div className={selected ? 'split split-open' : 'split'}>
        <div className="panel wf-panel">
          <Waterfall model={model} selected={selected?.spanId ?? null} onSelect={(row) => navigate(withParams(location, { span: row.spanId }), { replace: true })} />
        </div>
        {selected ? <SpanDetails row={selected} onClose={() => navigate(withParams(location, { span: undefined }), { replace: true })} /> : null}
      </div>
      <div className="panel">
        <h2 className="panel-title">Service calls</h2>
        <table className="table compact calls-table">
          <thead><tr><th>Service</th><th>Request</th><th>Caller</th><th className="num">Duration</th><th>Outcome</th></tr></thead>
          <tbody>
            {calls.map((call) => (
              <tr key={`${call.callId}-${call.synthetic}`}>
                <td style={{ paddingLeft: `${Math.min(call.path.length, 24) * 12 + 8}px` }}>
                  <Link className="service-link" href={buildHref(servicePath(call.service), location.params, { set: { kind: call.kind } })}>
                    <KindIcon kind={asCallerKind(call.kind)} /><span>{call.service}</span>
                  </Link>
                </td>
                <td>{call.request === '' ? <span className="muted">(empty name)</span> : call.request}</td>
                <td className="muted">{call.caller?.name ?? 'started here'}</td>
                <td className="num">{formatDuration(call.durationMs)}</td>
                <td>{call.failed ? <span className="failure failure-some">{call.failureReason ?? 'failed'}</span> : <span className="muted">ok</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
