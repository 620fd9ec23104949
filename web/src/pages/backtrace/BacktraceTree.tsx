import { FailureRate, ShareBar } from '../../components/Figures.js';
import { KIND_LABELS, KindIcon } from '../../components/KindIcon.js';
import { serviceKey } from '../../components/zone.js';
import { formatCount, formatPercent } from '../../format.js';
import type { BacktraceNode } from '../../types.js';
import type { NodeStep } from './chain.js';
import { placeNode, startedHere, type PlacedNode } from './tree.js';

/** How a node is addressed in the URL (`node=`): its path text, or its steps when the chain syntax cannot express them. */
export function selectionKey(placed: PlacedNode): string {
  return placed.pathText ?? `@${placed.steps.map((s) => `${s.kind}!${s.name}`).join('\u001f')}`;
}

interface TreeProps {
  readonly root: BacktraceNode;
  readonly selected: string | null;
  readonly onSelect: (placed: PlacedNode) => void;
  /** Services of the selected zone; nodes outside it are marked. Null: no zone. */
  readonly zone: ReadonlySet<string> | null;
}

/**
 * The caller tree, read right to left: the focal service on the right, each column to the left one
 * hop further up, ending at the browser application or wherever requests started. Every node is a
 * button (Tab to reach it, Enter to open its details).
 */
export function BacktraceTree({ root, selected, onSelect, zone }: TreeProps) {
  const focal: NodeStep = { kind: root.kind, name: root.name };
  return (
    <div className="bt-scroll">
      <div className="bt-tree" role="group" aria-label={`Backtrace of ${root.name}`}>
        <Branch node={root} below={[]} focal={focal} depth={0} total={root.requests} selected={selected} onSelect={onSelect} zone={zone} />
      </div>
    </div>
  );
}

function Branch({ node, below, focal, depth, total, selected, onSelect, zone }: {
  readonly node: BacktraceNode;
  readonly below: readonly NodeStep[];
  readonly focal: NodeStep;
  readonly depth: number;
  readonly total: number;
  readonly selected: string | null;
  readonly onSelect: (placed: PlacedNode) => void;
  readonly zone: ReadonlySet<string> | null;
}) {
  const placed = placeNode(node, below, focal, depth);
  return (
    <div className="bt-branch">
      {node.callers.length > 0 ? (
        <div className="bt-callers">
          {node.callers.map((caller) => (
            <Branch
              key={serviceKey(caller.kind, caller.name)}
              node={caller}
              below={placed.steps}
              focal={focal}
              depth={depth + 1}
              total={total}
              selected={selected}
              onSelect={onSelect}
              zone={zone}
            />
          ))}
        </div>
      ) : null}
      <NodeCard placed={placed} total={total} selected={selected === selectionKey(placed)} onSelect={onSelect} outsideZone={zone !== null && !zone.has(serviceKey(node.kind, node.name))} />
    </div>
  );
}

function NodeCard({ placed, total, selected, onSelect, outsideZone }: {
  readonly placed: PlacedNode;
  readonly total: number;
  readonly selected: boolean;
  readonly onSelect: (placed: PlacedNode) => void;
  readonly outsideZone: boolean;
}) {
  const { node, depth } = placed;
  const share = total === 0 ? 0 : node.requests / total;
  const origin = depth > 0 && node.callers.length > 0 ? startedHere(node) : 0;
  const classes = ['bt-node', depth === 0 ? 'bt-focal' : '', selected ? 'bt-selected' : '', outsideZone ? 'bt-outside' : '', node.failed > 0 ? 'bt-failing' : ''];
  return (
    <button
      type="button"
      className={classes.filter((c) => c !== '').join(' ')}
      aria-pressed={selected}
      data-node={node.name}
      onClick={() => onSelect(placed)}
      title={`${KIND_LABELS[node.kind]} ${node.name}`}
    >
      <span className="bt-node-name">
        <KindIcon kind={node.kind} />
        <span className="bt-node-text">{node.name}</span>
      </span>
      <span className="bt-node-figures">
        <span>{formatCount(node.requests)} requests</span>
        {depth > 0 ? <span className="muted">{formatPercent(share)}</span> : null}
      </span>
      <span className="bt-node-figures">
        <FailureRate failed={node.failed} requests={node.requests} suffix=" failed" />
        {outsideZone ? <span className="zone-mark">outside zone</span> : null}
      </span>
      {origin > 0 ? <span className="bt-origin">{formatCount(origin)} started here</span> : null}
      <ShareBar share={share} tone={node.failed > 0 ? 'failure' : 'neutral'} />
    </button>
  );
}
