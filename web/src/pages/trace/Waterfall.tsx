import { Fragment } from 'react';
import { asCallerKind, KIND_LABELS, KindIcon } from '../../components/KindIcon.js';
import { formatDuration } from '../../format.js';
import type { SpanRow, TraceModel } from './model.js';

const PALETTE = ['#2f6fdb', '#0f8b8d', '#8a5cd1', '#c0612b', '#3f8f3a', '#b5476b', '#6b7a8f', '#a38a1f', '#2b8fc0', '#7a4b2a'];

/** A stable colour per service name, so one service reads the same in every row. */
export function serviceColor(service: string): string {
  let hash = 0;
  for (let i = 0; i < service.length; i++) hash = (hash * 31 + service.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(hash) % PALETTE.length]!;
}

const MAX_INDENT = 24;

/**
 * Spans as a waterfall. A span that starts a service call is marked (badge with the call's service
 * and request); a client span whose callee is not instrumented gets a synthetic row for the
 * database, messaging system or third party it called.
 */
export function Waterfall({ model, selected, onSelect }: { readonly model: TraceModel; readonly selected: string | null; readonly onSelect: (row: SpanRow) => void }) {
  const total = Math.max(model.endMs - model.startMs, 0.001);
  const position = (startMs: number, durationMs: number) => ({
    left: `${((startMs - model.startMs) / total) * 100}%`,
    width: `max(2px, ${(durationMs / total) * 100}%)`,
  });
  // The duration goes after the bar, else before it, else inside it: never over another label.
  const labelPlace = (startMs: number, durationMs: number) => {
    const start = (startMs - model.startMs) / total;
    const end = (startMs - model.startMs + durationMs) / total;
    if (end <= 0.82) return { className: 'wf-duration', style: { left: `${end * 100}%` } };
    if (start >= 0.18) return { className: 'wf-duration wf-duration-before', style: { right: `${(1 - start) * 100}%` } };
    return { className: 'wf-duration wf-duration-inside', style: { left: `${start * 100}%` } };
  };
  return (
    <div className="waterfall" role="list" aria-label="Spans">
      <div className="wf-axis" aria-hidden="true">
        <span className="wf-axis-label">Service · span</span>
        <span className="wf-axis-scale">
          {[0, 0.25, 0.5, 0.75, 1].map((f) => (
            <span key={f} style={{ left: `${f * 100}%` }}>{formatDuration(total * f)}</span>
          ))}
        </span>
      </div>
      {model.rows.map((row) => (
        <Fragment key={row.spanId}>
          <div role="listitem">
            <button
              type="button"
              className={['wf-row', row.call ? 'wf-call-start' : '', row.error || row.call?.failed ? 'wf-error' : '', row.spanId === selected ? 'wf-selected' : ''].filter((c) => c !== '').join(' ')}
              aria-pressed={row.spanId === selected}
              data-span={row.name}
              onClick={() => onSelect(row)}
            >
              <span className="wf-label" style={{ paddingLeft: `${Math.min(row.depth, MAX_INDENT) * 14 + 8}px` }}>
                <span className="wf-service" style={{ borderColor: serviceColor(row.service) }}>{row.service}</span>
                <span className="wf-name">{row.name === '' ? '(empty name)' : row.name}</span>
                {row.call ? (
                  <span className={row.call.failed ? 'call-badge call-badge-failed' : 'call-badge'} title={`Service call of ${row.call.service}: ${row.call.request}`}>
                    {row.call.failed ? 'failed call' : 'call'}
                  </span>
                ) : null}
                {row.orphan ? <span className="call-badge call-badge-muted" title="The parent span never arrived">parent missing</span> : null}
              </span>
              <span className="wf-track">
                <span className="wf-bar" style={{ ...position(row.startMs, row.durationMs), background: serviceColor(row.service) }} />
                <span {...labelPlace(row.startMs, row.durationMs)}>{formatDuration(row.durationMs)}</span>
              </span>
            </button>
          </div>
          {row.synthetic.map((call) => (
            <div role="listitem" key={`${row.spanId}-synthetic-${call.kind}-${call.service}`}>
              <div className={call.failed ? 'wf-row wf-synthetic wf-error' : 'wf-row wf-synthetic'}>
                <span className="wf-label" style={{ paddingLeft: `${Math.min(row.depth + 1, MAX_INDENT) * 14 + 8}px` }}>
                  <KindIcon kind={asCallerKind(call.kind)} />
                  <span className="wf-name">{call.service}</span>
                  <span className="call-badge call-badge-synthetic" title="Not instrumented: derived from the client span above">{KIND_LABELS[asCallerKind(call.kind)]} call</span>
                  {call.failed ? <span className="failure failure-some">{call.failureReason ?? 'failed'}</span> : null}
                </span>
                <span className="wf-track">
                  <span className="wf-bar wf-bar-synthetic" style={position(row.startMs, row.durationMs)} />
                </span>
              </div>
            </div>
          ))}
        </Fragment>
      ))}
      {model.hidden > 0 ? <p className="muted">{model.hidden} more spans are not shown.</p> : null}
    </div>
  );
}
