import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import type { Storage } from '../api/storage.js';
import { serviceCall, spanBatch, spanIdHex, str, traceIdHex } from '../conformance/fixtures.js';
import { HOSTILE_STRINGS, plain, pseudoRandomBytes } from '../conformance/harness.js';
import { storageConformance } from '../conformance/suite.js';
import { ClickHouseConnection } from './connection.js';
import { openClickHouseStorage } from './clickhouse-storage.js';
import { loadMigrations, migrate, schemaVersion } from './schema.js';
import { stringLiteral } from './sql-literal.js';
import { SINGLE_NODE_TABLES } from './tables.js';
import { CLICKHOUSE_MISSING, clickHouseAvailable, startClickHouse } from './testing/server.js';
import type { ClickHouseTestServer } from './testing/server.js';

const T = 1_700_000_000_000_000_000n;
const DAY = 86_400_000_000_000n;

describe.skipIf(!clickHouseAvailable())(`clickhouse storage (skipped when ${CLICKHOUSE_MISSING})`, () => {
  let server: ClickHouseTestServer;
  let databases = 0;
  beforeAll(async () => {
    server = await startClickHouse();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const freshDatabase = (): string => `t${process.pid}_${++databases}`;

  storageConformance('clickhouse', async () => {
    const database = freshDatabase();
    const open = () => openClickHouseStorage({ url: server.url, database, purgeMarginMs: 0 });
    return {
      storage: await open(),
      reopen: open,
      cleanup: async () => {
        const conn = new ClickHouseConnection({ url: server.url, database: 'default' });
        await conn.command(`DROP DATABASE IF EXISTS ${database}`);
        await conn.close();
      },
    };
  });

  describe('clickhouse specifics', () => {
    const open: Storage[] = [];
    async function store(database = freshDatabase()): Promise<{ storage: Storage; conn: ClickHouseConnection; database: string }> {
      const storage = await openClickHouseStorage({ url: server.url, database, purgeMarginMs: 0 });
      open.push(storage);
      return { storage, conn: new ClickHouseConnection({ url: server.url, database }), database };
    }
    afterAll(async () => {
      for (const s of open) await s.close();
    });

    it('round-trips every hostile string and every byte value through literals', async () => {
      const { conn } = await store();
      const odd = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
      for (const s of [...HOSTILE_STRINGS, odd, "\\'", "'\\", '\\']) {
        const rows = await conn.query(`SELECT ${stringLiteral(s)} AS s, length(${stringLiteral(s)}) AS n`);
        expect(rows[0]?.['s']).toBe(s);
        expect(Number(rows[0]?.['n'])).toBe(Buffer.byteLength(s));
      }
      await conn.close();
    });

    it('stores payloads holding every byte value (quotes, backslashes, NUL, invalid UTF-8) exactly', async () => {
      const { storage } = await store();
      const every = new Uint8Array(512).map((_, i) => i % 256);
      const t = traceIdHex(1);
      // Trace and span ids with quote (0x27) and backslash (0x5c) bytes go into FixedString/UInt64 raw.
      const quoteTrace = '275c' + '00'.repeat(13) + '27';
      await storage.appendSpans(spanBatch([
        { traceId: t, spanId: spanIdHex(1), payload: every, name: HOSTILE_STRINGS[0]! },
        { traceId: quoteTrace, spanId: '5c27000000000027', payload: pseudoRandomBytes(4096, 3) },
      ]));
      const trace = await storage.getTrace(t);
      expect(Buffer.from(trace.spans[0]!.payload)).toEqual(Buffer.from(every));
      const quoted = await storage.getTrace(quoteTrace);
      expect(plain(quoted.spans).map((s) => [s.traceId, s.spanId])).toEqual([[quoteTrace, '5c27000000000027']]);
      expect(Buffer.from(quoted.spans[0]!.payload)).toEqual(Buffer.from(pseudoRandomBytes(4096, 3)));
    });

    it('rejects ids and names that could reach SQL unescaped', async () => {
      const { storage } = await store();
      await expect(storage.getTrace("0'; DROP TABLE spans; --")).rejects.toBeInstanceOf(StorageError);
      await expect(storage.derivedTraces(["') OR 1=1 --"])).rejects.toBeInstanceOf(StorageError);
      await expect(openClickHouseStorage({ url: server.url, database: 'x; DROP DATABASE default' })).rejects.toThrow(/plain identifier/);
    });

    it('creates the schema once: reopening and re-running the migrations changes nothing', async () => {
      const { storage, conn, database } = await store();
      const tablesBefore = await conn.query(`SELECT name FROM system.tables WHERE database = ${stringLiteral(database)} ORDER BY name`);
      expect(tablesBefore.map((r) => r['name'])).toEqual(
        ['calls', 'derivations', 'meta', 'resources', 'schema_version', 'scopes', 'spans', 'superseded_calls'],
      );
      const migrations = await loadMigrations();
      expect(await migrate(conn, SINGLE_NODE_TABLES, migrations)).toBe(migrations.length);
      await storage.close();
      const again = await openClickHouseStorage({ url: server.url, database, purgeMarginMs: 0 });
      open.push(again);
      expect(await schemaVersion(conn)).toBe(migrations.length);
      const versions = await conn.query('SELECT version FROM schema_version');
      expect(versions).toHaveLength(migrations.length);
      await conn.close();
    });

    it('refuses a database written by a newer schema', async () => {
      const { storage, conn, database } = await store();
      await storage.close();
      await conn.command(`INSERT INTO schema_version (version, description) VALUES (999, 'from the future')`);
      await expect(openClickHouseStorage({ url: server.url, database })).rejects.toThrow(/newer/);
      await conn.close();
    });

    it('drops whole days before the cutoff and deletes the boundary day row by row', async () => {
      const { storage, conn } = await store();
      const spans = [
        { traceId: traceIdHex(1), spanId: spanIdHex(1), startTimeUnixNano: T - 3n * DAY },
        { traceId: traceIdHex(1), spanId: spanIdHex(2), startTimeUnixNano: T - 2n * DAY },
        { traceId: traceIdHex(2), spanId: spanIdHex(3), startTimeUnixNano: T - 1n },
        { traceId: traceIdHex(2), spanId: spanIdHex(4), startTimeUnixNano: T },
      ];
      await storage.appendSpans(spanBatch(spans));
      expect(await storage.deleteBefore(T)).toBe(3);
      const left = await conn.query('SELECT span_id FROM spans');
      expect(left.map((r) => String(r['span_id']))).toEqual([String(BigInt(`0x${spanIdHex(4)}`))]);
      // The fully old days went by partition, not by mutation.
      const mutations = await conn.query(`SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table = 'spans'`);
      expect(Number(mutations[0]?.['n'])).toBe(1);
      await conn.close();
    });

    it('purges superseded call generations in deleteBefore, and the survivors stay', async () => {
      const { storage, conn } = await store();
      const t = traceIdHex(1);
      const call = (n: number) => serviceCall({ traceId: t, callId: spanIdHex(n), startTimeUnixNano: T });
      for (let i = 1; i <= 5; i++) await storage.replaceTraceCalls([{ traceId: t, calls: [call(i)], derivedSeq: BigInt(i), firstDerivation: false }]);
      expect(Number((await conn.query('SELECT count() AS n FROM calls'))[0]?.['n'])).toBe(5);
      expect(await storage.deleteBefore(0n)).toBe(0);
      expect(Number((await conn.query('SELECT count() AS n FROM calls'))[0]?.['n'])).toBe(1);
      expect(Number((await conn.query('SELECT count() AS n FROM superseded_calls'))[0]?.['n'])).toBe(0);
      expect(await storage.getTraceCalls(t)).toEqual([call(5)]);
      await conn.close();
    });

    it('takes statements naming tens of thousands of traces (a shutdown settles every live trace at once)', async () => {
      const { storage, conn } = await store();
      const traces = Array.from({ length: 20_000 }, (_, i) => traceIdHex(i + 1));
      const entries = traces.map((traceId, i) => ({ traceId, calls: [serviceCall({ traceId, callId: spanIdHex(i + 1), startTimeUnixNano: T })], derivedSeq: 1n, firstDerivation: false }));
      await storage.replaceTraceCalls(entries);
      expect((await storage.derivedTraces(traces)).size).toBe(traces.length);
      expect(Number((await conn.query('SELECT count() AS n FROM calls'))[0]?.['n'])).toBe(traces.length);
      await conn.close();
    });

    it('hides a half-written replace once recovery replaces the trace again', async () => {
      const { storage, conn } = await store();
      const t = traceIdHex(1);
      const { seq } = await storage.appendSpans(spanBatch([{ traceId: t, spanId: spanIdHex(1), resource: { attributes: [str('service.name', 'a')] } }]));
      const first = serviceCall({ traceId: t, callId: spanIdHex(1) });
      await storage.replaceTraceCalls([{ traceId: t, calls: [first], derivedSeq: seq, firstDerivation: true }]);
      // A crash after step 2 of a later replace: its rows are in, nothing superseded, no derivation.
      const { seq: seq2 } = await storage.appendSpans(spanBatch([{ traceId: t, spanId: spanIdHex(2) }]));
      const orphan = serviceCall({ traceId: t, callId: spanIdHex(2) });
      await conn.command(`INSERT INTO calls SELECT * REPLACE (call_id + 1 AS call_id, write_id + 1 AS write_id) FROM calls`).catch(async () => {
        // 18.16 has no `* REPLACE`: copy the columns one by one.
        const cols = (await conn.query(`SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'calls'`)).map((r) => String(r['name']));
        const select = cols.map((c) => (c === 'call_id' ? 'call_id + 1' : c === 'write_id' ? 'write_id + 1' : c)).join(', ');
        await conn.command(`INSERT INTO calls (${cols.join(', ')}) SELECT ${select} FROM calls`);
      });
      expect(await storage.getTraceCalls(t)).toHaveLength(2);
      expect(await storage.tracesNeedingDerivation(0n)).toEqual([t]);
      // Recovery re-derives with the same derivedSeq the crashed attempt carried.
      await storage.replaceTraceCalls([{ traceId: t, calls: [orphan], derivedSeq: seq2, firstDerivation: false }]);
      expect(await storage.getTraceCalls(t)).toEqual([orphan]);
      expect(await storage.tracesNeedingDerivation(0n)).toEqual([]);
      await conn.close();
    });
  });
});
