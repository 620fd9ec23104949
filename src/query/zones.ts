import type { ZoneConfig, ZoneRule } from '../config/config.js';
import type { CallAnalytics, ZoneFilter } from '../storage/api/call-queries.js';

/** Whether a resource (attributes flattened to strings) belongs to `zone` (DESIGN.md §2 "Zones"). */
export function resourceInZone(attributes: Readonly<Record<string, string>>, zone: ZoneConfig): boolean {
  const holds = (rule: ZoneRule) => ruleHolds(rule, attributes[rule.attribute]);
  return zone.match === 'all' ? zone.rules.every(holds) : zone.rules.some(holds);
}

function ruleHolds(rule: ZoneRule, value: string | undefined): boolean {
  if ('exists' in rule) return (value !== undefined) === rule.exists;
  if (value === undefined) return false;
  if ('equals' in rule) return value === rule.equals;
  if ('startsWith' in rule) return value.startsWith(rule.startsWith);
  return new RegExp(rule.regex).test(value);
}

/** The store's resources that belong to `zone`, as the filter the store applies. */
export async function zoneFilter(store: CallAnalytics, zone: ZoneConfig): Promise<ZoneFilter> {
  const resources = await store.listResources();
  const resourceIds: string[] = [];
  for (const [id, attributes] of resources) if (resourceInZone(attributes, zone)) resourceIds.push(id);
  return { resourceIds };
}
