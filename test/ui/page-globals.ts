/**
 * The browser globals that functions passed to `page.evaluate` use. Those functions run in
 * Chromium, but are type-checked with the Node tsconfig (no DOM lib), so they reach the page's
 * globals through `globalThis as unknown as PageGlobals`. Types only: page functions are
 * serialized and cannot use imported values.
 */
export interface PageNode {
  readonly textContent: string | null;
  readonly innerText: string;
  readonly value: string;
  readonly dataset: Readonly<Record<string, string | undefined>>;
  readonly classList: { contains(token: string): boolean };
  getAttribute(name: string): string | null;
  querySelector(selectors: string): PageNode | null;
}

export interface PageGlobals {
  readonly document: {
    readonly body: PageNode;
    readonly activeElement: PageNode | null;
    querySelector(selectors: string): PageNode | null;
    querySelectorAll(selectors: string): Iterable<PageNode> & { readonly length: number };
  };
  __xss?: unknown;
  /** Used by `settled()` to see the view stay quiet. */
  __quietSince?: number;
}
