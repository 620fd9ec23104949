import type { BacktraceNode } from '../../analysis/backtrace.js';
import type { BacktraceJson } from '../../query/analyses.js';
import { label, percent, safe } from './format.js';

/**
 * The backtrace as an indented tree read upward: the focal service first, each level its callers.
 *   order (service)  1234 requests, 1.0% failed
 *     GET /order/{id}  1234
 *   └─ frontend (service)  1200 requests (97%), 1.0% failed   ← GET /order/{id}
 */
export function renderBacktrace(result: BacktraceJson): string {
  const lines: string[] = [];
  const { tree } = result;
  lines.push(`Backtrace of ${safe(result.service)} (${result.kind}), ${result.from} – ${result.to}`);
  if (tree.requests === 0) {
    lines.push('No requests in this timeframe.');
    return lines.join('\n');
  }
  lines.push(`${safe(tree.name)} (${tree.kind})  ${tree.requests} requests, ${percent(tree.failed, tree.requests)} failed`);
  for (const call of tree.calls) lines.push(`    ${label(call.name)}  ${call.requests}${call.failed ? ` (${call.failed} failed)` : ''}`);
  renderCallers(tree, '', tree.requests, lines);
  return lines.join('\n');
}

function renderCallers(node: BacktraceNode, indent: string, total: number, lines: string[]): void {
  node.callers.forEach((caller, index) => {
    const last = index === node.callers.length - 1;
    const sent = (caller.sentToNext ?? []).map((s) => label(s.name)).join(', ');
    lines.push(
      `${indent}${last ? '└─ ' : '├─ '}${safe(caller.name)} (${caller.kind})  ${caller.requests} requests (${percent(caller.requests, total)}), ` +
        `${percent(caller.failed, caller.requests)} failed${sent ? `  → ${sent}` : ''}`,
    );
    const childIndent = indent + (last ? '   ' : '│  ');
    for (const call of caller.calls) lines.push(`${childIndent}   ${label(call.name)}  ${call.requests}`);
    const startedHere = caller.requests - caller.callers.reduce((sum, c) => sum + c.requests, 0);
    if (caller.callers.length > 0 && startedHere > 0) lines.push(`${childIndent}   (${startedHere} started here)`);
    renderCallers(caller, childIndent, total, lines);
  });
}
