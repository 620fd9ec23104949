import type { ReactNode } from 'react';
import { Link, navigate, type Location } from '../router.js';
import { buildHref, SERVICE_PARAMS, servicePath, withParams, type ServiceView } from '../routes.js';
import type { ServiceKind } from '../types.js';
import { FilterChip } from './FilterChip.js';
import { KIND_LABELS, KindIcon } from './KindIcon.js';

const VIEWS: readonly { readonly view: ServiceView | 'traces'; readonly label: string }[] = [
  { view: 'overview', label: 'Overview' },
  { view: 'backtrace', label: 'Backtrace' },
  { view: 'flow', label: 'Service flow' },
  { view: 'traces', label: 'Traces' },
];

/** The traces list narrowed to one service's calls (with the same request and chain filters). */
export function serviceTracesHref(location: Location, service: string, kind: ServiceKind | null): string {
  const p = location.params;
  return buildHref('/traces', p, {
    set: { service, kind: kind ?? undefined, request: p.get('request') ?? undefined, chain: p.get('chain') ?? undefined },
  });
}

/**
 * The head of every service view: where we are, the views of this service, and the active
 * request and chain filters as removable chips.
 */
export function ServiceHeader({ location, service, kind, view, children }: {
  readonly location: Location;
  readonly service: string;
  readonly kind: ServiceKind | null;
  readonly view: ServiceView;
  readonly children?: ReactNode;
}) {
  const p = location.params;
  const request = p.get('request');
  const chain = p.get('chain');
  const viewHref = (target: ServiceView | 'traces') =>
    target === 'traces' ? serviceTracesHref(location, service, kind) : buildHref(servicePath(service, target), p, { keep: SERVICE_PARAMS });
  return (
    <header className="page-header">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link href={buildHref('/services', p)}>Services</Link>
        <span aria-hidden="true">›</span>
        <span>{service}</span>
      </nav>
      <div className="page-title-row">
        <h1 className="page-title">
          {kind !== null ? <KindIcon kind={kind} size={22} /> : null}
          <span className="page-title-text">{service}</span>
          {kind !== null ? <span className="kind-badge">{KIND_LABELS[kind]}</span> : null}
        </h1>
        <div className="page-actions">{children}</div>
      </div>
      <nav className="view-tabs" aria-label="Service views">
        {VIEWS.map((v) => (
          <Link key={v.view} href={viewHref(v.view)} className="view-tab" aria-current={v.view === view ? 'page' : undefined}>
            {v.label}
          </Link>
        ))}
      </nav>
      {request !== null || chain !== null ? (
        <div className="chips" aria-label="Active filters">
          {request !== null ? <FilterChip label="Request" value={request} onRemove={() => navigate(withParams(location, { request: undefined }))} /> : null}
          {chain !== null ? <FilterChip label="Chain" value={chain} onRemove={() => navigate(withParams(location, { chain: undefined }))} /> : null}
        </div>
      ) : null}
    </header>
  );
}
