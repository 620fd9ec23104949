/**
 * The ClickHouse analytics read only live calls. `replaceTraceCalls` there never deletes: it adds
 * a generation and marks the older ones superseded (docs/adr/0004), so every statement must apply
 * `liveCallsFilter`. Here every trace of a random topology is replaced twice more — first by a
 * distorted copy (other names, flipped failures), then by its true calls again — leaving three
 * generations of which only the last is live; any statement that read a dead one would count
 * twice or see the distorted names, and differ from the oracle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldBacktrace } from '../../src/analysis/backtrace.js';
import { foldFlow } from '../../src/analysis/flow.js';
import type { ServiceCall } from '../../src/model/call.js';
import { stopClickHouseServer } from './clickhouse-store.js';
import { backendTitle, casesOf, openStore, feed, skipReason, timeLimitFor, topologyOf, type IngestedStore } from './differential-cases.js';

const SEED = 5;
const topology = topologyOf(SEED);
const cases = casesOf(topology, SEED);
const oracle = topology.oracle;

function distorted(call: ServiceCall): ServiceCall {
  return { ...call, service: `${call.service}-old`, failed: !call.failed, durationNanos: call.durationNanos + 1n, path: call.path.map((p) => ({ ...p, name: `${p.name}-old` })) };
}

afterAll(stopClickHouseServer);

describe.skipIf(skipReason('clickhouse') !== undefined)(backendTitle('clickhouse', 'clickhouse: replaced calls are invisible to every analysis'), { timeout: timeLimitFor('clickhouse') }, () => {
  let store: (IngestedStore & { readonly logs: string[] }) | undefined;
  beforeAll(async () => {
    store = await openStore('clickhouse');
    await feed(store, topology);
    const traces = oracle.traces.map((t) => ({ traceId: t.traceId, calls: t.calls.map((n) => n.call) }));
    await store.storage.replaceTraceCalls(traces.map((t) => ({ traceId: t.traceId, calls: t.calls.map(distorted), derivedSeq: 1n << 40n, firstDerivation: false })));
    await store.storage.replaceTraceCalls(traces.map((t) => ({ ...t, derivedSeq: (1n << 40n) + 1n, firstDerivation: false })));
  }, timeLimitFor('clickhouse'));
  afterAll(async () => {
    await store?.close();
  });

  it('answers as the oracle does, as if each trace had been written once', async () => {
    const s = store!.storage;
    expect(store!.logs).toEqual([]);
    for (const trace of oracle.traces) expect(await s.getTraceCalls(trace.traceId)).toEqual(trace.calls.map((n) => n.call));
    const wide = cases.windows[1]!;
    expect(await s.serviceSummaries(wide)).toEqual(oracle.serviceSummaries(wide));
    expect(await s.serviceSummaries(wide, cases.zones[1]!)).toEqual(oracle.serviceSummaries(wide, cases.zones[1]!));
    for (const name of cases.names) expect(await s.serviceKinds(`${name}-old`)).toEqual([]);
    for (const filter of cases.filters) {
      const tree = oracle.backtrace(filter);
      expect(foldBacktrace(filter.service, await s.backtraceGroups(filter))).toEqual(tree);
      const caller = tree.callers.find((c) => c.kind !== 'unknown');
      const path = caller === undefined ? [] : [{ kind: caller.kind, name: caller.name }];
      expect(await s.backtraceDetails(filter, path, 5)).toEqual(oracle.backtraceDetails(filter, path, 5));
      expect(foldFlow(filter.service, await s.flowGroups(filter))).toEqual(oracle.flow(filter));
      expect(await s.serviceNeighbourhood(filter)).toEqual(oracle.serviceNeighbourhood(filter));
      expect(await s.failures(filter, 60_000)).toEqual(oracle.failures(filter, 60_000));
      expect(await s.findTraces({ ...filter, failedOnly: true, limit: 50 })).toEqual(oracle.findTraces({ ...filter, failedOnly: true, limit: 50 }));
    }
    expect(await s.findTraces({ ...wide, failedOnly: true, limit: 1_000 })).toEqual(oracle.findTraces({ ...wide, failedOnly: true, limit: 1_000 }));
  });
});
