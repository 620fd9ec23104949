/**
 * A 300-call-deep chain (ping → pong → ping → …, a database at the bottom): hostile data the
 * analyses must survive (DESIGN.md §2). Stored paths keep only the nearest 128 callers
 * (`ServiceCall.path`), so the fast path's backtrace is cut there, a flow misses calls more than
 * 128 hops below a focal call, and a chain run more than 128 calls away from the focal call is not
 * seen. Everything within that reach (one-hop analyses, the roots' counts, nearby chains) is
 * exact and must equal the oracle, on both backends; the cut itself is pinned here too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldBacktrace, type BacktraceNode } from '../../src/analysis/backtrace.js';
import { foldFlow } from '../../src/analysis/flow.js';
import type { GeneratedTopology } from '../../src/analysis/testing/topology.js';
import { SpanKind } from '../../src/model/otlp.js';
import type { FocalFilter } from '../../src/storage/api/call-queries.js';
import { stopClickHouseServer } from './clickhouse-store.js';
import { BACKENDS, backendTitle, timeLimitFor, ingest, skipReason, topologyFrom, type IngestedStore } from './differential-cases.js';
import { str, T0, traceRequest, type SpanSpec } from './otlp-requests.js';

const DEPTH = 300;
const WINDOW = { fromUnixNano: T0, toUnixNano: T0 + 3_600_000_000_000n };

const spans: SpanSpec[] = Array.from({ length: DEPTH }, (_, i) => ({
  service: i % 2 === 0 ? 'ping' : 'pong',
  id: i + 1,
  ...(i > 0 ? { parent: i } : {}),
  name: `hop ${i % 3}`,
  kind: SpanKind.SERVER,
  startMs: i,
  durationMs: DEPTH - i,
  ...(i % 50 === 49 ? { error: 'deep failure' } : {}),
}));
spans.push({ service: 'pong', id: DEPTH + 1, parent: DEPTH, name: 'SELECT', kind: SpanKind.CLIENT, startMs: DEPTH, attributes: [str('db.system.name', 'postgresql'), str('db.namespace', 'deep-db')] });

const generated: GeneratedTopology = { seed: 0, window: WINDOW, proxyServices: [], failureRules: [], requests: [traceRequest(1, spans)] };
const topology = topologyFrom(generated);
const oracle = topology.oracle;

function depthOf(node: BacktraceNode): number {
  let deepest = 0;
  const stack = [{ node, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    deepest = Math.max(deepest, item.depth);
    for (const caller of item.node.callers) stack.push({ node: caller, depth: item.depth + 1 });
  }
  return deepest;
}

const pong: FocalFilter = { ...WINDOW, service: { kind: 'service', name: 'pong' } };
const ping: FocalFilter = { ...WINDOW, service: { kind: 'service', name: 'ping' } };
const database: FocalFilter = { ...WINDOW, service: { kind: 'database', name: 'deep-db' } };

afterAll(stopClickHouseServer);

for (const backend of BACKENDS) {
  describe.skipIf(skipReason(backend) !== undefined)(backendTitle(backend, `${backend}: a ${DEPTH}-deep chain`), { timeout: timeLimitFor(backend) }, () => {
    let store: IngestedStore | undefined;
    beforeAll(async () => {
      store = await ingest(topology, backend);
    }, timeLimitFor(backend));
    afterAll(async () => {
      await store?.close();
    }, timeLimitFor(backend));

    it('answers every one-hop analysis as the oracle does', async () => {
      const s = store!.storage;
      expect(await s.serviceSummaries(WINDOW)).toEqual(oracle.serviceSummaries(WINDOW));
      for (const filter of [ping, pong, database]) {
        expect(await s.serviceNeighbourhood(filter)).toEqual(oracle.serviceNeighbourhood(filter));
        expect(await s.failures(filter, 60_000)).toEqual(oracle.failures(filter, 60_000));
        expect(await s.backtraceDetails(filter, [], 5)).toEqual(oracle.backtraceDetails(filter, [], 5));
      }
      expect(await s.findTraces({ ...WINDOW, limit: 10 })).toEqual(oracle.findTraces({ ...WINDOW, limit: 10 }));
    });

    it('matches a chain exactly when its run lies within 128 calls of the focal call', async () => {
      const focalCount = async (filter: FocalFilter) => foldBacktrace(filter.service, await store!.storage.backtraceGroups(filter)).requests;
      for (const chain of [[{ name: 'ping' }, { name: 'pong' }], [{ name: 'pong' }, { name: 'pong' }], [{ name: 'ping', request: 'hop 1' }, { name: 'pong' }, { name: 'ping' }]]) {
        expect(await focalCount({ ...pong, chain }), JSON.stringify(chain)).toBe(oracle.focalCount({ ...pong, chain }));
      }
      // The run `pong > deep-db` ends at the bottom: only the pong calls among the database call's
      // 128 kept callers (call indices 172…299) see it; the oracle, walking the tree, sees all 150.
      const bottom = { ...pong, chain: [{ name: 'pong' }, { name: 'deep-db' }] };
      expect(oracle.focalCount(bottom)).toBe(DEPTH / 2);
      expect(await focalCount(bottom)).toBe(spans.filter((s) => s.service === 'pong' && s.id <= DEPTH && s.id - 1 >= DEPTH - 128).length);
    });

    it('counts every focal call in the backtrace and flow roots, with the backtrace cut at 128 callers', async () => {
      const tree = foldBacktrace(pong.service, await store!.storage.backtraceGroups(pong));
      const expected = oracle.backtrace(pong);
      expect([tree.requests, tree.failed, tree.calls]).toEqual([expected.requests, expected.failed, expected.calls]);
      expect(depthOf(expected)).toBe(DEPTH - 1);
      expect(depthOf(tree)).toBe(128);

      const flow = foldFlow(ping.service, await store!.storage.flowGroups(ping));
      const expectedFlow = oracle.flow(ping);
      expect([flow.calls, flow.requests, flow.failed, flow.durationMs]).toEqual([expectedFlow.calls, expectedFlow.requests, expectedFlow.failed, expectedFlow.durationMs]);
    });
  });
}
