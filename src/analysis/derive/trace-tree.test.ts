import { describe, expect, it } from 'vitest';
import type { TraceAnomaly } from './anomalies.js';
import { MISSING_PARENT, NO_PARENT, buildTraceTree } from './trace-tree.js';
import { span } from '../testing/trace-builder.js';

function tree(spans: Parameters<typeof buildTraceTree>[0]) {
  const anomalies: TraceAnomaly[] = [];
  const result = buildTraceTree(spans, anomalies);
  const ids = result.spans.map((s) => s.spanId);
  const parentOf = Object.fromEntries(ids.map((id, i) => {
    const p = result.parent[i]!;
    return [id, p === NO_PARENT ? 'root' : p === MISSING_PARENT ? 'missing' : ids[p]];
  }));
  return { ids, parentOf, topDown: [...result.topDown].map((i) => ids[i]), anomalies };
}

describe('buildTraceTree', () => {
  it('orders spans by start time, keeping input order for ties', () => {
    const { ids } = tree([
      span('a', 'internal', 'x', { id: 'late', startMs: 3 }),
      span('a', 'internal', 'x', { id: 'tie-1', startMs: 1 }),
      span('a', 'internal', 'x', { id: 'tie-2', startMs: 1 }),
    ]);
    expect(ids).toEqual(['tie-1', 'tie-2', 'late']);
  });

  it('lists every span once, each after its parent, even when children start first', () => {
    const { topDown, parentOf } = tree([
      span('a', 'internal', 'x', { id: 'leaf', parent: 'mid', startMs: 0 }),
      span('a', 'internal', 'x', { id: 'mid', parent: 'top', startMs: 1 }),
      span('a', 'internal', 'x', { id: 'top', startMs: 2 }),
      span('a', 'internal', 'x', { id: 'orphan', parent: 'nowhere', startMs: 3 }),
    ]);
    expect(parentOf).toEqual({ leaf: 'mid', mid: 'top', top: 'root', orphan: 'missing' });
    expect(topDown).toEqual(['top', 'orphan', 'mid', 'leaf']);
  });

  it('reports a two-span cycle once and cuts it at the earlier span', () => {
    const { parentOf, anomalies } = tree([
      span('a', 'internal', 'x', { id: 'q', parent: 'p', startMs: 2 }),
      span('a', 'internal', 'x', { id: 'p', parent: 'q', startMs: 1 }),
    ]);
    expect(parentOf).toEqual({ p: 'root', q: 'p' });
    expect(anomalies).toEqual([{ type: 'cycle', spanIds: ['p', 'q'], cutSpanId: 'p' }]);
  });

  it('cuts two separate cycles separately', () => {
    const { anomalies } = tree([
      span('a', 'internal', 'x', { id: 'a1', parent: 'a2', startMs: 1 }),
      span('a', 'internal', 'x', { id: 'a2', parent: 'a1', startMs: 2 }),
      span('a', 'internal', 'x', { id: 'b1', parent: 'b2', startMs: 3 }),
      span('a', 'internal', 'x', { id: 'b2', parent: 'b1', startMs: 4 }),
    ]);
    expect(anomalies.map((a) => (a.type === 'cycle' ? a.cutSpanId : a.type))).toEqual(['a1', 'b1']);
  });
});
