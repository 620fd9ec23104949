/**
 * The OpenTelemetry Collector's service-graph connector fixtures (shared/testdata/
 * otelcol-servicegraph-testdata, see its PROVENANCE.txt): tiny real traces whose expected edges the
 * collector's own tests pin. Tributary's calls must show the same edges a user reads off the
 * collector's service graph, in Tributary's terms: the collector's `user` virtual caller of a root
 * SERVER span is "requests start here" (an empty path), and its `unknown` virtual callee of an
 * unanswered CLIENT span is the synthetic external callee `unknown`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ServiceCall } from '../model/call.js';
import type { SpanSkeleton } from '../model/skeleton.js';
import { deriveCalls } from './derive-calls.js';
import { skeletonsFromOtlpJson } from './testing/otlp-json-trace.js';

const FIXTURES = new URL('../../../shared/testdata/otelcol-servicegraph-testdata/', import.meta.url);

function fixture(name: string): Map<string, SpanSkeleton[]> {
  return skeletonsFromOtlpJson(parse(readFileSync(new URL(name, FIXTURES), 'utf8')));
}

function edges(traces: Map<string, SpanSkeleton[]>): string[] {
  const out: string[] = [];
  for (const [traceId, spans] of traces) {
    const { calls, anomalies } = deriveCalls(traceId, spans, { failureRules: [] });
    expect(anomalies).toEqual([]);
    out.push(...calls.map(edge));
  }
  return out;
}

function edge(call: ServiceCall): string {
  const caller = call.path.at(-1);
  return `${caller === undefined ? '∅' : `${caller.kind}:${caller.name}`} → ${call.kind}:${call.service} "${call.request}"`;
}

describe('collector service-graph fixtures', () => {
  it('messaging-system-trace: foo-server calls bar-requester', () => {
    expect(edges(fixture('messaging-system-trace.yaml'))).toEqual([
      '∅ → service:foo-server "server"',
      'service:foo-server → service:bar-requester "HTTP GET /ready"',
    ]);
  });

  it('extra-dimensions-queue-db-trace: the same edge; a client span answered by a server span yields no synthetic callee', () => {
    // The CLIENT span carries messaging.system=kafka and the SERVER span db.system=postgresql; the
    // collector turns them into edge dimensions, not extra nodes, and so does Tributary.
    expect(edges(fixture('extra-dimensions-queue-db-trace.yaml'))).toEqual([
      '∅ → service:foo-server "server"',
      'service:foo-server → service:bar-requester "HTTP GET /ready"',
    ]);
  });

  it('extra-dimensions-queue-db-trace without the answering server: foo-server → messaging callee kafka', () => {
    const traces = fixture('extra-dimensions-queue-db-trace.yaml');
    for (const [traceId, spans] of traces) traces.set(traceId, spans.filter((s) => s.service.name === 'foo-server'));
    expect(edges(traces)).toEqual(['∅ → service:foo-server "server"', 'service:foo-server → messaging:kafka "server"']);
  });

  it('extra-dimensions-queue-db-trace with bar-requester querying its database: bar-requester → database callee postgresql', () => {
    // The fixture's SERVER span carries db.system; made a CLIENT span (what a database client
    // instrumentation writes), it is a query into an uninstrumented PostgreSQL.
    const traces = fixture('extra-dimensions-queue-db-trace.yaml');
    for (const [traceId, spans] of traces) {
      const server = spans.find((s) => s.service.name === 'bar-requester')!;
      const query: SpanSkeleton = { ...server, spanId: 'b000000000000001', parentSpanId: server.spanId, kind: 3, name: 'SELECT ready' };
      traces.set(traceId, [...spans, query]);
    }
    expect(edges(traces)).toEqual([
      '∅ → service:foo-server "server"',
      'service:foo-server → service:bar-requester "HTTP GET /ready"',
      'service:bar-requester → database:postgresql "SELECT ready"',
    ]);
  });

  it("virtual-node-label-trace: an unanswered client span calls 'unknown'; a root server span starts requests", () => {
    const traces = fixture('virtual-node-label-trace.yaml');
    expect([...traces.keys()]).toEqual(['a0000000000000000000000000000000', 'a0000000000000000000000000000001']);
    expect(edges(traces)).toEqual([
      '∅ → service:foo-server "server"',
      'service:foo-server → external:unknown "server"',
      '∅ → service:bar-requester "HTTP GET /ready"',
    ]);
  });

  it('virtual-node-label-client-trace: a lone root server span is a call with no caller', () => {
    const traces = fixture('virtual-node-label-client-trace.yaml');
    const spans = traces.get('a0000000000000000000000000000001') ?? [];
    const { calls } = deriveCalls('a0000000000000000000000000000001', spans, { failureRules: [] });
    expect(calls.map(edge)).toEqual(['∅ → service:bar-requester "HTTP GET /ready"']);
    expect(calls[0]).toMatchObject({ traceId: 'a0000000000000000000000000000001', callId: 'a000000000000001', path: [], failed: false });
  });
});
