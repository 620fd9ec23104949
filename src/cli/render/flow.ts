import type { FlowNode } from '../../analysis/flow.js';
import type { FlowJson } from '../../query/analyses.js';
import { ms, percent, safe } from './format.js';

/** The service flow as an indented tree: each callee with % of requests calling it, calls, failures, time. */
export function renderFlow(result: FlowJson): string {
  const lines: string[] = [`Service flow of ${safe(result.service)} (${result.kind}), ${result.from} – ${result.to}`];
  const { tree } = result;
  if (tree.requests === 0) {
    lines.push('No requests in this timeframe.');
    return lines.join('\n');
  }
  lines.push(`${safe(tree.name)} (${tree.kind})  ${tree.requests} requests, ${percent(tree.failed, tree.requests)} failed, p50 ${ms(tree.durationMs.p50)}`);
  renderChildren(tree, '', tree.requests, lines);
  return lines.join('\n');
}

function renderChildren(node: FlowNode, indent: string, total: number, lines: string[]): void {
  node.children.forEach((child, index) => {
    const last = index === node.children.length - 1;
    lines.push(
      `${indent}${last ? '└─ ' : '├─ '}${safe(child.name)} (${child.kind})  ${percent(child.requests, total)} of requests, ` +
        `${child.calls} calls, ${percent(child.failed, child.calls)} failed, p50 ${ms(child.durationMs.p50)}, total ${ms(child.durationMs.total)}`,
    );
    renderChildren(child, indent + (last ? '   ' : '│  '), total, lines);
  });
}
