/**
 * Call derivation on traces captured from real systems (shared/testdata, each folder's
 * PROVENANCE.txt says where they come from and which facts about them are known):
 * - jaeger-skill-fixtures: OpenTelemetry Demo and HotROD captures in OTLP/JSON;
 * - nezha-trainticket-onlineboutique: TrainTicket and Online Boutique traces as CSV rows without
 *   span kinds, status or attributes, which exercises the kind-less call-boundary rule.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ServiceCall } from '../model/call.js';
import type { ServiceInfo } from '../model/service.js';
import type { SpanSkeleton } from '../model/skeleton.js';
import { deriveCalls, type TraceAnomaly } from './derive-calls.js';
import { serviceInfoFromResource, workloadFromPodName } from './service-info.js';
import { skeletonsFromOtlpJson } from './testing/otlp-json-trace.js';

const TESTDATA = new URL('../../../shared/testdata/', import.meta.url);

function read(path: string): string {
  return readFileSync(new URL(path, TESTDATA), 'utf8');
}

function deriveAll(traces: Map<string, SpanSkeleton[]>): { calls: ServiceCall[]; anomalies: TraceAnomaly[] } {
  const calls: ServiceCall[] = [];
  const anomalies: TraceAnomaly[] = [];
  for (const [traceId, spans] of traces) {
    const result = deriveCalls(traceId, spans, { failureRules: [] });
    calls.push(...result.calls);
    anomalies.push(...result.anomalies);
  }
  return { calls, anomalies };
}

function callerName(call: ServiceCall): string {
  return call.path.at(-1)?.name ?? '∅';
}

/** Distinct `caller → kind:callee` edges with their call counts. */
function edgeCounts(calls: readonly ServiceCall[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of calls) {
    const key = `${callerName(call)} → ${call.kind}:${call.service}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe('OpenTelemetry Demo capture (jaeger-skill-fixtures/error_timeout_masked.json)', () => {
  const traces = skeletonsFromOtlpJson(JSON.parse(read('jaeger-skill-fixtures/error_timeout_masked.json')));
  const { calls, anomalies } = deriveAll(traces);

  it('shows load-generator → frontend-proxy → frontend → {cart, product-catalog} and their databases', () => {
    expect([...edgeCounts(calls)]).toEqual([
      ['∅ → service:load-generator', 1],
      ['load-generator → service:frontend-proxy', 3],
      ['frontend-proxy → service:frontend', 3],
      ['frontend → service:product-catalog', 1],
      ['product-catalog → database:postgresql', 1],
      ['frontend → service:cart', 2],
      ['cart → database:redis', 4],
    ]);
  });

  it('fails only the Envoy call that timed out, with its HTTP status as reason, and not the frontend call that used up the budget', () => {
    expect(calls.filter((call) => call.failed).map((call) => [call.service, call.request, call.failureReason])).toEqual([
      ['frontend-proxy', 'POST', '504'],
    ]);
    const locus = calls.find((call) => call.callId === '909a94f934468e91');
    expect(locus).toMatchObject({ service: 'frontend', request: 'POST', failed: false, durationNanos: 15_000_947_152n });
  });

  it('recognises the Envoy frontend-proxy as a proxy on the way to everything behind it', () => {
    const behind = calls.filter((call) => call.path.some((entry) => entry.name === 'frontend-proxy'));
    expect(behind.length).toBeGreaterThan(0);
    for (const call of behind) expect(call.proxies).toEqual(['frontend-proxy']);
    expect(calls.find((call) => call.service === 'load-generator')!.proxies).toEqual([]);
  });

  it('gives the redis callee the full caller path', () => {
    const redis = calls.find((call) => call.service === 'redis')!;
    expect(redis.path.map((entry) => entry.name)).toEqual(['load-generator', 'frontend-proxy', 'frontend', 'cart']);
    expect(redis).toMatchObject({ synthetic: true, request: 'valkey-cart:6379', instance: null });
  });

  it('reports the one child that starts before its parent', () => {
    expect(anomalies).toEqual([{ type: 'clock-skew', spanId: '84af5b43ba47cb99', parentSpanId: '70285c4bad5fe3c5', skewNanos: 118_000n }]);
  });
});

describe('HotROD capture (jaeger-skill-fixtures/n_plus_one_positive.json)', () => {
  const { calls } = deriveAll(skeletonsFromOtlpJson(JSON.parse(read('jaeger-skill-fixtures/n_plus_one_positive.json'))));

  it('shows frontend → driver → 13 serial redis-manual calls, 3 of them failed', () => {
    const redis = calls.filter((call) => call.service === 'redis-manual');
    expect(redis).toHaveLength(13);
    expect(new Set(redis.map(callerName))).toEqual(new Set(['driver']));
    expect(redis.filter((call) => call.failed).map((call) => call.failureReason)).toEqual(['An error occurred', 'An error occurred', 'An error occurred']);
    expect(edgeCounts(calls).get('frontend → service:driver')).toBe(1);
  });
});

/** Nezha's CSV rows as skeletons: the service is the workload of the pod (the name the deployment gives it). */
function nezhaTraces(file: string): Map<string, SpanSkeleton[]> {
  const services = new Map<string, ServiceInfo>();
  const traces = new Map<string, SpanSkeleton[]>();
  const [header, ...rows] = read(`nezha-trainticket-onlineboutique/${file}`).trim().split('\n');
  expect(header).toBe('TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration');
  for (const row of rows) {
    const [traceId = '', spanId = '', parentId = '', pod = '', operation = '', start = '0', end = '0'] = row.split(',');
    let service = services.get(pod);
    if (service === undefined) {
      const attributes = [
        { key: 'service.name', value: { stringValue: workloadFromPodName(pod) } },
        { key: 'k8s.pod.name', value: { stringValue: pod } },
      ];
      service = serviceInfoFromResource(attributes, { proxyServices: [] });
      services.set(pod, service);
    }
    const skeleton: SpanSkeleton = {
      spanId,
      parentSpanId: parentId === 'root' ? '' : parentId,
      resourceId: pod,
      service,
      name: operation,
      kind: 0,
      startTimeUnixNano: BigInt(start),
      endTimeUnixNano: BigInt(end),
      statusCode: 0,
      statusMessage: '',
      semantics: undefined,
    };
    const spans = traces.get(traceId);
    if (spans === undefined) traces.set(traceId, [skeleton]);
    else spans.push(skeleton);
  }
  return traces;
}

describe('TrainTicket without span kinds (Nezha, fault-free minute)', () => {
  const traces = nezhaTraces('trainticket_2023-01-29_08_50_normal_trace.csv');
  const { calls, anomalies } = deriveAll(traces);

  it('starts every one of the 71 traces at ts-gateway-service and finds nothing wrong', () => {
    expect(traces.size).toBe(71);
    expect(calls.filter((call) => call.path.length === 0).map((call) => call.service)).toEqual(new Array(71).fill('ts-gateway-service'));
    expect(anomalies).toEqual([]);
  });

  it('finds the three immediate callers of ts-seat-service with their call counts', () => {
    const seat = calls.filter((call) => call.service === 'ts-seat-service');
    const byCaller = new Map<string, number>();
    for (const call of seat) byCaller.set(callerName(call), (byCaller.get(callerName(call)) ?? 0) + 1);
    expect(Object.fromEntries(byCaller)).toEqual({ 'ts-travel-service': 100, 'ts-travel2-service': 14, 'ts-preserve-other-service': 1 });
  });

  it('finds the four immediate callers of ts-order-service', () => {
    const callers = new Set(calls.filter((call) => call.service === 'ts-order-service').map(callerName));
    expect(callers).toEqual(new Set(['ts-seat-service', 'ts-execute-service', 'ts-security-service', 'ts-inside-payment-service']));
  });

  it('follows the five-service chain gateway → preserve → travel → seat → order', () => {
    const chains = new Set(calls.filter((call) => call.service === 'ts-order-service').map((call) => call.path.map((entry) => entry.name).join(' > ')));
    expect(chains).toContain('ts-gateway-service > ts-preserve-service > ts-travel-service > ts-seat-service');
  });

  it('keeps consecutive spans of one pod in one call: a call per service hop, not per span', () => {
    expect(calls.length).toBeLessThan([...traces.values()].reduce((n, spans) => n + spans.length, 0) / 4);
    expect(calls.every((call) => call.kind === 'service' && !call.synthetic)).toBe(true);
  });
});

describe('TrainTicket fault minute (Nezha, exception injected into ts-travel-service)', () => {
  it('sees only 4 entries from the gateway into ts-travel-service', () => {
    const { calls } = deriveAll(nezhaTraces('trainticket_2023-01-29_10_20_fault_trace.csv'));
    expect(calls.filter((call) => call.service === 'ts-travel-service' && callerName(call) === 'ts-gateway-service')).toHaveLength(4);
  });
});

describe('Online Boutique without span kinds (Nezha subset)', () => {
  const { calls, anomalies } = deriveAll(nezhaTraces('onlineboutique_2022-08-22_04_03_trace_subset.csv'));

  it('finds frontend, recommendationservice and checkoutservice as the callers of productcatalogservice', () => {
    const callers = new Set(calls.filter((call) => call.service === 'productcatalogservice').map(callerName));
    expect(callers).toEqual(new Set(['frontend', 'recommendationservice', 'checkoutservice']));
  });

  it('roots all 139 traces at frontend and reports the one child that starts before its parent', () => {
    expect(calls.filter((call) => call.path.length === 0)).toHaveLength(139);
    expect(new Set(calls.filter((call) => call.path.length === 0).map((call) => call.service))).toEqual(new Set(['frontend']));
    expect(anomalies.map((anomaly) => anomaly.type)).toEqual(['clock-skew']);
  });

  it('takes the Kubernetes workload of each pod from its name', () => {
    const workloads = new Set(calls.map((call) => call.k8s.workload));
    expect(workloads).toEqual(
      new Set([
        'frontend',
        'currencyservice',
        'productcatalogservice',
        'cartservice',
        'recommendationservice',
        'shippingservice',
        'checkoutservice',
        'paymentservice',
        'emailservice',
        'adservice',
      ]),
    );
  });
});
