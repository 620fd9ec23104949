import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../src/model/otlp.js';
import { NEZHA_FILES, nezhaCsvToOtlp, readNezha, workloadOfPod } from './nezha.js';
import { flattenSpans } from './otlp-view.js';

describe('Nezha CSV → OTLP', () => {
  it('TrainTicket normal minute: 4890 spans, 71 traces, 25 services, one pod each, gateway roots', () => {
    const request = readNezha(NEZHA_FILES.trainTicketNormal);
    const spans = flattenSpans(request);
    expect(spans).toHaveLength(4890);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(71);
    expect(request.resourceSpans).toHaveLength(25);
    const services = new Set(spans.map((s) => s.service));
    expect(services.size).toBe(25);
    expect(services).toContain('ts-travel2-service');
    expect(services).toContain('ts-inside-payment-service');
    const roots = spans.filter((s) => s.parentSpanId === '');
    expect(roots).toHaveLength(71);
    expect(new Set(roots.map((r) => `${r.service} ${r.name}`))).toEqual(new Set(['ts-gateway-service /*']));
    const travel2 = spans.find((s) => s.service === 'ts-travel2-service')!;
    expect(travel2.resource).toEqual({
      'service.name': 'ts-travel2-service',
      'k8s.namespace.name': 'ts',
      'k8s.deployment.name': 'ts-travel2-service',
      'k8s.pod.name': 'ts-travel2-service-5c66d57d58-6mp2b',
    });
    expect(spans.every((s) => s.kind === SpanKind.UNSPECIFIED && s.end >= s.start)).toBe(true);
  });

  it('TrainTicket normal minute: ts-seat-service is entered from travel, travel2 and preserve-other', () => {
    const spans = flattenSpans(readNezha(NEZHA_FILES.trainTicketNormal));
    const byId = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
    const callers = new Map<string, number>();
    for (const s of spans) {
      const parent = byId.get(`${s.traceId}/${s.parentSpanId}`);
      if (s.service === 'ts-seat-service' && parent !== undefined && parent.service !== 'ts-seat-service') {
        callers.set(parent.service!, (callers.get(parent.service!) ?? 0) + 1);
      }
    }
    // PROVENANCE: entry spans travel 100, travel2 14, preserve-other 1.
    expect(Object.fromEntries(callers)).toEqual({ 'ts-travel-service': 100, 'ts-travel2-service': 14, 'ts-preserve-other-service': 1 });
  });

  it('TrainTicket fault minute: 604 spans, 26 traces, 18 services', () => {
    const spans = flattenSpans(readNezha(NEZHA_FILES.trainTicketFault));
    expect(spans).toHaveLength(604);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(26);
    expect(new Set(spans.map((s) => s.service)).size).toBe(18);
  });

  it('Online Boutique subset: 3808 spans, 139 traces, 10 services in namespace hipster', () => {
    const spans = flattenSpans(readNezha(NEZHA_FILES.onlineBoutique));
    expect(spans).toHaveLength(3808);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(139);
    expect(new Set(spans.map((s) => s.service))).toEqual(
      new Set(['frontend', 'currencyservice', 'productcatalogservice', 'cartservice', 'recommendationservice',
        'shippingservice', 'checkoutservice', 'paymentservice', 'emailservice', 'adservice']),
    );
    expect(new Set(spans.map((s) => s.resource['k8s.namespace.name']))).toEqual(new Set(['hipster']));
    expect(spans.find((s) => s.service === 'frontend')!.resource['k8s.pod.name']).toBe('frontend-579b9bff58-t2dbm');
  });

  it('derives workloads from Deployment pod names and leaves other names alone', () => {
    expect(workloadOfPod('ts-gateway-service-6f6cfc45b-h5m2n')).toBe('ts-gateway-service');
    expect(workloadOfPod('currencyservice-cf787dd48-vpjrd')).toBe('currencyservice');
    expect(workloadOfPod('redis-cart-0')).toBe('redis-cart-0');
  });

  it('rejects a file that is not a Nezha trace CSV', () => {
    expect(() => nezhaCsvToOtlp('a,b\n1,2\n')).toThrow(/not a Nezha trace CSV/);
    expect(() =>
      nezhaCsvToOtlp('TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\nxyz,1,root,p,op,1,2,1\n'),
    ).toThrow(/row 2/);
  });
});
