import { formatDuration, formatTime } from '../../format.js';
import { SPAN_KIND_NAMES, type SpanRow } from './model.js';

function AttributeTable({ rows }: { readonly rows: readonly (readonly [string, string])[] }) {
  if (rows.length === 0) return <p className="muted">None</p>;
  return (
    <table className="table compact attributes">
      <tbody>
        {rows.map(([key, value], index) => (
          <tr key={`${key}-${index}`}><th scope="row">{key}</th><td>{value}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

/** Everything one span carries, as text. */
export function SpanDetails({ row, onClose }: { readonly row: SpanRow; readonly onClose: () => void }) {
  return (
    <aside className="details-panel" aria-label={`Span ${row.name}`}>
      <div className="details-head">
        <h2 className="details-title"><span>{row.name === '' ? '(empty name)' : row.name}</span></h2>
        <button type="button" className="icon-button" aria-label="Close details" onClick={onClose}>×</button>
      </div>
      <p className="muted details-kind">{row.service} · {SPAN_KIND_NAMES[row.kind] ?? row.kind} · {formatDuration(row.durationMs)} · {formatTime(row.startMs)}</p>
      {row.call ? (
        <p className="details-figures">
          Starts a call of <strong>{row.call.service}</strong> ({row.call.request === '' ? '(empty name)' : row.call.request})
          {row.call.caller ? <> from <strong>{row.call.caller.name}</strong></> : ' where the request started'}
          {row.call.failed ? <> · <span className="failure failure-some">failed: {row.call.failureReason ?? 'error'}</span></> : null}
        </p>
      ) : null}
      {row.error ? <p className="failure failure-some">Status ERROR{row.statusMessage !== '' ? `: ${row.statusMessage}` : ''}</p> : null}
      <p className="mono muted">span {row.spanId}{row.parentSpanId !== '' ? ` · parent ${row.parentSpanId}` : ''}</p>
      <h3 className="tab-heading">Attributes</h3>
      <AttributeTable rows={row.attributes} />
      {row.events.length > 0 ? (
        <>
          <h3 className="tab-heading">Events</h3>
          {row.events.map((event, index) => (
            <div key={index} className="event">
              <p><strong>{event.name}</strong> <span className="muted">{formatTime(event.timeMs)}</span></p>
              <AttributeTable rows={event.attributes} />
            </div>
          ))}
        </>
      ) : null}
      <h3 className="tab-heading">Resource</h3>
      <AttributeTable rows={row.resourceAttributes} />
    </aside>
  );
}
