import { failureRate, formatPercent } from '../format.js';

/** A failure rate, in red as soon as anything failed. */
export function FailureRate({ failed, requests, suffix = '' }: { readonly failed: number; readonly requests: number; readonly suffix?: string }) {
  const rate = failureRate(failed, requests);
  return (
    <span className={failed > 0 ? 'failure failure-some' : 'failure'} title={`${failed} of ${requests} failed`}>
      {formatPercent(rate)}
      {suffix}
    </span>
  );
}

/** A thin horizontal bar for a share in [0, 1], for tables that compare rows. */
export function ShareBar({ share, tone = 'neutral' }: { readonly share: number; readonly tone?: 'neutral' | 'failure' }) {
  const width = `${Math.max(0, Math.min(1, share)) * 100}%`;
  return (
    <span className="share-bar" aria-hidden="true">
      <span className={`share-bar-fill share-${tone}`} style={{ width }} />
    </span>
  );
}
