import { useMemo } from 'react';
import { apiUrl, useApi } from '../api.js';
import type { Location } from '../router.js';
import type { CallerKind, ServiceListJson } from '../types.js';

export function serviceKey(kind: CallerKind, name: string): string {
  return `${kind}\u0000${name}`;
}

/**
 * The services of the selected zone (DESIGN.md §2 "Zones"): a backtrace or flow shows its whole
 * chain and marks the nodes outside the zone. Null when no zone is selected or the list is not in yet.
 */
export function useZoneMembers(location: Location): ReadonlySet<string> | null {
  const zone = location.params.get('zone');
  const list = useApi<ServiceListJson>(zone ? apiUrl('services', { from: location.params.get('from'), to: location.params.get('to'), zone }) : null);
  return useMemo(() => {
    if (!zone || list.state !== 'ok') return null;
    return new Set(list.data.services.map((s) => serviceKey(s.kind, s.name)));
  }, [zone, list]);
}
