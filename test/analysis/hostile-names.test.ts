/**
 * The fast path with hostile values: services, requests, chain steps and zone ids that look like
 * SQL (`'; DROP TABLE calls; --`), like regular expressions (`.*`, `.+`) or like LIKE patterns
 * (`%`, `_`), in every filter, on both backends. Each answer must equal the oracle's (so values
 * are matched literally), and the store must be intact afterwards (so nothing was executed).
 *
 * Also covered here, because the random topologies do not reach them: the one-step chain
 * `unknown` (which matches the `unknown` caller above an orphan and a callee named `unknown`),
 * a request appended twice (span counts collapse the exact duplicates), and statements first run
 * on an empty store (DuckDB prepares them then) answering correctly once data arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldBacktrace, type BacktraceNode } from '../../src/analysis/backtrace.js';
import { foldFlow } from '../../src/analysis/flow.js';
import { Oracle } from '../../src/analysis/oracle/oracle.js';
import type { GeneratedTopology } from '../../src/analysis/testing/topology.js';
import { SpanKind } from '../../src/model/otlp.js';
import type { ServiceKind } from '../../src/model/service.js';
import type { CallAnalytics, ChainStep, FocalFilter, NodeRef, TraceQuery, ZoneFilter } from '../../src/storage/api/call-queries.js';
import { stopClickHouseServer } from './clickhouse-store.js';
import { BACKENDS, backendTitle, timeLimitFor, feed, openStore, skipReason, topologyFrom, type IngestedStore } from './differential-cases.js';
import { str, traceRequest, T0 } from './otlp-requests.js';

const WINDOW = { fromUnixNano: T0, toUnixNano: T0 + 3_600_000_000_000n };

const DROP = "'; DROP TABLE calls; --";
const INJECTED_REQUEST = "GET /x' OR '1'='1";
const STAR = '.*';
const PLUS = '.+';
const DOLLAR = '$1';
const LIKE = 'a_b%';

const { SERVER, CLIENT } = SpanKind;
const resource = (service: string) => [str('k8s.namespace.name', `ns ${DROP}`), str('k8s.pod.name', `${service}-pod`)];
const generated: GeneratedTopology = {
  seed: 0,
  window: WINDOW,
  proxyServices: [],
  failureRules: [],
  requests: [
    traceRequest(1, [
      { service: DROP, id: 1, name: INJECTED_REQUEST, kind: SERVER, startMs: 0 },
      { service: DROP, id: 2, parent: 1, name: 'call', kind: CLIENT, startMs: 1 },
      { service: STAR, id: 3, parent: 2, name: 'POST /.*', kind: SERVER, startMs: 2, error: "'); DELETE FROM spans; --" },
      { service: STAR, id: 4, parent: 3, name: 'lookup', kind: CLIENT, startMs: 3, attributes: [str('peer.service', 'unknown')] },
      { service: STAR, id: 5, parent: 3, name: 'SELECT', kind: CLIENT, startMs: 4, attributes: [str('db.system.name', 'postgresql'), str('db.namespace', '%')] },
    ], resource),
    traceRequest(2, [
      { service: STAR, id: 1, parent: 99, name: 'POST /.*', kind: SERVER, startMs: 0 },
      { service: STAR, id: 2, parent: 1, name: 'call', kind: CLIENT, startMs: 1 },
      { service: DOLLAR, id: 3, parent: 2, name: "\\'", kind: SERVER, startMs: 2 },
    ], resource),
    traceRequest(3, [
      { service: 'x', id: 1, name: 'GET /', kind: SERVER, startMs: 0 },
      { service: 'x', id: 2, parent: 1, name: 'call', kind: CLIENT, startMs: 1 },
      { service: PLUS, id: 3, parent: 2, name: 'POST /.+', kind: SERVER, startMs: 2 },
      { service: PLUS, id: 4, parent: 3, name: 'call', kind: CLIENT, startMs: 3 },
      { service: STAR, id: 5, parent: 4, name: 'POST /.*', kind: SERVER, startMs: 4 },
    ], resource),
    traceRequest(4, [
      { service: 'unknown', id: 1, name: 'GET /unknown', kind: SERVER, startMs: 0 },
      { service: 'unknown', id: 2, parent: 1, name: 'call', kind: CLIENT, startMs: 1 },
      { service: STAR, id: 3, parent: 2, name: 'POST /.*', kind: SERVER, startMs: 2 },
    ], resource),
    traceRequest(5, [
      { service: LIKE, id: 1, name: '%', kind: SERVER, startMs: 0, exception: { type: DROP, stack: `"; DROP TABLE spans; --\n\tat x` } },
      // Same span id, other content: not an exact duplicate, so both count as spans.
      { service: LIKE, id: 1, name: '_', kind: SERVER, startMs: 5, error: '%' },
    ], resource),
  ],
};
// Trace 1 reaches the store twice (an exporter retry): its spans are counted once.
const topology = topologyFrom(generated, [0]);
const oracle = topology.oracle;

const SERVICES: { kind: ServiceKind; name: string }[] = [
  { kind: 'service', name: DROP },
  { kind: 'service', name: STAR },
  { kind: 'service', name: PLUS },
  { kind: 'service', name: DOLLAR },
  { kind: 'service', name: 'unknown' },
  { kind: 'service', name: LIKE },
  { kind: 'external', name: 'unknown' },
  { kind: 'database', name: '%' },
  { kind: 'service', name: "' OR 1=1 --" },
];
const CHAINS: ChainStep[][] = [
  [{ name: STAR }],
  [{ name: DROP }, { name: STAR }],
  [{ name: DROP, kind: 'service', request: INJECTED_REQUEST }, { name: STAR, request: 'POST /.*' }],
  [{ name: 'unknown' }],
  [{ name: 'unknown', kind: 'external' }],
  [{ name: 'unknown' }, { name: STAR }, { name: DOLLAR }],
  [{ name: STAR, request: 'POST /.*' }, { name: 'unknown' }],
  [{ name: PLUS }, { name: STAR }],
  [{ name: '.' }],
  [{ name: '%' }],
  [{ name: "' OR '1'='1" }],
];
const REQUESTS = [INJECTED_REQUEST, 'POST /.*', 'POST /.+', "\\'", '%', '_', "' OR 1=1 --"];

const filters: FocalFilter[] = SERVICES.flatMap((service) => [
  { ...WINDOW, service },
  ...REQUESTS.map((request) => ({ ...WINDOW, service, request })),
  ...CHAINS.map((chain) => ({ ...WINDOW, service, chain })),
]);
const resourceIds = [...new Set(oracle.traces.flatMap((t) => t.spans.map((s) => s.resourceId)))];
const zones: ZoneFilter[] = [{ resourceIds }, { resourceIds: resourceIds.slice(0, 2) }, { resourceIds: [] }];
const traceQueries: TraceQuery[] = [
  { ...WINDOW, limit: 100 },
  ...filters.map((f) => ({ ...f, limit: 100 })),
  ...filters.map((f) => ({ ...f, failedOnly: true, limit: 100 })),
  ...CHAINS.map((chain) => ({ ...WINDOW, chain, limit: 100 })),
  ...zones.map((zone) => ({ ...WINDOW, zone, limit: 100 })),
];

function nodePaths(tree: BacktraceNode): NodeRef[][] {
  const out: NodeRef[][] = [[]];
  const stack: { node: BacktraceNode; below: NodeRef[] }[] = [{ node: tree, below: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    for (const caller of item.node.callers) {
      const path = [{ kind: caller.kind, name: caller.name }, ...item.below];
      out.push(path);
      stack.push({ node: caller, below: path });
    }
  }
  return out;
}

/** Every query of this file against `analytics`, in a fixed order, answers as plain data. */
async function everyAnswer(analytics: CallAnalytics): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const filter of filters) {
    const tree = oracle.backtrace(filter);
    out.push(foldBacktrace(filter.service, await analytics.backtraceGroups(filter)));
    for (const path of nodePaths(tree)) out.push(await analytics.backtraceDetails(filter, path, 3));
    out.push(foldFlow(filter.service, await analytics.flowGroups(filter)));
    out.push(await analytics.serviceNeighbourhood(filter));
    out.push(await analytics.failures(filter, 600_000));
  }
  out.push(await analytics.serviceSummaries(WINDOW));
  for (const zone of zones) out.push(await analytics.serviceSummaries(WINDOW, zone));
  for (const query of traceQueries) out.push(await analytics.findTraces(query));
  for (const { name } of SERVICES) out.push(await analytics.serviceKinds(name));
  return out;
}

/** The same queries answered by `o`; node paths come from the full oracle's trees, as in `everyAnswer`. */
function oracleAnswers(o: Oracle): unknown[] {
  const out: unknown[] = [];
  for (const filter of filters) {
    out.push(o.backtrace(filter));
    for (const path of nodePaths(oracle.backtrace(filter))) out.push(o.backtraceDetails(filter, path, 3));
    out.push(o.flow(filter));
    out.push(o.serviceNeighbourhood(filter));
    out.push(o.failures(filter, 600_000));
  }
  out.push(o.serviceSummaries(WINDOW));
  for (const zone of zones) out.push(o.serviceSummaries(WINDOW, zone));
  for (const query of traceQueries) out.push(o.findTraces(query));
  for (const { name } of SERVICES) out.push(o.serviceKinds(name));
  return out;
}

describe('the oracle on the hostile traces (what the stores must match)', () => {
  it('matches names literally: `.*` is four calls, not every service', () => {
    expect(oracle.focalCount({ ...WINDOW, service: { kind: 'service', name: STAR } })).toBe(4);
    expect(oracle.focalCount({ ...WINDOW, service: { kind: 'service', name: STAR }, chain: [{ name: PLUS }, { name: STAR }] })).toBe(1);
    expect(oracle.focalCount({ ...WINDOW, service: { kind: 'service', name: STAR }, chain: [{ name: '.' }] })).toBe(0);
  });

  it('lets the step `unknown` match the unknown caller, a service and a callee of that name', () => {
    // Trace 2: under an orphan; trace 1: calls the external `unknown`; trace 4: called by the service `unknown`.
    expect(oracle.focalCount({ ...WINDOW, service: { kind: 'service', name: STAR }, chain: [{ name: 'unknown' }] })).toBe(3);
    expect(oracle.focalCount({ ...WINDOW, service: { kind: 'service', name: DOLLAR }, chain: [{ name: 'unknown' }] })).toBe(1);
  });

  it('counts the resent trace once and the same-id span with other content twice', () => {
    const rows = oracle.findTraces({ ...WINDOW, limit: 10 });
    expect(rows.map((r) => [r.traceId.slice(-1), r.spanCount, r.errorCount])).toEqual([
      ['5', 2, 1],
      ['4', 3, 0],
      ['3', 5, 0],
      ['2', 3, 0],
      ['1', 5, 1],
    ]);
  });
});

afterAll(stopClickHouseServer);

for (const backend of BACKENDS) {
  describe.skipIf(skipReason(backend) !== undefined)(backendTitle(backend, `${backend}: hostile values are data, never code or patterns`), { timeout: timeLimitFor(backend) }, () => {
    let store: (IngestedStore & { readonly logs: string[] }) | undefined;
    let beforeData: unknown[] = [];
    beforeAll(async () => {
      store = await openStore(backend);
      // Run (and so prepare) every statement while the store is empty, then add the data.
      beforeData = await everyAnswer(store.storage);
      await feed(store, topology);
    }, timeLimitFor(backend));
    afterAll(async () => {
      await store?.close();
    }, timeLimitFor(backend));

    it('answered the empty store as the oracle answers no traces', () => {
      const expected = oracleAnswers(new Oracle([], topology.derivation));
      expect(beforeData.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(beforeData[i], `answer ${i}`).toEqual(expected[i]);
    });

    it('answers every query as the oracle does', async () => {
      const expected = oracleAnswers(oracle);
      const actual = await everyAnswer(store!.storage);
      expect(actual.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(actual[i], `answer ${i}`).toEqual(expected[i]);
    });

    it('still holds every call and span afterwards', async () => {
      for (const trace of oracle.traces) {
        expect(await store!.storage.getTraceCalls(trace.traceId)).toEqual(trace.calls.map((n) => n.call));
        expect((await store!.storage.getTrace(trace.traceId)).spans.length).toBe(trace.spans.length);
      }
      expect(await store!.storage.serviceKinds(DROP)).toEqual(['service']);
      expect(await store!.storage.serviceKinds('unknown')).toEqual(['service', 'external']);
    });

    it('rejects a zone resource id that is not an id', async () => {
      await expect(store!.storage.serviceSummaries(WINDOW, { resourceIds: [DROP] })).rejects.toThrow();
    });
  });
}
