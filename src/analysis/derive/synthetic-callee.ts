import type { SpanSemantics } from '../../model/semantics.js';

/** An uninstrumented callee: the service a synthetic call goes to. */
export interface SyntheticCallee {
  readonly kind: 'database' | 'messaging' | 'external';
  readonly name: string;
}

/** DESIGN.md §2: the name of an external callee whose client span names no peer. */
export const UNKNOWN_CALLEE_NAME = 'unknown';

/**
 * Names the uninstrumented callee of a CLIENT/PRODUCER span that has no child in another call
 * (DESIGN.md §2 "Uninstrumented callees"), first rule that applies:
 * - `database` when the span has `db.system(.name)`: `db.namespace` ?? `db.name` ?? the system;
 * - `messaging` when it has `messaging.system`: `messaging.destination.name` ?? the system;
 * - `external` otherwise: `peer.service` ?? `server.address` ?? `net.peer.name` ?? the host of
 *   `url.full` / `http.url` ?? `unknown`.
 *
 * "Host" is the URL's host name without port (as `server.address` carries it; IPv6 keeps its
 * brackets). An empty attribute counts as absent, so an empty `peer.service` falls through.
 */
export function syntheticCallee(semantics: SpanSemantics | undefined): SyntheticCallee {
  const dbSystem = present(semantics?.dbSystem);
  if (dbSystem !== undefined) return { kind: 'database', name: present(semantics?.dbNamespace) ?? dbSystem };
  const messagingSystem = present(semantics?.messagingSystem);
  if (messagingSystem !== undefined) {
    return { kind: 'messaging', name: present(semantics?.messagingDestination) ?? messagingSystem };
  }
  return {
    kind: 'external',
    name:
      present(semantics?.peerService) ??
      present(semantics?.serverAddress) ??
      present(semantics?.netPeerName) ??
      hostOf(semantics?.url) ??
      UNKNOWN_CALLEE_NAME,
  };
}

function present(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined || !URL.canParse(url)) return undefined;
  return present(new URL(url).hostname);
}
