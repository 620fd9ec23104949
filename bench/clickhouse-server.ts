/**
 * A throwaway ClickHouse for the benchmarks' `--storage clickhouse` runs: the test harness's
 * server (`src/storage/clickhouse/testing/server.ts`: Debian's `clickhouse-server` in a temp dir,
 * free loopback ports), plus what a benchmark reads off it that Tributary's own process cannot
 * show: the server's CPU and peak RSS (it is a child of the benchmark process), and the bytes the
 * store's tables take on disk (`system.parts`, active parts only).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { CLICKHOUSE_MISSING, clickHouseAvailable, startClickHouse } from '../src/storage/clickhouse/testing/server.js';

export interface BenchClickHouse {
  /** HTTP endpoint without a database, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The database the benchmark's store uses. */
  readonly database: string;
  /** The server's process id. */
  readonly pid: number;
  /** `SELECT version()`. */
  readonly version: string;
  /** User + system CPU seconds of the server process so far. */
  cpuSeconds(): number;
  /** Peak resident set (VmHWM) of the server process, bytes. */
  peakRssBytes(): number;
  /** Rows and bytes on disk of the store's active parts, per table (parts not merged yet included). */
  tableSizes(): Promise<Record<string, { rows: number; bytes: number }>>;
  stop(): Promise<void>;
}

export const BENCH_DATABASE = 'bench';

export async function startBenchClickHouse(): Promise<BenchClickHouse> {
  if (!clickHouseAvailable()) throw new Error(CLICKHOUSE_MISSING);
  const server = await startClickHouse();
  const pid = childClickHouse();
  const version = (await sql(server.url, 'SELECT version()')).trim();
  return {
    url: server.url,
    database: BENCH_DATABASE,
    pid,
    version,
    cpuSeconds: () => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    peakRssBytes: () => {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return match ? Number(match[1]) * 1024 : 0;
    },
    tableSizes: async () => {
      const text = await sql(
        server.url,
        `SELECT table, sum(rows), sum(bytes_on_disk) FROM system.parts WHERE database = '${BENCH_DATABASE}' AND active GROUP BY table ORDER BY table FORMAT TabSeparated`,
      );
      const sizes: Record<string, { rows: number; bytes: number }> = {};
      for (const line of text.split('\n').filter((l) => l !== '')) {
        const [table, rows, bytes] = line.split('\t');
        sizes[table!] = { rows: Number(rows), bytes: Number(bytes) };
      }
      return sizes;
    },
    stop: () => server.stop(),
  };
}

/** Runs one statement over HTTP and returns the body; throws with ClickHouse's message. */
async function sql(url: string, statement: string): Promise<string> {
  const response = await fetch(url, { method: 'POST', body: statement });
  const text = await response.text();
  if (!response.ok) throw new Error(`ClickHouse ${response.status}: ${text.trim()}\n${statement}`);
  return text;
}

/** The pid of the `clickhouse-server` this process started (the harness spawns it as a direct child). */
function childClickHouse(): number {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === process.pid && comm.startsWith('clickhouse')) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  if (found.length !== 1) throw new Error(`expected one clickhouse-server child process, found ${found.length}`);
  return found[0]!;
}
