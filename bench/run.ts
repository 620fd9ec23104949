/**
 * `npm run bench [-- --quick] [--only ingest,decode,…]`: every benchmark of issue 6 in one run.
 *
 * Each part is its own child process (`node --import tsx bench/<program>.ts … --json <file>`), so
 * one part's heap, DuckDB buffers or JIT state never distorts the next; parts run one after the
 * other. The machine is shared: the load average before and after each part goes into the results
 * beside its figures. Writes bench/results/latest.json (machine, parts, measures, details; each
 * part's own output in bench/results/logs/<part>.log) and prints one table: measure, value,
 * target, met?
 *
 * `--quick` (< 5 minutes with cached query stores): ingest 15 s per transport, the loopback
 * ceiling, decode, naive-vs-materialized backtrace on 200K spans, queries on 1M spans. The full
 * run measures longer, compares backtraces on 1M spans and adds queries on 10M spans (building
 * that store takes minutes the first time; it is cached: see bench/demo-store.ts).
 * `--only` takes part names or groups (`ingest` = the three transports; `query` = both sizes);
 * naming a part runs it in quick mode too.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Measure, PartResult } from './result.js';
import { round, stringFlag } from './result.js';
import { printSummary, type PartRecord } from './summary.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const resultsDir = path.join(repo, 'bench/results');

interface Part {
  readonly name: string;
  readonly group: string;
  /** Only in the full run, unless named by `--only`. */
  readonly fullOnly?: boolean;
  readonly program: string;
  readonly args: (quick: boolean) => readonly string[];
}

// A warm-up longer than the assembler's settle window (10 s), so the measured window sees calls
// derived at the rate traces arrive, and 'spans/s derived into calls' compares like with like.
const ingest = (transport: string) => (quick: boolean) => ['--transport', transport, '--seconds', quick ? '15' : '30', '--warmup', '12'];

const PARTS: readonly Part[] = [
  { name: 'ingest-http', group: 'ingest', program: 'ingest.ts', args: ingest('http') },
  { name: 'ingest-gzip', group: 'ingest', program: 'ingest.ts', args: ingest('gzip') },
  { name: 'ingest-grpc', group: 'ingest', program: 'ingest.ts', args: ingest('grpc') },
  { name: 'loopback', group: 'loopback', program: 'ingest.ts', args: (quick) => ['--sink', '--seconds', quick ? '8' : '15', '--warmup', '2'] },
  { name: 'decode', group: 'decode', program: 'decode.ts', args: (quick) => ['--seconds', quick ? '2' : '5'] },
  {
    name: 'naive-backtrace',
    group: 'naive-backtrace',
    program: 'naive-backtrace.ts',
    args: (quick) => (quick ? ['--spans', '200000', '--naive-runs', '1', '--runs', '20', '--focal', 'product-catalog'] : ['--spans', '1000000', '--naive-runs', '1', '--runs', '30']),
  },
  { name: 'query-1m', group: 'query', program: 'query.ts', args: (quick) => ['--spans', '1000000', '--runs', quick ? '20' : '50', ...(quick ? ['--budget-seconds', '3'] : [])] },
  { name: 'query-10m', group: 'query', fullOnly: true, program: 'query.ts', args: () => ['--spans', '10000000', '--runs', '20'] },
];

function selectParts(quick: boolean): Part[] {
  const only = stringFlag('only');
  if (only === undefined) return PARTS.filter((p) => !quick || !p.fullOnly);
  const names = only.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.filter((n) => !PARTS.some((p) => p.name === n || p.group === n));
  if (unknown.length > 0) throw new Error(`--only: unknown part(s) ${unknown.join(', ')}; parts: ${PARTS.map((p) => p.name).join(', ')}; groups: ingest, query`);
  return PARTS.filter((p) => names.includes(p.name) || (names.includes(p.group) && (!quick || !p.fullOnly)));
}

const loadAverage = () => os.loadavg().map((l) => round(l, 2));

/** Runs one part in its own process, its output into a log file; resolves with what it reported. */
async function runPart(part: Part, quick: boolean): Promise<PartRecord> {
  const jsonFile = path.join(resultsDir, 'parts', `${part.name}.json`);
  const logFile = path.join(resultsDir, 'logs', `${part.name}.log`);
  rmSync(jsonFile, { force: true });
  mkdirSync(path.dirname(logFile), { recursive: true });
  const args = [...part.args(quick), '--json', jsonFile];
  const command = `node --import tsx bench/${part.program} ${args.join(' ')}`.replace(`${repo}/`, '');
  const loadBefore = loadAverage();
  const started = performance.now();
  const log = createWriteStream(logFile);
  log.write(`$ ${command}\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, part.program), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const exitCode = await new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
  await new Promise((resolve) => log.end(resolve));
  const seconds = round((performance.now() - started) / 1000, 1);
  const base = { part: part.name, command, log: path.relative(repo, logFile), seconds, loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() };
  if (exitCode !== 0 || !existsSync(jsonFile)) {
    const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n  ');
    return { ...base, outcome: { kind: 'failed', exitCode, message: tail } };
  }
  const result = JSON.parse(readFileSync(jsonFile, 'utf8')) as PartResult;
  return { ...base, outcome: { kind: 'measured', measures: result.measures, details: result.details } };
}

function machine(): Record<string, unknown> {
  const packageVersion = (name: string) => (JSON.parse(readFileSync(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    ramGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    duckdbNodeApi: packageVersion('@duckdb/node-api'),
    // The working tree may hold uncommitted changes beyond this commit.
    gitHead: gitHead(),
  };
}

/** The commit HEAD names, read from .git's files (no git process: the harness changes nothing there). */
function gitHead(): string | undefined {
  const git = path.join(repo, '.git');
  if (!existsSync(path.join(git, 'HEAD'))) return undefined;
  const head = readFileSync(path.join(git, 'HEAD'), 'utf8').trim();
  if (!head.startsWith('ref: ')) return head;
  const ref = head.slice('ref: '.length);
  if (existsSync(path.join(git, ref))) return readFileSync(path.join(git, ref), 'utf8').trim();
  const packed = existsSync(path.join(git, 'packed-refs')) ? readFileSync(path.join(git, 'packed-refs'), 'utf8') : '';
  return packed.split('\n').find((line) => line.endsWith(` ${ref}`))?.split(' ')[0] ?? head;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const parts = selectParts(quick);
  const started = new Date();
  console.log(`tributary bench (${quick ? 'quick' : 'full'}): ${parts.map((p) => p.name).join(', ')}; load average ${loadAverage().join(' ')} on ${os.availableParallelism()} cores`);
  const records: PartRecord[] = [];
  for (const part of parts) {
    process.stdout.write(`  ${part.name.padEnd(16)} … `);
    const record = await runPart(part, quick);
    records.push(record);
    console.log(record.outcome.kind === 'measured' ? `${record.seconds} s, load ${record.loadAverageBefore[0]} → ${record.loadAverageAfter[0]}` : `FAILED (exit ${record.outcome.exitCode}), see ${record.log}:\n  ${record.outcome.message}`);
  }
  const latest = {
    date: started.toISOString(),
    mode: quick ? 'quick' : 'full',
    totalSeconds: round((Date.now() - started.getTime()) / 1000, 1),
    machine: machine(),
    parts: records,
    table: records.flatMap((r) => (r.outcome.kind === 'measured' ? r.outcome.measures.map((m: Measure) => ({ part: r.part, ...m })) : [])),
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
  printSummary(records);
  console.log(`\n${latest.totalSeconds} s in all; bench/results/latest.json written`);
  if (records.some((r) => r.outcome.kind === 'failed')) process.exitCode = 1;
}

await main();
