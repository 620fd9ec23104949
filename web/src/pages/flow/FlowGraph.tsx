import { useLayoutEffect, useRef, type KeyboardEvent } from 'react';
import { KIND_LABELS, KindIcon } from '../../components/KindIcon.js';
import { serviceKey } from '../../components/zone.js';
import { failureRate, formatCount, formatDuration, formatPercent } from '../../format.js';
import { fitText, NODE_HEIGHT, NODE_WIDTH, type FlowLayout, type PlacedFlowNode } from './layout.js';

interface GraphProps {
  readonly layout: FlowLayout;
  readonly selected: string | null;
  readonly onSelect: (node: PlacedFlowNode) => void;
  readonly onToggle: (node: PlacedFlowNode) => void;
  /** Services of the selected zone; nodes outside it are marked. Null: no zone. */
  readonly zone: ReadonlySet<string> | null;
}

/** Enter and Space act like a click on an SVG element that plays a button. */
function activateOn(action: () => void) {
  return (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      event.stopPropagation();
      action();
    }
  };
}

/**
 * The service flow as an SVG graph. Every label is SVG `<text>` (span data is never markup); each
 * node is focusable and selectable with Enter or Space, and a pill beside it shows or hides its callees.
 */
export function FlowGraph({ layout, selected, onSelect, onToggle, zone }: GraphProps) {
  const root = layout.nodes[0];
  const scroller = useRef<HTMLDivElement>(null);
  const rootY = root?.y ?? 0;
  // Start at the focal service, which dagre centres vertically in a tall graph.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = Math.max(0, rootY - el.clientHeight / 2);
  }, [rootY]);
  const rootRequests = root?.node.requests ?? 0;
  const rootTotal = root?.node.durationMs.total ?? 0;
  return (
    <div className="flow-scroll" ref={scroller}>
      <svg className="flow-graph" width={layout.width + 32} height={layout.height} viewBox={`0 0 ${layout.width + 32} ${layout.height}`} role="group" aria-label="Service flow">
        <defs>
          <marker id="flow-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">
            <path d="M0 0 L8 4 L0 8 z" className="flow-arrow" />
          </marker>
        </defs>
        <g className="flow-edges">
          {layout.edges.map((edge) => {
            const sx = edge.from.x + NODE_WIDTH / 2 + (edge.from.id === '0' ? 0 : 28);
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
        {layout.nodes.map((placed) => (
          <FlowNodeBox
            key={placed.id}
            placed={placed}
            rootRequests={rootRequests}
            rootTotal={rootTotal}
            selected={placed.id === selected}
            outsideZone={zone !== null && !zone.has(serviceKey(placed.node.kind, placed.node.name))}
            onSelect={onSelect}
            onToggle={onToggle}
          />
        ))}
      </svg>
    </div>
  );
}

function FlowNodeBox({ placed, rootRequests, rootTotal, selected, outsideZone, onSelect, onToggle }: {
  readonly placed: PlacedFlowNode;
  readonly rootRequests: number;
  readonly rootTotal: number;
  readonly selected: boolean;
  readonly outsideZone: boolean;
  readonly onSelect: (node: PlacedFlowNode) => void;
  readonly onToggle: (node: PlacedFlowNode) => void;
}) {
  const { node, id } = placed;
  const isRoot = id === '0';
  const share = rootRequests === 0 ? 0 : node.requests / rootRequests;
  const rate = failureRate(node.failed, node.calls);
  const contribution = rootTotal === 0 ? 0 : node.durationMs.total / rootTotal;
  const children = node.children.length;
  const classes = ['flow-node', isRoot ? 'flow-focal' : '', selected ? 'flow-selected' : '', outsideZone ? 'flow-outside' : ''];
  return (
    <g transform={`translate(${placed.x - NODE_WIDTH / 2} ${placed.y - NODE_HEIGHT / 2})`}>
      <g
        className={classes.filter((c) => c !== '').join(' ')}
        role="button"
        tabIndex={0}
        aria-pressed={selected}
        aria-label={`${KIND_LABELS[node.kind]} ${node.name}`}
        data-node={node.name}
        onClick={() => onSelect(placed)}
        onKeyDown={activateOn(() => onSelect(placed))}
      >
        <title>{`${KIND_LABELS[node.kind]} ${node.name}`}</title>
        <rect className="flow-box" width={NODE_WIDTH} height={NODE_HEIGHT} rx="6" />
        <rect className="flow-share" x="1" y={NODE_HEIGHT - 5} width={Math.max(0, (NODE_WIDTH - 2) * Math.min(1, share))} height="4" rx="2" />
        <KindIcon kind={node.kind} x={10} y={9} size={16} />
        <text className="flow-name" x="32" y="22">{fitText(node.name, 25)}</text>
        {isRoot ? (
          <>
            <text className="flow-line" x="10" y="42">
              <tspan>{`${formatCount(node.requests)} requests · `}</tspan>
              <tspan className={node.failed > 0 ? 'flow-failed' : undefined}>{`${formatPercent(rate)} failed`}</tspan>
            </text>
            <text className="flow-line" x="10" y="59">{`p50 ${formatDuration(node.durationMs.p50)} · p90 ${formatDuration(node.durationMs.p90)}`}</text>
            <text className="flow-line muted" x="10" y="76">{`Σ time ${formatDuration(node.durationMs.total)}`}</text>
          </>
        ) : (
          <>
            <text className="flow-line" x="10" y="42">{`${formatPercent(share)} of requests · ${formatCount(node.calls)} ${node.calls === 1 ? 'call' : 'calls'}`}</text>
            <text className="flow-line" x="10" y="59">
              <tspan className={node.failed > 0 ? 'flow-failed' : undefined}>{`${formatPercent(rate)} failed`}</tspan>
              <tspan>{` · p50 ${formatDuration(node.durationMs.p50)}`}</tspan>
            </text>
            <text className="flow-line muted" x="10" y="76">{`Σ time ${formatDuration(node.durationMs.total)} (${formatPercent(contribution)})`}</text>
          </>
        )}
        {outsideZone ? <text className="flow-zone" x={NODE_WIDTH - 10} y="76" textAnchor="end">outside zone</text> : null}
      </g>
      {!isRoot && children > 0 ? (
        <g
          className="flow-toggle"
          transform={`translate(${NODE_WIDTH + 2} ${NODE_HEIGHT / 2 - 10})`}
          role="button"
          tabIndex={0}
          aria-expanded={placed.expanded}
          aria-label={`${placed.expanded ? 'Hide' : 'Show'} ${children} ${children === 1 ? 'callee' : 'callees'} of ${node.name}`}
          onClick={() => onToggle(placed)}
          onKeyDown={activateOn(() => onToggle(placed))}
        >
          <title>{placed.expanded ? 'Hide callees' : 'Show callees'}</title>
          <rect width="26" height="20" rx="10" />
          <text x="13" y="14" textAnchor="middle">{placed.expanded ? '−' : `+${children}`}</text>
        </g>
      ) : null}
    </g>
  );
}
