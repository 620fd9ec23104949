import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceCall, spanBatch, spanIdHex, traceIdHex } from '../conformance/fixtures.js';
import { ClickHouseConnection } from './connection.js';
import { openClickHouseStorage } from './clickhouse-storage.js';
import { CLICKHOUSE_CLUSTER_MISSING, clickHouseClusterAvailable, startClickHouseCluster } from './testing/server.js';
import type { ClickHouseTestCluster } from './testing/server.js';

const T = 1_700_000_000_000_000_000n;
const LOCAL_TABLES = ['spans', 'resources', 'scopes', 'calls', 'superseded_calls', 'derivations', 'meta'].map((t) => `${t}_local`);

describe.skipIf(!clickHouseClusterAvailable())(`clickhouse storage on one shard with two replicas (skipped when ${CLICKHOUSE_CLUSTER_MISSING})`, () => {
  let cluster: ClickHouseTestCluster;
  beforeAll(async () => {
    cluster = await startClickHouseCluster({ shards: 1, replicas: 2 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('replicates spans and calls written on one replica to the other, which still answers when the first is down', async () => {
    const [a, b] = cluster.nodes;
    const database = `r${process.pid}`;
    const open = (url: string) => openClickHouseStorage({ url, database, cluster: cluster.cluster, purgeMarginMs: 0 });
    const onA = await open(a!.url);
    const traceId = traceIdHex(7);
    const other = traceIdHex(8);
    const { seq } = await onA.appendSpans(spanBatch([1, 2, 3].map((n) => ({ traceId, spanId: spanIdHex(n) }))));
    await onA.replaceTraceCalls([{ traceId, calls: [serviceCall({ traceId, callId: spanIdHex(1), startTimeUnixNano: T })], derivedSeq: seq, firstDerivation: true }]);
    // A second generation, so B must also have the superseded list to show the trace's calls once.
    await onA.replaceTraceCalls([{ traceId, calls: [serviceCall({ traceId, callId: spanIdHex(2), startTimeUnixNano: T })], derivedSeq: seq, firstDerivation: false }]);
    const expected = { trace: await onA.getTrace(traceId), calls: await onA.getTraceCalls(traceId) };
    expect(expected.trace.spans).toHaveLength(3);
    expect(expected.calls.map((c) => c.callId)).toEqual([spanIdHex(2)]);
    await onA.close();

    const connB = new ClickHouseConnection({ url: b!.url, database });
    const engines = await connB.query(`SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name LIKE '%\\_local' ORDER BY name`);
    expect(new Map(engines.map((r) => [String(r['name']), String(r['engine'])]))).toEqual(
      new Map(LOCAL_TABLES.map((t) => [t, ['resources_local', 'scopes_local', 'derivations_local', 'meta_local'].includes(t) ? 'ReplicatedReplacingMergeTree' : 'ReplicatedMergeTree'])),
    );
    for (const table of LOCAL_TABLES) await connB.command(`SYSTEM SYNC REPLICA ${database}.${table}`);
    // B holds the rows itself, not only through the Distributed tables.
    const local = await connB.query(`SELECT (SELECT count() FROM spans_local) AS spans, (SELECT count() FROM calls_local) AS calls`);
    expect(local[0]).toEqual({ spans: '3', calls: '2' });
    await connB.close();

    const onB = await open(b!.url);
    expect(await onB.getTrace(traceId)).toEqual(expected.trace);
    expect(await onB.getTraceCalls(traceId)).toEqual(expected.calls);

    await a!.stop();
    expect(await onB.getTrace(traceId)).toEqual(expected.trace);
    expect(await onB.getTraceCalls(traceId)).toEqual(expected.calls);
    expect(await onB.derivedTraces([traceId, other])).toEqual(new Set([traceId]));
    // Writes move to B as well.
    const late = await onB.appendSpans(spanBatch([{ traceId: other, spanId: spanIdHex(1) }]));
    expect((await onB.getTrace(other)).spans).toHaveLength(1);
    await onB.replaceTraceCalls([{ traceId, calls: [serviceCall({ traceId, callId: spanIdHex(3), startTimeUnixNano: T })], derivedSeq: late.seq, firstDerivation: false }]);
    expect((await onB.getTraceCalls(traceId)).map((c) => c.callId)).toEqual([spanIdHex(3)]);
    await onB.close();
  }, 60_000);
});
