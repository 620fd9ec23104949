import { useEffect, useState, type FormEvent } from 'react';
import { formatTime, toDateTimeLocal } from '../format.js';
import { navigate, type Location } from '../router.js';
import { withParams } from '../routes.js';
import { PRESETS, resolveTime, timeframeOf } from '../time.js';

/** Last 15 min / 1 h / 6 h / 24 h / 7 d, or a custom window with two date-time inputs. */
export function TimePicker({ location }: { readonly location: Location }) {
  const timeframe = timeframeOf(location.params);
  const [customOpen, setCustomOpen] = useState(timeframe.mode === 'custom');
  useEffect(() => setCustomOpen(timeframe.mode === 'custom'), [timeframe.mode]);

  const choose = (value: string) => {
    if (value === 'custom') {
      setCustomOpen(true);
      return;
    }
    setCustomOpen(false);
    navigate(withParams(location, { from: value, to: undefined }));
  };

  return (
    <div className="time-picker">
      <label className="control">
        <span className="control-label">Timeframe</span>
        <select value={customOpen ? 'custom' : timeframe.from} onChange={(e) => choose(e.target.value)} aria-label="Timeframe">
          {PRESETS.map((p) => (
            <option key={p.from} value={p.from}>{p.label}</option>
          ))}
          <option value="custom">Custom…</option>
        </select>
      </label>
      {/* Keyed by the window, so Back or a link re-fills the inputs. */}
      {customOpen ? <CustomRange key={`${timeframe.from}|${timeframe.mode === 'custom' ? timeframe.to : 'now'}`} location={location} /> : null}
    </div>
  );
}

function CustomRange({ location }: { readonly location: Location }) {
  const timeframe = timeframeOf(location.params);
  const now = Date.now();
  const initialFrom = resolveTime(timeframe.from, now);
  const initialTo = timeframe.mode === 'custom' ? resolveTime(timeframe.to, now) : now;
  const [from, setFrom] = useState(toDateTimeLocal(initialFrom));
  const [to, setTo] = useState(toDateTimeLocal(initialTo));
  const [error, setError] = useState<string | null>(null);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const fromMs = new Date(from).getTime();
    const toMs = new Date(to).getTime();
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) return setError('Enter both start and end.');
    if (fromMs >= toMs) return setError('The start must be before the end.');
    setError(null);
    navigate(withParams(location, { from: String(fromMs), to: String(toMs) }));
  };

  return (
    <form className="custom-range" onSubmit={apply} title={`${formatTime(initialFrom)} – ${formatTime(initialTo)}`}>
      <input type="datetime-local" aria-label="From" value={from} onChange={(e) => setFrom(e.target.value)} required />
      <span aria-hidden="true">→</span>
      <input type="datetime-local" aria-label="To" value={to} onChange={(e) => setTo(e.target.value)} required />
      <button type="submit" className="button">Apply</button>
      {error !== null ? <span className="form-error" role="alert">{error}</span> : null}
    </form>
  );
}
