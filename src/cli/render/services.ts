import type { ServiceListJson } from '../../query/analyses.js';
import { ms, percent, safe, table } from './format.js';

export function renderServices(result: ServiceListJson): string {
  const title = `Services, ${result.from} – ${result.to}${result.zone ? `, zone ${safe(result.zone)}` : ''}`;
  if (result.services.length === 0) return `${title}\nNo requests in this timeframe.`;
  return `${title}\n${table(
    ['SERVICE', 'KIND', 'REQUESTS', 'FAILED', 'P50', 'P90', 'CALLERS', 'CALLEES', 'INSTANCES', 'NAMESPACE', 'WORKLOAD'],
    result.services.map((s) => [
      safe(s.name),
      s.kind,
      String(s.requests),
      percent(s.failed, s.requests),
      ms(s.durationMs.p50),
      ms(s.durationMs.p90),
      String(s.callers),
      String(s.callees),
      String(s.instances),
      safe(s.k8s.namespaces.join(',')),
      safe(s.k8s.workloads.join(',')),
    ]),
  )}`;
}
