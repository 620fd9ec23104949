/**
 * Fast path == oracle on random topologies (DESIGN.md §1 "Analysis"): for 30 seeds, the generated
 * traces go through the real ingest path into a real store — DuckDB (SQL) and memory (path-based
 * JavaScript) — and every analysis the store answers (`CallAnalytics`, folded by `foldBacktrace` /
 * `foldFlow` where the API folds) must equal the oracle's answer computed from the same traces.
 * Plus invariants of the oracle on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldBacktrace, type BacktraceNode } from '../../src/analysis/backtrace.js';
import { foldFlow, type FlowNode } from '../../src/analysis/flow.js';
import type { Oracle } from '../../src/analysis/oracle/oracle.js';
import { generateTopology } from '../../src/analysis/testing/topology.js';
import { encodeTraceRequest } from '../../src/otlp/encode.js';
import type { FocalFilter, ServiceRef, TraceQuery } from '../../src/storage/api/call-queries.js';
import { backtraceGroups as pathBacktraceGroups, flowGroups as pathFlowGroups } from '../../src/storage/memory/analytics.js';
import { stopClickHouseServer } from './clickhouse-store.js';
import { BACKENDS, backendTitle, timeLimitFor, casesOf, ingest, skipReason, topologyOf, type Cases, type IngestedStore, type Topology } from './differential-cases.js';

const SEEDS = Array.from({ length: 30 }, (_, i) => i + 1);
const EXEMPLARS = 5;

const topologies = new Map<number, { topology: Topology; cases: Cases }>();
function seeded(seed: number): { topology: Topology; cases: Cases } {
  let entry = topologies.get(seed);
  if (entry === undefined) {
    const topology = topologyOf(seed);
    entry = { topology, cases: casesOf(topology, seed) };
    topologies.set(seed, entry);
  }
  return entry;
}

function label(what: string, value: unknown): string {
  return `${what} ${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
}

/** Backtrace node paths (caller first, down to the root, excluded) of every node a details query can address. */
function nodePaths(tree: BacktraceNode): ServiceRef[][] {
  const out: ServiceRef[][] = [[]];
  const stack: { node: BacktraceNode; below: ServiceRef[] }[] = [{ node: tree, below: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    for (const caller of item.node.callers) {
      // ServiceRef cannot name the `unknown` caller: its node has no details query.
      if (caller.kind === 'unknown') continue;
      const path = [{ kind: caller.kind, name: caller.name }, ...item.below];
      out.push(path);
      stack.push({ node: caller, below: path });
    }
  }
  return out;
}

/** The trace queries of a seed: by each focal filter's service, request and chain (sometimes failed only), and without a service. */
function traceQueries(cases: Cases): TraceQuery[] {
  const wide = cases.windows[1]!;
  const queries: TraceQuery[] = cases.filters.map((f, i) => ({
    fromUnixNano: f.fromUnixNano,
    toUnixNano: f.toUnixNano,
    service: f.service,
    ...(f.request !== undefined ? { request: f.request } : {}),
    ...(f.chain !== undefined ? { chain: f.chain } : {}),
    ...(i % 3 === 0 ? { failedOnly: true } : {}),
    limit: 10,
  }));
  const chain = cases.filters.find((f) => f.chain !== undefined && f.chain[0]?.name !== 'no-such-service')?.chain;
  queries.push({ ...wide, limit: 1_000 });
  queries.push({ ...cases.windows[0]!, limit: 7 });
  queries.push({ ...wide, failedOnly: true, limit: 1_000 });
  queries.push({ ...wide, minDurationMs: 20, maxDurationMs: 400, limit: 1_000 });
  if (chain !== undefined) queries.push({ ...wide, chain, limit: 1_000 });
  for (const zone of cases.zones) queries.push({ ...wide, zone, limit: 1_000 });
  return queries;
}

function bucketMsOf(filter: FocalFilter): number {
  return Math.max(1, Math.ceil(Number((filter.toUnixNano - filter.fromUnixNano) / 1_000_000n) / 7));
}

describe('the topology generator', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const bytes = (seed: number) => Buffer.concat(generateTopology({ seed }).requests.map((r) => encodeTraceRequest(r)));
    expect(bytes(7).equals(bytes(7))).toBe(true);
    expect(bytes(7).equals(bytes(8))).toBe(false);
  });

  it('produces the shapes the analyses must handle, across the seeds', () => {
    const seen = new Set<string>();
    for (const seed of SEEDS) {
      const { topology } = seeded(seed);
      const { window } = topology.generated;
      for (const trace of topology.oracle.traces) {
        if (!trace.calls.some((n) => n.caller === undefined && !n.unknownCaller)) seen.add('root span missing');
        for (const node of trace.calls) {
          const c = node.call;
          seen.add(`kind ${c.kind}`);
          if (node.unknownCaller) seen.add('missing parent');
          if (node.caller?.call.service === c.service && node.caller.call.kind === c.kind) seen.add('self call');
          for (let up = node.caller?.caller; up !== undefined; up = up.caller) if (up.call.service === c.service && up.call.kind === c.kind) seen.add('recursion');
          const [p, g, h] = [node.caller, node.caller?.caller, node.caller?.caller?.caller];
          if (p && g && h && p.call.service !== c.service && g.call.service === c.service && h.call.service === p.call.service) seen.add('ping-pong');
          if (c.failed) seen.add('failure');
          if (c.stackTraces.length > 0) seen.add('stack trace');
          if (c.referringPage !== null) seen.add('referring page');
          if (c.proxies.length > 0) seen.add('proxy');
          if (c.k8s.workload !== null) seen.add('kubernetes');
          if (c.startTimeUnixNano < window.fromUnixNano || c.startTimeUnixNano >= window.toUnixNano) seen.add('outside the window');
        }
      }
    }
    expect([...seen].sort()).toEqual(
      [
        'failure', 'kind application', 'kind database', 'kind external', 'kind messaging', 'kind service', 'kubernetes', 'missing parent',
        'outside the window', 'ping-pong', 'proxy', 'recursion', 'referring page', 'root span missing', 'self call', 'stack trace',
      ].sort(),
    );
  });
});

describe('oracle invariants on random topologies', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}`, () => {
      const { topology, cases } = seeded(seed);
      const oracle = topology.oracle;
      for (const filter of cases.filters) checkFocalInvariants(oracle, filter);
      for (const window of cases.windows) {
        const rows = oracle.serviceSummaries(window);
        const inWindow = oracle.traces.flatMap((t) => t.calls).filter((n) => n.call.startTimeUnixNano >= window.fromUnixNano && n.call.startTimeUnixNano < window.toUnixNano);
        expect(rows.reduce((sum, r) => sum + r.requests, 0)).toBe(inWindow.length);
        const everyResource = [...new Set(oracle.traces.flatMap((t) => t.spans.map((s) => s.resourceId)))];
        expect(oracle.serviceSummaries(window, { resourceIds: everyResource })).toEqual(rows);
        expect(oracle.serviceSummaries(window, { resourceIds: [] })).toEqual([]);
      }
      for (const query of traceQueries(cases)) {
        const rows = oracle.findTraces(query);
        expect(rows.length).toBeLessThanOrEqual(query.limit);
        for (const row of rows) expect(row.startTimeUnixNano >= query.fromUnixNano && row.startTimeUnixNano < query.toUnixNano).toBe(true);
        for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.startTimeUnixNano >= rows[i]!.startTimeUnixNano).toBe(true);
      }
    });
  }
});

describe('oracle == the path-based model on the derived calls themselves (no store in between)', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}`, () => {
      const { topology, cases } = seeded(seed);
      const traces = topology.oracle.traces.map((t) => t.calls.map((n) => n.call));
      for (const filter of cases.filters) {
        expect(foldBacktrace(filter.service, pathBacktraceGroups(traces, filter)), label('filter', filter)).toEqual(topology.oracle.backtrace(filter));
        expect(foldFlow(filter.service, pathFlowGroups(traces, filter)), label('filter', filter)).toEqual(topology.oracle.flow(filter));
      }
    });
  }
});

function checkFocalInvariants(oracle: Oracle, filter: FocalFilter): void {
  const at = label('filter', filter);
  const focal = oracle.focalCount(filter);
  const tree = oracle.backtrace(filter);
  expect(tree.requests, at).toBe(focal);
  expect(sum(tree.calls.map((c) => c.requests)), at).toBe(focal);
  const stack: BacktraceNode[] = [tree];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    expect(node.requests, at).toBeGreaterThanOrEqual(sum(node.callers.map((c) => c.requests)));
    expect(node.failed, at).toBeGreaterThanOrEqual(sum(node.callers.map((c) => c.failed)));
    expect(sum(node.calls.map((c) => c.requests)), at).toBe(node.requests);
    if (node !== tree) expect(sum((node.sentToNext ?? []).map((c) => c.requests)), at).toBe(node.requests);
    stack.push(...node.callers);
  }
  for (const path of nodePaths(tree)) {
    let node: BacktraceNode | undefined = tree;
    for (let i = path.length - 1; i >= 0 && node !== undefined; i--) node = node.callers.find((c) => c.kind === path[i]!.kind && c.name === path[i]!.name);
    const details = oracle.backtraceDetails(filter, path, EXEMPLARS);
    expect([details.requests, details.failed], `${at} node ${JSON.stringify(path)}`).toEqual([node!.requests, node!.failed]);
    expect(sum(details.instances.map((i) => i.requests))).toBe(details.requests);
    expect(sum(details.failureReasons.map((r) => r.count))).toBe(details.failed);
  }

  const flow = oracle.flow(filter);
  expect([flow.calls, flow.requests, flow.failed], at).toEqual([focal, focal, tree.failed]);
  const flowStack: FlowNode[] = [flow];
  for (let node = flowStack.pop(); node !== undefined; node = flowStack.pop()) {
    expect(node.requests, at).toBeLessThanOrEqual(Math.min(node.calls, flow.requests));
    expect(node.failed, at).toBeLessThanOrEqual(node.calls);
    expect(node.durationMs.p50, at).toBeLessThanOrEqual(node.durationMs.p90);
    expect(node.durationMs.p90, at).toBeLessThanOrEqual(node.durationMs.total);
    flowStack.push(...node.children);
  }

  // One hop, three ways: the backtrace's first callers, the flow's first callees and the neighbourhood agree.
  const hop = oracle.serviceNeighbourhood(filter);
  expect(sum(hop.callers.map((c) => c.calls)) + hop.startedHere, at).toBe(focal);
  expect(hop.callers.map((c) => [c.kind, c.name, c.calls, c.failed]).sort(), at).toEqual(tree.callers.map((c) => [c.kind, c.name, c.requests, c.failed]).sort());
  expect(hop.callees.map((c) => [c.kind, c.name, c.calls, c.failed]).sort(), at).toEqual(flow.children.map((c) => [c.kind, c.name, c.calls, c.failed]).sort());
  expect(sum(hop.requests.map((r) => r.requests)), at).toBe(focal);
  expect(sum(hop.instances.map((i) => i.requests)), at).toBe(focal);

  const failures = oracle.failures(filter, bucketMsOf(filter));
  expect([failures.requests, failures.failed], at).toEqual([focal, tree.failed]);
  expect(sum(failures.timeline.map((b) => b.requests)), at).toBe(focal);
  expect(sum(failures.reasons.map((r) => r.count)), at).toBe(failures.failed);

  // A chain filter only removes focal calls; the focal service alone as the chain removes none.
  const unchained: FocalFilter = { fromUnixNano: filter.fromUnixNano, toUnixNano: filter.toUnixNano, service: filter.service, ...(filter.request !== undefined ? { request: filter.request } : {}) };
  expect(focal, at).toBeLessThanOrEqual(oracle.focalCount(unchained));
  expect(oracle.backtrace({ ...unchained, chain: [{ kind: filter.service.kind, name: filter.service.name }] }), at).toEqual(oracle.backtrace(unchained));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

afterAll(stopClickHouseServer);

for (const backend of BACKENDS) {
  for (const seed of SEEDS) {
    describe.skipIf(skipReason(backend) !== undefined)(backendTitle(backend, `${backend} fast path == oracle, seed ${seed}`), { timeout: timeLimitFor(backend) }, () => {
      let store: IngestedStore | undefined;
      beforeAll(async () => {
        store = await ingest(seeded(seed).topology, backend);
      }, timeLimitFor(backend));
      afterAll(async () => {
        await store?.close();
      }, timeLimitFor(backend));

      it('stores exactly the calls the oracle derives (both sides see the same traces)', async () => {
        expect(store!.logs).toEqual([]);
        for (const trace of seeded(seed).topology.oracle.traces) {
          expect(await store!.storage.getTraceCalls(trace.traceId), trace.traceId).toEqual(trace.calls.map((n) => n.call));
        }
      });

      it('services list, per window and zone, and service kinds', async () => {
        const analytics = store!.storage;
        const { topology, cases } = seeded(seed);
        for (const window of cases.windows) {
          expect(await analytics.serviceSummaries(window), label('window', window)).toEqual(topology.oracle.serviceSummaries(window));
          for (const zone of cases.zones) {
            expect(await analytics.serviceSummaries(window, zone), label('zone', zone)).toEqual(topology.oracle.serviceSummaries(window, zone));
          }
        }
        for (const name of cases.names) expect(await analytics.serviceKinds(name), name).toEqual(topology.oracle.serviceKinds(name));
      });

      it('backtrace and its node details', async () => {
        const analytics = store!.storage;
        const { topology, cases } = seeded(seed);
        for (const filter of cases.filters) {
          const expected = topology.oracle.backtrace(filter);
          expect(foldBacktrace(filter.service, await analytics.backtraceGroups(filter)), label('filter', filter)).toEqual(expected);
          for (const path of nodePaths(expected).slice(0, 6)) {
            expect(await analytics.backtraceDetails(filter, path, EXEMPLARS), label('details', { filter, path })).toEqual(
              topology.oracle.backtraceDetails(filter, path, EXEMPLARS),
            );
          }
        }
      });

      it('service flow', async () => {
        const analytics = store!.storage;
        const { topology, cases } = seeded(seed);
        for (const filter of cases.filters) {
          expect(foldFlow(filter.service, await analytics.flowGroups(filter)), label('filter', filter)).toEqual(topology.oracle.flow(filter));
        }
      });

      it('service neighbourhood and failures', async () => {
        const analytics = store!.storage;
        const { topology, cases } = seeded(seed);
        for (const filter of cases.filters) {
          expect(await analytics.serviceNeighbourhood(filter), label('filter', filter)).toEqual(topology.oracle.serviceNeighbourhood(filter));
          const bucketMs = bucketMsOf(filter);
          expect(await analytics.failures(filter, bucketMs), label('filter', filter)).toEqual(topology.oracle.failures(filter, bucketMs));
        }
      });

      it('traces list', async () => {
        const analytics = store!.storage;
        const { topology, cases } = seeded(seed);
        for (const query of traceQueries(cases)) {
          expect(await analytics.findTraces(query), label('query', query)).toEqual(topology.oracle.findTraces(query));
        }
      });
    });
  }
}
