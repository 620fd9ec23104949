import { useMemo, useState } from 'react';
import { apiUrl, useApi } from '../api.js';
import { FailureRate } from '../components/Figures.js';
import { KIND_LABELS, KindIcon } from '../components/KindIcon.js';
import { ServiceHeader } from '../components/ServiceHeader.js';
import { Empty, Loaded } from '../components/States.js';
import { useZoneMembers } from '../components/zone.js';
import { autoExpandDepth } from '../depth.js';
import { formatCount, formatDuration, formatPercent } from '../format.js';
import { apiParams, serviceParams } from '../params.js';
import { Link, navigate, type Location } from '../router.js';
import { buildHref, servicePath, withParams } from '../routes.js';
import type { FlowJson, FlowNode } from '../types.js';
import { chainText } from './backtrace/chain.js';
import { FlowGraph } from './flow/FlowGraph.js';
import { flowNodeAt, layoutFlow } from './flow/layout.js';

/** `/services/{service}/flow`: what this service's requests call, transitively. */
export function FlowPage({ location, service }: { readonly location: Location; readonly service: string }) {
  const params = serviceParams(location);
  const flow = useApi<FlowJson>(apiUrl(`services/${encodeURIComponent(service)}/flow`, apiParams(params)));
  const kind = flow.state === 'ok' ? flow.data.kind : params.kind;
  return (
    <section className="page">
      <ServiceHeader location={location} service={service} kind={kind} view="flow" />
      <Loaded loadable={flow} what="the service flow">
        {(data) =>
          data.requests === 0 ? (
            <Empty title="No requests in this timeframe" hint={`No calls of ${service}${params.chain !== null ? ' match the chain filter' : ''} in the selected timeframe.`} />
          ) : (
            <FlowBody location={location} data={data} />
          )
        }
      </Loaded>
    </section>
  );
}

function FlowBody({ location, data }: { readonly location: Location; readonly data: FlowJson }) {
  const zone = useZoneMembers(location);
  const selectedId = location.params.get('node');
  const [toggled, setToggled] = useState<ReadonlySet<string>>(new Set());
  const autoDepth = useMemo(() => autoExpandDepth(data.tree, (n) => n.children), [data.tree]);
  const layout = useMemo(
    () =>
      layoutFlow(data.tree, (id, depth) => {
        // Open the first levels, and the way to a node selected by a shared link.
        const byDefault = depth < autoDepth || (selectedId !== null && selectedId.startsWith(`${id}.`));
        return id === '0' || byDefault !== toggled.has(id);
      }),
    [data.tree, autoDepth, selectedId, toggled],
  );
  const selected = selectedId === null ? undefined : flowNodeAt(data.tree, selectedId);
  const callees = countNodes(data.tree) - 1;
  return (
    <>
      <p className="summary">
        {formatCount(data.requests)} requests of {data.service} · <FailureRate failed={data.failed} requests={data.requests} suffix=" failed" /> ·{' '}
        {callees === 0 ? 'calls no other service' : `${callees} ${callees === 1 ? 'callee' : 'callees'} along the way`}
        <span className="muted"> · % of requests calling, calls, failure rate and response time per node</span>
      </p>
      <div className={selected ? 'split split-open' : 'split'}>
        <div className="panel flow-panel">
          <FlowGraph
            layout={layout}
            selected={selected ? selectedId : null}
            zone={zone}
            onSelect={(n) => navigate(withParams(location, { node: n.id }), { replace: true })}
            onToggle={(n) =>
              setToggled((current) => {
                const next = new Set(current);
                if (!next.delete(n.id)) next.add(n.id);
                return next;
              })
            }
          />
        </div>
        {selected ? (
          <FlowDetails location={location} data={data} node={selected.node} line={selected.line} onClose={() => navigate(withParams(location, { node: undefined }), { replace: true })} />
        ) : null}
      </div>
    </>
  );
}

function countNodes(root: FlowNode): number {
  let count = 0;
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    count++;
    stack.push(...node.children);
  }
  return count;
}

function FlowDetails({ location, data, node, line, onClose }: {
  readonly location: Location;
  readonly data: FlowJson;
  readonly node: FlowNode;
  readonly line: readonly FlowNode[];
  readonly onClose: () => void;
}) {
  const chain = chainText(line.map((n) => ({ kind: n.kind, name: n.name })));
  const tracesHref = buildHref('/traces', location.params, {
    set: { service: data.service, kind: data.kind, request: location.params.get('request') ?? undefined, chain: line.length > 1 && chain !== null ? chain : location.params.get('chain') ?? undefined },
  });
  const rows: [string, string][] = [
    ['Requests calling', `${formatCount(node.requests)} (${formatPercent(data.requests === 0 ? 0 : node.requests / data.requests)})`],
    ['Calls', formatCount(node.calls)],
    ['Response time p50', formatDuration(node.durationMs.p50)],
    ['Response time p90', formatDuration(node.durationMs.p90)],
    ['Total time', formatDuration(node.durationMs.total)],
  ];
  return (
    <aside className="details-panel" aria-label={`Details of ${node.name}`}>
      <div className="details-head">
        <h2 className="details-title"><KindIcon kind={node.kind} size={18} /><span>{node.name}</span></h2>
        <button type="button" className="icon-button" aria-label="Close details" onClick={onClose}>×</button>
      </div>
      <p className="muted details-kind">{KIND_LABELS[node.kind]} · {line.map((n) => n.name).join(' → ')}</p>
      <p className="details-figures"><FailureRate failed={node.failed} requests={node.calls} suffix=" of calls failed" /> ({formatCount(node.failed)})</p>
      <dl className="definition-list">
        {rows.map(([label, value]) => (
          <div key={label}><dt>{label}</dt><dd>{value}</dd></div>
        ))}
      </dl>
      <div className="details-actions">
        <Link className="button" href={buildHref(servicePath(node.name), location.params, { set: { kind: node.kind } })}>Open {node.name}</Link>
        <Link className="button" href={tracesHref}>Traces through this path</Link>
      </div>
    </aside>
  );
}
