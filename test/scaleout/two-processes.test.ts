/**
 * Issue 7's scale-out test: two `tributary serve` processes write to a two-shard ClickHouse
 * cluster, each receiving the traces the Collector's `loadbalancing` exporter would route to it
 * (`trace-id-router.ts`), and every analysis answer read through either process's REST API equals
 * the answer of one `tributary serve` on DuckDB that received all of the same traffic.
 *
 * The traffic comes from the real OpenTelemetry SDK (the seed scenarios of `test/harness`) plus
 * traces with a late span: a call into `audit` whose server span ends only after its trace settled,
 * so the trace is derived first with a synthetic `external:audit` callee and re-derived on the
 * process that owns the trace once the late span arrives.
 *
 * Before the processes start, the same real-world files (`shared/testdata`: Zipkin, Jaeger and OTLP
 * traces) are imported with `tributary import` into both stores, so the comparison also covers
 * identical answers for the same imported data.
 *
 * Nothing is normalized: every list the API returns is ordered by contract (DESIGN.md §3, the
 * storage contract), so the JSON must match as it is.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLICKHOUSE_CLUSTER_MISSING,
  clickHouseClusterAvailable,
  startClickHouseCluster,
  type ClickHouseTestCluster,
} from '../../src/storage/clickhouse/testing/server.js';
import { makeExporter, TestService } from '../harness/otel.js';
import { Scenarios } from '../harness/scenarios.js';
import { eventually, makeDataDir, repoRoot, startServer, type ServerProcess } from '../harness/server.js';
import { TraceIdRing, TraceIdRouter } from './trace-id-router.js';

const SETTLE_MS = 300;
const DATABASE = 'scaleout';
const LATE_TRACES = 3;
const LIMIT_MS = 600_000;
/** Bounds on the per-service walk (the imported Zipkin traces have deep chains and many request names). */
const DETAILS_DEPTH = 3;
const REQUESTS_PER_SERVICE = 2;
const TESTDATA = path.resolve(repoRoot, '../shared/testdata');
/** Real traces from other systems (each folder's PROVENANCE.txt): 15 traces, 1,262 spans. */
const IMPORTED_FILES = [
  ...['ascend', 'envoy', 'messaging-kafka', 'messaging', 'messaging2', 'simple-db-p6', 'skew', 'smartthings-mobile-web-install', 'smartthings-oauth-authorization', 'yelp']
    .map((name) => `zipkin-lens-testdata/${name}.json`),
  ...['error_timeout_masked', 'n_plus_one_near_miss', 'n_plus_one_positive', 'sibling_errors'].map((name) => `jaeger-skill-fixtures/${name}.json`),
  'otlp-proto-example/trace.json',
].map((file) => path.join(TESTDATA, file));
const IMPORTED_TRACES = 15;
/** From 2014 on: the imported traces start between 2016 and 2026. */
const IMPORTED_FROM_MS = 1_400_000_000_000;

/** Runs `tributary import` (the built CLI) and fails with its output unless it exits 0. */
async function importFiles(args: readonly string[], env: Record<string, string> = {}): Promise<void> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/tributary.js'), 'import', ...IMPORTED_FILES, ...args], {
    cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`tributary import ${args.join(' ')} exited with ${code}:\n${output}`);
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

interface ServiceRow { readonly kind: string; readonly name: string; readonly requests: number }
interface BacktraceNode { readonly kind: string; readonly name: string; readonly calls: { name: string }[]; readonly callers: BacktraceNode[] }

const available = clickHouseClusterAvailable();

describe.skipIf(!available)(
  `two Tributary processes on a two-shard ClickHouse answer as one on DuckDB${available ? '' : ` (skipped: ${CLICKHOUSE_CLUSTER_MISSING})`}`,
  { timeout: LIMIT_MS },
  () => {
    let cluster: ClickHouseTestCluster | undefined;
    const dirs = [makeDataDir('tributary-scaleout-'), makeDataDir('tributary-scaleout-'), makeDataDir('tributary-scaleout-')];
    const clickhouse: ServerProcess[] = [];
    let duckdb: ServerProcess | undefined;
    let router: TraceIdRouter | undefined;
    let window = '';
    /** The live traffic and the imported traces. */
    let wide = '';
    const sentTraces = new Set<string>();

    const get = async (server: ServerProcess, path: string): Promise<Answer> => {
      const response = await server.api(path);
      return { status: response.status, body: (await response.json()) as unknown };
    };
    /** The DuckDB answer, after checking that both ClickHouse processes give exactly the same. */
    let compared = 0;
    const same = async (path: string): Promise<unknown> => {
      compared++;
      const [reference, ...answers] = await Promise.all([duckdb!, ...clickhouse].map((server) => get(server, path)));
      expect(reference!.status, `${path} on DuckDB: ${JSON.stringify(reference!.body)}`).toBe(200);
      for (const [i, answer] of answers.entries()) expect(answer, `${path} through ClickHouse process ${i}`).toEqual(reference);
      return reference!.body;
    };
    const services = async (server: ServerProcess): Promise<ServiceRow[]> =>
      ((await get(server, `/api/v1/services?${window}`)).body as { services: ServiceRow[] }).services;

    beforeAll(async () => {
      cluster = await startClickHouseCluster(2);
      await importFiles(['--storage', 'clickhouse', '--clickhouse-url', `${cluster.url}/${DATABASE}`], { TRIBUTARY_CLICKHOUSE_CLUSTER: cluster.cluster });
      await importFiles(['--data', dirs[2]!.dir]);
      // One after the other: the first creates the tables `ON CLUSTER`, the second finds them.
      for (const [i, node] of cluster.nodes.entries()) {
        clickhouse.push(await startServer({
          dataDir: dirs[i]!.dir,
          settleMs: SETTLE_MS,
          args: ['--storage', 'clickhouse', '--clickhouse-url', `${node.url}/${DATABASE}`, '--clickhouse-cluster', cluster.cluster],
        }));
      }
      duckdb = await startServer({ dataDir: dirs[2]!.dir, settleMs: SETTLE_MS });

      // The Collector names endpoints by the address it resolved: the processes' OTLP ports here.
      const ring = new TraceIdRing(clickhouse.map((s) => `127.0.0.1:${s.otlpHttpPort}`));
      router = new TraceIdRouter(ring, clickhouse.map((s) => makeExporter('proto', s)), [makeExporter('proto', duckdb)]);
      const startedMs = Date.now();

      const scenarios = new Scenarios(router);
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 3; i++) scenarios.login();
        for (let i = 0; i < 4; i++) scenarios.productPage(i % 2 === 0);
        for (let i = 0; i < 5; i++) scenarios.booking(i < 2);
        for (let i = 0; i < 2; i++) scenarios.shippingQuote();
        scenarios.ordersLab();
      }
      // Traces whose last span arrives late: reporting → audit, audit's server span still open.
      const reporting = new TestService('reporting', router, { 'k8s.namespace.name': 'ops', 'k8s.deployment.name': 'reporting' });
      const audit = new TestService('audit', router, { 'k8s.namespace.name': 'ops', 'k8s.deployment.name': 'audit' });
      const openAuditSpans = Array.from({ length: LATE_TRACES }, (_, i) => {
        const job = reporting.start('nightly report', SpanKind.SERVER, undefined, { 'http.response.status_code': 200 });
        const out = reporting.start('POST', SpanKind.CLIENT, job, { 'server.address': 'audit', 'http.response.status_code': i === 0 ? 500 : 200 });
        const late = audit.start('POST /audit', SpanKind.SERVER, out, { 'http.response.status_code': i === 0 ? 500 : 200 });
        out.end();
        job.end();
        return late;
      });
      await scenarios.flush();
      await reporting.flush();

      window = `from=${startedMs - 60_000}&to=${Date.now() + 600_000}`;
      wide = `from=${IMPORTED_FROM_MS}&to=${Date.now() + 600_000}`;
      for (const set of router.routedTraces) for (const id of set) sentTraces.add(id);
      // Settled everywhere: all traces listed, and the late traces derived without their last span.
      for (const server of [...clickhouse, duckdb]) {
        await eventually(async () => {
          const listed = (await get(server, `/api/v1/traces?${window}&limit=1000`)).body as { traces: unknown[] };
          const external = (await services(server)).find((s) => s.kind === 'external' && s.name === 'audit');
          return listed.traces.length === sentTraces.size && external?.requests === LATE_TRACES ? true : undefined;
        }, 120_000, `first derivation on port ${server.apiPort}`);
      }

      for (const span of openAuditSpans) span.end();
      await audit.flush();
      for (const server of [...clickhouse, duckdb]) {
        await eventually(async () => {
          const rows = await services(server);
          const reDerived = rows.some((s) => s.kind === 'service' && s.name === 'audit') && !rows.some((s) => s.kind === 'external' && s.name === 'audit');
          return reDerived ? true : undefined;
        }, 120_000, `re-derivation of the late traces on port ${server.apiPort}`);
      }
    }, LIMIT_MS);

    afterAll(async () => {
      await router?.close();
      await Promise.all([...clickhouse, ...(duckdb ? [duckdb] : [])].map((s) => s.stop()));
      await cluster?.stop();
      for (const dir of dirs) dir.remove();
    }, 120_000);

    it('routes traces to both processes and places them on both shards', async () => {
      const [first, second] = router!.routedTraces;
      expect(first!.size).toBeGreaterThan(0);
      expect(second!.size).toBeGreaterThan(0);
      expect([...first!].filter((id) => second!.has(id))).toEqual([]);
      for (const node of cluster!.nodes) {
        const response = await fetch(`${node.url}/?database=${DATABASE}`, { method: 'POST', body: 'SELECT uniqExact(trace_id) FROM spans_local' });
        expect(Number((await response.text()).trim())).toBeGreaterThan(0);
      }
    });

    it('lists the same services, with the late span re-derived into a call of audit', async () => {
      const body = (await same(`/api/v1/services?${window}`)) as { services: ServiceRow[] };
      const audit = body.services.find((s) => s.kind === 'service' && s.name === 'audit');
      expect(audit?.requests).toBe(LATE_TRACES);
      expect(body.services.map((s) => `${s.kind}:${s.name}`)).toContain('database:userdb');
    });

    it('gives the same overview, backtrace, details, flow and failures for every service, live and imported', async () => {
      const { services: live } = (await same(`/api/v1/services?${window}`)) as { services: ServiceRow[] };
      const { services: rows } = (await same(`/api/v1/services?${wide}`)) as { services: ServiceRow[] };
      expect(rows.length).toBeGreaterThan(live.length + 10);
      // Services three at a time: each request is a round trip to three servers on a shared machine.
      const pending = [...rows];
      const worker = async (): Promise<void> => {
        for (let row = pending.shift(); row !== undefined; row = pending.shift()) await compareService(row);
      };
      await Promise.all([worker(), worker(), worker()]);
      expect(compared).toBeGreaterThan(rows.length * 5);
    });

    /** Every per-service answer; details of backtrace nodes up to DETAILS_DEPTH hops, backtrace and flow of up to REQUESTS_PER_SERVICE request names. */
    const compareService = async (row: ServiceRow): Promise<void> => {
      const base = `/api/v1/services/${encodeURIComponent(row.name)}`;
      const q = `?${wide}&kind=${row.kind}`;
      await same(`${base}${q}`);
      const backtrace = (await same(`${base}/backtrace${q}`)) as { tree: BacktraceNode };
      await same(`${base}/flow${q}`);
      await same(`${base}/failures${q}`);
      await same(`${base}/backtrace/details${q}`);
      // Every node's details: its path runs from that node down to the focal service's caller.
      const walk = async (node: BacktraceNode, below: string[]): Promise<void> => {
        if (below.length >= DETAILS_DEPTH) return;
        for (const caller of node.callers) {
          const path = [caller.name, ...below];
          await same(`${base}/backtrace/details${q}&path=${encodeURIComponent(path.join(' > '))}`);
          await walk(caller, path);
        }
      };
      await walk(backtrace.tree, []);
      for (const call of backtrace.tree.calls.slice(0, REQUESTS_PER_SERVICE)) {
        const r = `${q}&request=${encodeURIComponent(call.name)}`;
        await same(`${base}/backtrace${r}`);
        await same(`${base}/flow${r}`);
      }
    };

    it('gives the same answers under a chain filter', async () => {
      const chain = (text: string) => `chain=${encodeURIComponent(text)}`;
      await same(`/api/v1/services/card-verification/backtrace?${window}&${chain('easytravel-web > booking')}`);
      await same(`/api/v1/services/payment/flow?${window}&${chain('booking > payment')}`);
      await same(`/api/v1/services/api.fedex.com/failures?${window}&${chain('frontend > shipping')}`);
      const traces = (await same(`/api/v1/traces?${window}&${chain('easytravel-web > booking > payment')}&limit=1000`)) as { traces: unknown[] };
      expect(traces.traces).toHaveLength(10);
    });

    it('lists the same traces and returns the same trace, spans and calls, for every trace id', async () => {
      const all = (await same(`/api/v1/traces?${window}&limit=1000`)) as { traces: { traceId: string }[] };
      expect(new Set(all.traces.map((t) => t.traceId))).toEqual(sentTraces);
      await same(`/api/v1/traces?${window}&limit=5`);
      await same(`/api/v1/traces?${window}&failed=true&limit=1000`);
      await same(`/api/v1/traces?${window}&service=payment&limit=1000`);
      await same(`/api/v1/traces?${window}&service=audit&kind=service&failed=true&limit=1000`);
      await same(`/api/v1/traces?${window}&minDurationMs=0&limit=1000`);
      const everything = (await same(`/api/v1/traces?${wide}&limit=1000`)) as { traces: { traceId: string }[] };
      expect(everything.traces).toHaveLength(sentTraces.size + IMPORTED_TRACES);
      await same(`/api/v1/traces?${wide}&failed=true&limit=1000`);
      for (const { traceId } of everything.traces) await same(`/api/v1/traces/${traceId}`);
    });
  },
);
