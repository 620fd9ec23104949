/**
 * Throwaway ClickHouse servers for tests: `/usr/sbin/clickhouse-server` started as a plain child
 * process with a generated config in a fresh temp dir (data, tmp, logs all there), listening on free
 * loopback ports. Start one per test FILE (`beforeAll`) and give each test its own database: a
 * server start costs about a second, a `CREATE DATABASE` a few milliseconds.
 *
 * Works with Debian's 18.16 package and with current releases (the config uses only keys both know).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLICKHOUSE_SERVER_BINARY = process.env['TRIBUTARY_CLICKHOUSE_SERVER'] ?? '/usr/sbin/clickhouse-server';

/** The message for `describe.skipIf(!clickHouseAvailable())`. */
export const CLICKHOUSE_MISSING = 'clickhouse-server not installed: apt-get install clickhouse-server';

/** The cluster name `startClickHouseCluster` configures on every node. */
export const TEST_CLUSTER = 'tributary_test';

/** `ON CLUSTER` DDL needs ZooKeeper; the cluster harness runs Debian's (package `zookeeper`). */
const JAVA = '/usr/bin/java';
const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';

export const CLICKHOUSE_CLUSTER_MISSING = `${CLICKHOUSE_MISSING} zookeeper default-jre-headless`;

export interface ClickHouseTestServer {
  /** HTTP endpoint, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Native-protocol port (what `remote_servers` and `clickhouse-client --port` use). */
  readonly tcpPort: number;
  /** Kills the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

export interface ClickHouseTestCluster {
  /**
   * Every server, shard by shard (shard 1's replicas first); every node knows the cluster
   * `TEST_CLUSTER` and shares one ZooKeeper, so `ON CLUSTER` DDL and replication work as in
   * production.
   */
  readonly nodes: readonly ClickHouseTestServer[];
  /** The first node's URL: where a test connects. */
  readonly url: string;
  readonly cluster: string;
  stop(): Promise<void>;
}

/**
 * The shape of a test cluster. With `replicas > 1` each node's config carries the macros
 * `{shard}` (1-based shard number) and `{replica}` (`r<shard>_<replica>`), and every shard
 * `internal_replication = true`, as a `ReplicatedMergeTree` cluster needs.
 */
export interface ClickHouseClusterLayout {
  readonly shards: number;
  readonly replicas?: number;
}

/** Whether the server binary exists (tests skip with `CLICKHOUSE_MISSING` otherwise). */
export function clickHouseAvailable(): boolean {
  return existsSync(CLICKHOUSE_SERVER_BINARY);
}

/** Whether the cluster harness can run: ClickHouse plus ZooKeeper and Java. */
export function clickHouseClusterAvailable(): boolean {
  return clickHouseAvailable() && existsSync(JAVA) && existsSync(ZOOKEEPER_JAR);
}

/** Starts one server and resolves once `GET /ping` answers. */
export async function startClickHouse(): Promise<ClickHouseTestServer> {
  const [node] = await startNodes(1, undefined);
  if (!node) throw new Error('clickhouse test server: no node started');
  return node;
}

/**
 * Starts servers forming the cluster `TEST_CLUSTER`: `shards` servers with one replica each, or
 * `shards × replicas` servers for a layout.
 */
export async function startClickHouseCluster(layout: number | ClickHouseClusterLayout): Promise<ClickHouseTestCluster> {
  const { shards, replicas = 1 } = typeof layout === 'number' ? { shards: layout } : layout;
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`clickhouse test cluster: bad shard count ${shards}`);
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`clickhouse test cluster: bad replica count ${replicas}`);
  if (!clickHouseClusterAvailable()) throw new Error(CLICKHOUSE_CLUSTER_MISSING);
  const zookeeper = await startZooKeeper();
  let nodes: ClickHouseTestServer[];
  try {
    nodes = await startNodes(shards * replicas, { name: TEST_CLUSTER, zookeeperPort: zookeeper.port, replicas });
  } catch (error) {
    await zookeeper.stop();
    throw error;
  }
  const first = nodes[0];
  if (!first) throw new Error('clickhouse test cluster: no node started');
  return {
    nodes,
    url: first.url,
    cluster: TEST_CLUSTER,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      await zookeeper.stop();
    },
  };
}

interface ClusterSpec {
  readonly name: string;
  readonly zookeeperPort: number;
  /** Replicas per shard; consecutive nodes form a shard. */
  readonly replicas: number;
}

/** A standalone ZooKeeper on a free port, data in a temp dir; resolves once it answers `srvr`. */
async function startZooKeeper(): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-zk-'));
  const port = await freePort();
  installExitHook();
  const child = spawn(
    JAVA,
    ['-Xmx256m', '-cp', '/usr/share/java/*', '-Dzookeeper.admin.enableServer=false', 'org.apache.zookeeper.server.ZooKeeperServerMain', String(port), dir],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (!(await zooKeeperAnswers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`zookeeper did not start on port ${port}\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, stop };
}

/** Whether a ZooKeeper answers the `srvr` four-letter command (allowed by default) on `port`. */
function zooKeeperAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(1000);
    socket.on('connect', () => socket.end('srvr'));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer.includes('Mode:')));
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => socket.destroy());
  });
}

interface NodePorts {
  readonly http: number;
  readonly tcp: number;
  readonly interserver: number;
}

/** Tries to start the nodes again, on new ports, when one found a port taken after `freePort` chose it. */
const PORT_ATTEMPTS = 3;

async function startNodes(count: number, cluster: ClusterSpec | undefined): Promise<ClickHouseTestServer[]> {
  if (!clickHouseAvailable()) throw new Error(CLICKHOUSE_MISSING);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNodesOnce(count, cluster);
    } catch (error) {
      // Between `freePort` and the server's bind, any process (an outgoing connection's ephemeral
      // port, another test's server) may take the port: seen once in a full `npm test`.
      if (attempt >= PORT_ATTEMPTS || !String(error).includes('Address already in use')) throw error;
    }
  }
}

async function startNodesOnce(count: number, cluster: ClusterSpec | undefined): Promise<ClickHouseTestServer[]> {
  // All ports are reserved before any config is written, because every node's config names every
  // other node's TCP port.
  const ports: NodePorts[] = [];
  for (let i = 0; i < count; i++) ports.push({ http: await freePort(), tcp: await freePort(), interserver: await freePort() });
  const started: ClickHouseTestServer[] = [];
  try {
    for (const [i, p] of ports.entries()) started.push(await startNode(p, cluster === undefined ? undefined : { ...cluster, nodes: ports, index: i }));
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    throw error;
  }
  return started;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A crashed or killed test runner must not leave servers behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** The cluster as one node sees it: every node's ports, and which of them this node is. */
type NodeCluster = ClusterSpec & { readonly nodes: readonly NodePorts[]; readonly index: number };

async function startNode(ports: NodePorts, cluster: NodeCluster | undefined): Promise<ClickHouseTestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-ch-'));
  await mkdir(join(dir, 'log'));
  await writeFile(join(dir, 'config.xml'), configXml(dir, ports, cluster));
  await writeFile(join(dir, 'users.xml'), USERS_XML);

  installExitHook();
  const child = spawn(CLICKHOUSE_SERVER_BINARY, [`--config-file=${join(dir, 'config.xml')}`], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));

  const url = `http://127.0.0.1:${ports.http}`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };

  const ready = await waitForPing(url, exited, 30_000);
  if (!ready.ok) {
    const log = await readFile(join(dir, 'log', 'err.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`clickhouse test server did not start (${ready.reason})\n${stderr}\n${log.slice(-4000)}`);
  }
  return { url, tcpPort: ports.tcp, stop };
}

type Readiness = { ok: true } | { ok: false; reason: string };

async function waitForPing(url: string, exited: Promise<number | null>, limitMs: number): Promise<Readiness> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) return { ok: false, reason: `exited with code ${String(exitCode)}` };
    try {
      const res = await fetch(`${url}/ping`);
      if (res.ok) return { ok: true };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ok: false, reason: `no answer on ${url}/ping within ${limitMs} ms` };
}

/** A port the OS considers free right now (tiny race with other processes, acceptable in tests). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function configXml(dir: string, ports: NodePorts, cluster: NodeCluster | undefined): string {
  // A node finds itself in `remote_servers` by a local host and its own TCP port, which is how
  // distributed DDL knows which queue entries are its own.
  const remote = cluster === undefined ? '' : clusterXml(cluster);
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/err.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>${ports.http}</http_port>
  <tcp_port>${ports.tcp}</tcp_port>
  <interserver_http_port>${ports.interserver}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
  ${remote}
</yandex>
`;
}

function clusterXml(cluster: NodeCluster): string {
  const shards: NodePorts[][] = [];
  cluster.nodes.forEach((p, i) => (shards[Math.floor(i / cluster.replicas)] ??= []).push(p));
  const replicated = cluster.replicas > 1;
  // Replicated tables copy rows among a shard's replicas themselves, so a Distributed table must
  // write each row to one replica only (internal_replication), or every replica stores it twice.
  const shardXml = (replicas: NodePorts[]): string =>
    `<shard>${replicated ? '<internal_replication>true</internal_replication>' : ''}${replicas
      .map((p) => `<replica><host>127.0.0.1</host><port>${p.tcp}</port></replica>`)
      .join('')}</shard>`;
  const shard = Math.floor(cluster.index / cluster.replicas) + 1;
  const replica = (cluster.index % cluster.replicas) + 1;
  const macros = replicated ? `<macros><shard>${shard}</shard><replica>r${shard}_${replica}</replica></macros>` : '';
  return `<remote_servers><${cluster.name}>${shards.map(shardXml).join('')}</${cluster.name}></remote_servers>
  <zookeeper><node><host>127.0.0.1</host><port>${cluster.zookeeperPort}</port></node></zookeeper>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
  ${macros}`;
}

const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;
