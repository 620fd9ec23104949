import type { CallerKind } from '../types.js';

/** What each kind of node is called in labels and tooltips. */
export const KIND_LABELS: Readonly<Record<CallerKind, string>> = {
  service: 'Service',
  database: 'Database',
  messaging: 'Messaging',
  external: 'Third party',
  application: 'Browser application',
  unknown: 'Unknown caller',
};

/** A kind as the API sends it where it is typed `string` (trace calls); anything unexpected reads as unknown. */
export function asCallerKind(kind: string): CallerKind {
  return Object.hasOwn(KIND_LABELS, kind) ? (kind as CallerKind) : 'unknown';
}

/** Icon shapes on a 16×16 grid, stroked in the kind's colour (see `.kind-*` in styles.css). */
function Shape({ kind }: { readonly kind: CallerKind }) {
  switch (kind) {
    case 'service':
      return (
        <>
          <rect x="2" y="2.5" width="12" height="4.5" rx="1.2" />
          <rect x="2" y="9" width="12" height="4.5" rx="1.2" />
          <circle cx="4.8" cy="4.75" r="0.7" className="fill" />
          <circle cx="4.8" cy="11.25" r="0.7" className="fill" />
        </>
      );
    case 'database':
      return (
        <>
          <ellipse cx="8" cy="3.6" rx="5.5" ry="2" />
          <path d="M2.5 3.6v8.8c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2V3.6" />
          <path d="M2.5 8c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2" />
        </>
      );
    case 'messaging':
      return (
        <>
          <rect x="1.5" y="4" width="3.4" height="8" rx="0.8" />
          <rect x="6.3" y="4" width="3.4" height="8" rx="0.8" />
          <path d="M11.3 8h3.2M12.9 6.4 14.5 8l-1.6 1.6" />
        </>
      );
    case 'external':
      return (
        <>
          <circle cx="8" cy="8" r="6" />
          <path d="M2 8h12M8 2c1.8 1.7 2.6 3.7 2.6 6S9.8 12.3 8 14M8 2C6.2 3.7 5.4 5.7 5.4 8S6.2 12.3 8 14" />
        </>
      );
    case 'application':
      return (
        <>
          <rect x="1.5" y="2.5" width="13" height="11" rx="1.5" />
          <path d="M1.5 5.5h13" />
          <circle cx="3.5" cy="4" r="0.5" className="fill" />
          <circle cx="5.2" cy="4" r="0.5" className="fill" />
        </>
      );
    case 'unknown':
      return (
        <>
          <circle cx="8" cy="8" r="6" strokeDasharray="2 1.6" />
          <path d="M6.2 6.3c0-1 .8-1.8 1.8-1.8s1.8.7 1.8 1.7c0 1.4-1.8 1.5-1.8 2.9" />
          <circle cx="8" cy="11.3" r="0.6" className="fill" />
        </>
      );
  }
}

/**
 * An inline SVG icon for a node kind. `x`/`y` place it inside an enclosing SVG (the flow graph);
 * without them it sits in text.
 */
export function KindIcon({ kind, size = 16, x, y }: { readonly kind: CallerKind; readonly size?: number; readonly x?: number; readonly y?: number }) {
  return (
    <svg
      className={`kind-icon kind-${kind}`}
      viewBox="0 0 16 16"
      width={size}
      height={size}
      {...(x !== undefined ? { x } : {})}
      {...(y !== undefined ? { y } : {})}
      role="img"
      aria-label={KIND_LABELS[kind]}
      fill="none"
      strokeWidth="1.4"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <title>{KIND_LABELS[kind]}</title>
      <Shape kind={kind} />
    </svg>
  );
}
