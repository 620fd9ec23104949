import type { KeyboardEvent } from 'react';
import { KIND_LABELS, KindIcon } from '../../components/KindIcon.js';
import { serviceKey } from '../../components/zone.js';
import { failureRate, formatCount, formatDuration, formatPercent } from '../../format.js';
import { fitText, NODE_HEIGHT, NODE_WIDTH, type FlowLayout, type PlacedFlowNode } from './layout.js';

/**
 * The service flow as an SVG graph. Every label is SVG `<text>` (span data is never markup); each
 * node is focusable and selectable with Enter or Space.
 */
export function FlowGraph({ layout, selected, onSelect, zone }: {
  readonly layout: FlowLayout;
  readonly selected: string | null;
  readonly onSelect: (node: PlacedFlowNode) => void;
  readonly zone: ReadonlySet<string> | null;
}) {
  const root = layout.nodes[0];
  const rootRequests = root?.node.requests ?? 0;
  const rootTotal = root?.node.durationMs.total ?? 0;
  return (
    <div className="flow-scroll">
      <svg className="flow-graph" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} role="group" aria-label="Service flow">
        <g className="flow-edges">
          {layout.edges.map((edge) => {
            const sx = edge.from.x + NODE_WIDTH / 2;
            const tx = edge.to.x - NODE_WIDTH / 2;
            const mx = (sx + tx) / 2;
            const share = rootRequests === 0 ? 0 : edge.to.node.requests / rootRequests;
            return (
              <path
                key={edge.to.id}
                className={edge.to.node.failed > 0 ? 'flow-edge flow-edge-failing' : 'flow-edge'}
                d={`M ${sx} ${edge.from.y} C ${mx} ${edge.from.y}, ${mx} ${edge.to.y}, ${tx} ${edge.to.y}`}
                strokeWidth={1.2 + 3.5 * share}
                markerEnd="url(#flow-arrow)"
              />
            );
          })}
        </g>
        <defs>
          <marker id="flow-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0 0 L8 4 L0 8 z" className="flow-arrow" />
          </marker>
        </defs>
        {layout.nodes.map((placed) => (
          <FlowNodeBox
            key={placed.id}
            placed={placed}
            rootRequests={rootRequests}
            rootTotal={rootTotal}
            selected={placed.id === selected}
            outsideZone={zone !== null && !zone.has(serviceKey(placed.node.kind, placed.node.name))}
            onSelect={onSelect}
          />
        ))}
      </svg>
    </div>
  );
}

function FlowNodeBox({ placed, rootRequests, rootTotal, selected, outsideZone, onSelect }: {
  readonly placed: PlacedFlowNode;
  readonly rootRequests: number;
  readonly rootTotal: number;
  readonly selected: boolean;
  readonly outsideZone: boolean;
  readonly onSelect: (node: PlacedFlowNode) => void;
}) {
  const { node, id } = placed;
  const isRoot = id === '0';
  const left = placed.x - NODE_WIDTH / 2;
  const top = placed.y - NODE_HEIGHT / 2;
  const share = rootRequests === 0 ? 0 : node.requests / rootRequests;
  const rate = failureRate(node.failed, node.calls);
  const contribution = rootTotal === 0 ? 0 : node.durationMs.total / rootTotal;
  const keyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onSelect(placed);
    }
  };
  const classes = ['flow-node', isRoot ? 'flow-focal' : '', selected ? 'flow-selected' : '', outsideZone ? 'flow-outside' : ''];
  return (
    <g
      className={classes.filter((c) => c !== '').join(' ')}
      transform={`translate(${left} ${top})`}
      role="button"
      tabIndex={0}
      aria-pressed={selected}
      aria-label={`${KIND_LABELS[node.kind]} ${node.name}`}
      data-node={node.name}
      onClick={() => onSelect(placed)}
      onKeyDown={keyDown}
    >
      <title>{`${KIND_LABELS[node.kind]} ${node.name}`}</title>
      <rect className="flow-box" width={NODE_WIDTH} height={NODE_HEIGHT} rx="6" />
      <rect className="flow-share" x="1" y={NODE_HEIGHT - 5} width={Math.max(0, (NODE_WIDTH - 2) * Math.min(1, share))} height="4" rx="2" />
      <KindIcon kind={node.kind} x={10} y={9} size={16} />
      <text className="flow-name" x="32" y="22">{fitText(node.name, 25)}</text>
      {isRoot ? (
        <>
          <text className="flow-line" x="10" y="42">{`${formatCount(node.requests)} requests`}</text>
          <text className="flow-line" x="10" y="59">
            <tspan className={node.failed > 0 ? 'flow-failed' : undefined}>{`${formatPercent(rate)} failed`}</tspan>
            <tspan>{` · p50 ${formatDuration(node.durationMs.p50)} · p90 ${formatDuration(node.durationMs.p90)}`}</tspan>
          </text>
          <text className="flow-line muted" x="10" y="76">{`Σ time ${formatDuration(node.durationMs.total)}`}</text>
        </>
      ) : (
        <>
          <text className="flow-line" x="10" y="42">{`${formatPercent(share)} of requests · ${formatCount(node.calls)} calls`}</text>
          <text className="flow-line" x="10" y="59">
            <tspan className={node.failed > 0 ? 'flow-failed' : undefined}>{`${formatPercent(rate)} failed`}</tspan>
            <tspan>{` · p50 ${formatDuration(node.durationMs.p50)}`}</tspan>
          </text>
          <text className="flow-line muted" x="10" y="76">{`Σ time ${formatDuration(node.durationMs.total)} (${formatPercent(contribution)})`}</text>
        </>
      )}
      {outsideZone ? <text className="flow-zone" x={NODE_WIDTH - 10} y="76" textAnchor="end">outside zone</text> : null}
    </g>
  );
}
