/** Nodes a tree view shows before the user expands anything. */
export const AUTO_EXPAND_NODES = 40;

/**
 * How many levels of a big tree to open at first: levels are added while the nodes shown stay
 * within `budget`, and at least `minimum` levels below the root open. Returns the depth below
 * which nodes show their children.
 */
export function autoExpandDepth<T>(root: T, children: (node: T) => readonly T[], budget = AUTO_EXPAND_NODES, minimum = 2): number {
  const perDepth: number[] = [];
  const stack: { node: T; depth: number }[] = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    perDepth[depth] = (perDepth[depth] ?? 0) + 1;
    for (const child of children(node)) stack.push({ node: child, depth: depth + 1 });
  }
  let shown = 0;
  let depth = 0;
  for (; depth < perDepth.length; depth++) {
    shown += perDepth[depth] ?? 0;
    if (shown > budget) break;
  }
  // Levels 0 … depth − 1 fit: nodes above the last of them open.
  return Math.max(minimum, depth - 1);
}
