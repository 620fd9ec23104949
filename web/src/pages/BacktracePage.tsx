import { useMemo } from 'react';
import { apiUrl, useApi } from '../api.js';
import { FailureRate } from '../components/Figures.js';
import { ServiceHeader } from '../components/ServiceHeader.js';
import { Empty, Loaded } from '../components/States.js';
import { useZoneMembers } from '../components/zone.js';
import { formatCount } from '../format.js';
import { apiParams, serviceParams, type ServiceParams } from '../params.js';
import { navigate, type Location } from '../router.js';
import { withParams } from '../routes.js';
import type { BacktraceJson } from '../types.js';
import { BacktraceDetailsPanel } from './backtrace/BacktraceDetailsPanel.js';
import { BacktraceTree, selectionKey } from './backtrace/BacktraceTree.js';
import { placeAll } from './backtrace/tree.js';

/** `/services/{service}/backtrace`: who calls this service, through which chain, from which user action. */
export function BacktracePage({ location, service }: { readonly location: Location; readonly service: string }) {
  const params = serviceParams(location);
  const backtrace = useApi<BacktraceJson>(apiUrl(`services/${encodeURIComponent(service)}/backtrace`, apiParams(params)));
  const kind = backtrace.state === 'ok' ? backtrace.data.kind : params.kind;
  return (
    <section className="page">
      <ServiceHeader location={location} service={service} kind={kind} view="backtrace" />
      <Loaded loadable={backtrace} what="the backtrace">
        {(data) =>
          data.requests === 0 ? (
            <Empty title="No requests in this timeframe" hint={`No calls of ${service}${params.chain !== null ? ' match the chain filter' : ''} in the selected timeframe.`} />
          ) : (
            <BacktraceBody location={location} service={service} params={params} data={data} />
          )
        }
      </Loaded>
    </section>
  );
}

function BacktraceBody({ location, service, params, data }: { readonly location: Location; readonly service: string; readonly params: ServiceParams; readonly data: BacktraceJson }) {
  const nodes = useMemo(() => placeAll(data.tree), [data.tree]);
  const zone = useZoneMembers(location);
  const selectedKey = location.params.get('node');
  const selected = selectedKey === null ? undefined : nodes.find((n) => selectionKey(n) === selectedKey);
  const deepest = nodes.reduce((max, n) => Math.max(max, n.depth), 0);
  return (
    <>
      <p className="summary">
        {formatCount(data.requests)} requests of {service} · <FailureRate failed={data.failed} requests={data.requests} suffix=" failed" /> ·{' '}
        {deepest === 0 ? 'every request started here' : `callers up to ${deepest} ${deepest === 1 ? 'hop' : 'hops'} away`}
        <span className="muted"> · requests flow left to right; select a node for its details</span>
      </p>
      <div className={selected ? 'split split-open' : 'split'}>
        <div className="panel bt-panel">
          <BacktraceTree
            root={data.tree}
            selected={selected ?? null}
            zone={zone}
            onSelect={(placed) => navigate(withParams(location, { node: selectionKey(placed) }), { replace: true })}
          />
        </div>
        {selected ? (
          <BacktraceDetailsPanel
            location={location}
            service={service}
            params={params}
            placed={selected}
            total={data.requests}
            onFilterByChain={(chain) => navigate(withParams(location, { chain, node: undefined }))}
            onClose={() => navigate(withParams(location, { node: undefined }), { replace: true })}
          />
        ) : null}
      </div>
    </>
  );
}
