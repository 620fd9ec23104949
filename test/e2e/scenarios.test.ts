import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeDataDir, startServer, type ServerProcess } from '../harness/server.js';
import { makeExporter } from '../harness/otel.js';
import { Scenarios } from '../harness/scenarios.js';

interface Node {
  kind: string;
  name: string;
  requests: number;
  failed: number;
  calls: { name: string; requests: number; failed: number }[];
  sentToNext?: { name: string; requests: number; failed: number }[];
  callers: Node[];
}
interface FlowNode { kind: string; name: string; calls: number; requests: number; failed: number; children: FlowNode[] }

/** The caller chains of a backtrace as "a < b < c (requests/failed)" lines, read upward. */
function chains(node: Node, prefix = ''): string[] {
  const here = `${prefix}${prefix ? ' < ' : ''}${node.kind}:${node.name}`;
  const own = `${here} (${node.requests}/${node.failed})`;
  return [own, ...node.callers.flatMap((c) => chains(c, here))];
}

describe('seed scenarios sent with the OpenTelemetry SDK', () => {
  const data = makeDataDir();
  let server: ServerProcess;
  const api = async <T>(path: string): Promise<T> => {
    const response = await server.api(path);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    const config = path.join(data.dir, 'tributary.yaml');
    writeFileSync(config, [
      'zones:',
      '  - name: dt-orders-k8',
      '    rules:',
      '      - { attribute: k8s.namespace.name, equals: dt-orders }',
    ].join('\n'));
    server = await startServer({ dataDir: data.dir, settleMs: 200, args: ['--config', config] });
    const scenarios = new Scenarios(makeExporter('proto', server));
    for (let i = 0; i < 3; i++) scenarios.login();
    for (let i = 0; i < 4; i++) scenarios.productPage(i % 2 === 0);
    for (let i = 0; i < 5; i++) scenarios.booking(i < 2);
    for (let i = 0; i < 2; i++) scenarios.shippingQuote();
    scenarios.ordersLab();
    await scenarios.flush();
    await scenarios.shutdown();
    // Everything settled: the services list shows the last scenario's backend twice.
    await eventually(async () => {
      const list = await api<{ services: { name: string; requests: number }[] }>('/api/v1/services?from=now-1h&to=now%2B1h');
      return list.services.find((s) => s.name === 'backend')?.requests === 2 && list.services.find((s) => s.name === 'api.fedex.com') ? true : undefined;
    }, 30_000, 'all scenarios settled');
  });
  afterAll(async () => {
    await server?.stop();
    data.remove();
  });

  const window = 'from=now-1h&to=now%2B1h';

  it('the database backtrace reads database ← Service1 ← Service2 ← login click', async () => {
    const bt = await api<{ kind: string; requests: number; tree: Node }>(`/api/v1/services/userdb/backtrace?${window}`);
    expect(bt.kind).toBe('database');
    expect(chains(bt.tree)).toEqual([
      'database:userdb (3/0)',
      'database:userdb < service:Service1 (3/0)',
      'database:userdb < service:Service1 < service:Service2 (3/0)',
      'database:userdb < service:Service1 < service:Service2 < application:easytravel-web (3/0)',
    ]);
    const app = bt.tree.callers[0]!.callers[0]!.callers[0]!;
    expect(app.calls).toEqual([{ name: 'click on BUTTON#login', requests: 3, failed: 0 }]);
    expect(app.sentToNext).toEqual([{ name: 'POST /login', requests: 3, failed: 0 }]);
    expect(bt.tree.calls).toEqual([{ name: 'SELECT users', requests: 3, failed: 0 }]);
  });

  it('a failing ads request shows as failed at ad while the page does not fail', async () => {
    const bt = await api<{ requests: number; failed: number; tree: Node }>(`/api/v1/services/ad/backtrace?${window}`);
    expect([bt.requests, bt.failed]).toEqual([4, 2]);
    expect(chains(bt.tree)).toEqual(['service:ad (4/2)', 'service:ad < service:frontend (4/2)']);
    const frontend = await api<{ requests: number; failed: number }>(`/api/v1/services/frontend?${window}&request=${encodeURIComponent('GET /product/{id}')}`);
    expect([frontend.requests, frontend.failed]).toEqual([4, 0]);
    const failures = await api<{ reasons: { reason: string; count: number }[]; stackTraces: { stackTrace: string }[] }>(`/api/v1/services/ad/failures?${window}`);
    expect(failures.reasons).toEqual([{ reason: 'ad inventory unavailable', count: 2 }]);
    expect(failures.stackTraces[0]?.stackTrace).toContain('AdService.getAds');
  });

  it('a failing card verification fails the bookings, visible along the whole flow', async () => {
    const flow = await api<{ requests: number; failed: number; tree: FlowNode }>(`/api/v1/services/booking/flow?${window}`);
    expect([flow.requests, flow.failed]).toEqual([5, 2]);
    const payment = flow.tree.children.find((c) => c.name === 'payment')!;
    expect([payment.calls, payment.requests, payment.failed]).toEqual([5, 5, 2]);
    const verification = payment.children.find((c) => c.name === 'card-verification')!;
    expect([verification.calls, verification.requests, verification.failed]).toEqual([5, 5, 2]);
    const failures = await api<{ reasons: { reason: string; count: number }[] }>(`/api/v1/services/booking/failures?${window}`);
    expect(failures.reasons).toEqual([{ reason: 'booking failed: payment declined', count: 2 }]);
  });

  it('an always-failing third party is traced back through services to the user clicks', async () => {
    const bt = await api<{ kind: string; requests: number; failed: number; tree: Node }>(`/api/v1/services/api.fedex.com/backtrace?${window}`);
    expect([bt.kind, bt.requests, bt.failed]).toEqual(['external', 2, 2]);
    expect(chains(bt.tree)).toEqual([
      'external:api.fedex.com (2/2)',
      'external:api.fedex.com < service:shipping (2/2)',
      'external:api.fedex.com < service:shipping < service:frontend (2/2)',
      'external:api.fedex.com < service:shipping < service:frontend < application:easytravel-web (2/2)',
    ]);
    const details = await api<{ failureReasons: { reason: string; count: number }[]; exemplarTraceIds: string[] }>(
      `/api/v1/services/api.fedex.com/backtrace/details?${window}&path=${encodeURIComponent('easytravel-web > frontend > shipping')}`);
    expect(details.failureReasons).toEqual([{ reason: 'Service Unavailable', count: 2 }]);
    expect(details.exemplarTraceIds).toHaveLength(2);
  });

  it('the monolith backend has two callers, one of them fed by a browser, with Kubernetes context', async () => {
    const bt = await api<{ tree: Node }>(`/api/v1/services/backend/backtrace?${window}`);
    expect(chains(bt.tree)).toEqual([
      'service:backend (2/0)',
      'service:backend < service:order (1/0)',
      'service:backend < service:orders-frontend (1/0)',
      'service:backend < service:orders-frontend < application:orders-web (1/0)',
    ]);
    const overview = await api<{ instances: { instance: string; k8s: { workload: string; node: string; namespace: string } }[]; k8s: { namespaces: string[] } }>(
      `/api/v1/services/backend?${window}`);
    expect(overview.k8s.namespaces).toEqual(['dt-orders']);
    expect(overview.instances.map((i) => [i.instance, i.k8s.workload, i.k8s.node])).toEqual([['backend-5d9c7b8f6d-q7w2x', 'backend', 'worker-1']]);
    const filtered = await api<{ tree: Node }>(`/api/v1/services/backend/backtrace?${window}&chain=${encodeURIComponent('orders-web > orders-frontend')}`);
    expect(chains(filtered.tree)).toEqual([
      'service:backend (1/0)',
      'service:backend < service:orders-frontend (1/0)',
      'service:backend < service:orders-frontend < application:orders-web (1/0)',
    ]);
  });

  it('a zone from the config file filters the services and traces lists', async () => {
    const zoned = await api<{ zone: string; services: { kind: string; name: string }[] }>(`/api/v1/services?${window}&zone=dt-orders-k8`);
    expect(zoned.zone).toBe('dt-orders-k8');
    expect(zoned.services.map((s) => `${s.kind}:${s.name}`)).toEqual(['service:backend', 'service:order', 'service:orders-frontend']);
    const traces = await api<{ traces: { rootService: string }[] }>(`/api/v1/traces?${window}&zone=dt-orders-k8`);
    expect(traces.traces.map((t) => t.rootService).sort()).toEqual(['order', 'orders-web']);
    const unknownZone = await server.api(`/api/v1/services?${window}&zone=nope`);
    expect(unknownZone.status).toBe(400);
    expect(((await unknownZone.json()) as { error: { message: string } }).error.message).toMatch(/^zone: unknown zone "nope" \(configured: dt-orders-k8\)/);
  });

  it('bad parameters get 400 naming the parameter, unknown services 404', async () => {
    const bad = await server.api('/api/v1/services/backend/backtrace?from=yesterday');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^from:/);
    const badKind = await server.api('/api/v1/services/backend/flow?kind=planet');
    expect(badKind.status).toBe(400);
    expect(((await badKind.json()) as { error: { message: string } }).error.message).toMatch(/^kind:/);
    const badChain = await server.api('/api/v1/services/backend/backtrace?chain=a%20%3E%20%3E%20b');
    expect(badChain.status).toBe(400);
    expect(((await badChain.json()) as { error: { message: string } }).error.message).toMatch(/^chain:/);
    expect((await server.api(`/api/v1/services/no-such-service/backtrace?${window}`)).status).toBe(404);
  });
});
