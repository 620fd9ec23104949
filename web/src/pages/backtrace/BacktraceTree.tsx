import { useLayoutEffect, useRef, useState } from 'react';
import { FailureRate, ShareBar } from '../../components/Figures.js';
import { KIND_LABELS, KindIcon } from '../../components/KindIcon.js';
import { serviceKey } from '../../components/zone.js';
import { formatCount, formatPercent } from '../../format.js';
import type { BacktraceNode } from '../../types.js';
import type { NodeStep } from './chain.js';
import { autoExpandDepth } from '../../depth.js';
import { isAbove, placeNode, startedHere, type PlacedNode } from './tree.js';

/** How a node is addressed in the URL (`node=`): its path text, or its steps when the chain syntax cannot express them. */
export function selectionKey(placed: PlacedNode): string {
  return placed.pathText ?? `@${placed.steps.map((s) => `${s.kind}!${s.name}`).join('\u001f')}`;
}

interface TreeProps {
  readonly root: BacktraceNode;
  readonly selected: PlacedNode | null;
  readonly onSelect: (placed: PlacedNode) => void;
  /** Services of the selected zone; nodes outside it are marked. Null: no zone. */
  readonly zone: ReadonlySet<string> | null;
}

interface BranchContext {
  readonly focal: NodeStep;
  readonly total: number;
  readonly selected: PlacedNode | null;
  readonly onSelect: (placed: PlacedNode) => void;
  readonly zone: ReadonlySet<string> | null;
  readonly autoDepth: number;
  readonly toggled: ReadonlySet<string>;
  readonly toggle: (key: string) => void;
}

/**
 * The caller tree, read right to left: the focal service on the right, each column to the left one
 * hop further up, ending at the browser application or wherever requests started. Every node is a
 * button (Tab to reach it, Enter to open its details); big trees open a few levels deep and expand
 * per node.
 */
export function BacktraceTree({ root, selected, onSelect, zone }: TreeProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [toggled, setToggled] = useState<ReadonlySet<string>>(new Set());
  // The focal service sits at the right end: start there, whatever the width of the tree.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el) el.scrollLeft = el.scrollWidth;
  }, [root]);
  const context: BranchContext = {
    focal: { kind: root.kind, name: root.name },
    total: root.requests,
    selected,
    onSelect,
    zone,
    autoDepth: autoExpandDepth(root, (n) => n.callers),
    toggled,
    toggle: (key) =>
      setToggled((current) => {
        const next = new Set(current);
        if (!next.delete(key)) next.add(key);
        return next;
      }),
  };
  return (
    <div className="bt-scroll" ref={scroller}>
      <div className="bt-tree" role="group" aria-label={`Backtrace of ${root.name}`}>
        <Branch node={root} below={[]} depth={0} context={context} />
      </div>
    </div>
  );
}

function Branch({ node, below, depth, context }: { readonly node: BacktraceNode; readonly below: readonly NodeStep[]; readonly depth: number; readonly context: BranchContext }) {
  const placed = placeNode(node, below, context.focal, depth);
  const key = selectionKey(placed);
  const byDefault = depth < context.autoDepth || isAbove(context.selected?.steps ?? null, placed.steps);
  const expanded = depth === 0 || byDefault !== context.toggled.has(key);
  const callers = node.callers.length;
  return (
    <div className="bt-branch">
      {expanded && callers > 0 ? (
        <div className="bt-callers">
          {node.callers.map((caller) => (
            <Branch key={serviceKey(caller.kind, caller.name)} node={caller} below={placed.steps} depth={depth + 1} context={context} />
          ))}
        </div>
      ) : null}
      {depth > 0 && callers > 0 ? (
        <button
          type="button"
          className="bt-toggle"
          aria-expanded={expanded}
          aria-label={`${expanded ? 'Hide' : 'Show'} ${callers} ${callers === 1 ? 'caller' : 'callers'} of ${node.name}`}
          title={expanded ? 'Hide callers' : 'Show callers'}
          onClick={() => context.toggle(key)}
        >
          {expanded ? '−' : `+${callers}`}
        </button>
      ) : null}
      <NodeCard placed={placed} context={context} selected={context.selected !== null && selectionKey(context.selected) === key} />
    </div>
  );
}

function NodeCard({ placed, context, selected }: { readonly placed: PlacedNode; readonly context: BranchContext; readonly selected: boolean }) {
  const { node, depth } = placed;
  const share = context.total === 0 ? 0 : node.requests / context.total;
  const origin = depth > 0 && node.callers.length > 0 ? startedHere(node) : 0;
  const outsideZone = context.zone !== null && !context.zone.has(serviceKey(node.kind, node.name));
  const classes = ['bt-node', depth === 0 ? 'bt-focal' : '', selected ? 'bt-selected' : '', outsideZone ? 'bt-outside' : ''];
  return (
    <button
      type="button"
      className={classes.filter((c) => c !== '').join(' ')}
      aria-pressed={selected}
      data-node={node.name}
      onClick={() => context.onSelect(placed)}
      title={`${KIND_LABELS[node.kind]} ${node.name}`}
    >
      <span className="bt-node-name">
        <KindIcon kind={node.kind} />
        <span className="bt-node-text">{node.name}</span>
      </span>
      <span className="bt-node-figures">
        <span>{formatCount(node.requests)} {node.requests === 1 ? 'request' : 'requests'}</span>
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
