/**
 * The long fuzz run: `npm run fuzz -- [--seconds N] [--target NAME]... [--seed S] [--trace]`.
 *
 * Runs the fuzz targets of the OTLP decoders and the trace-file importers (the same ones
 * `npm test` runs briefly with a fixed seed) for about N seconds in total (default 60), with
 * fresh seeds. Each target runs in a child process that reports progress: a crash (stack
 * overflow, out of memory) or an input that makes no progress for `HANG_MS` is reported with the
 * seed that reproduces it, as is any input that breaks a contract (shrunk to a minimal one) or
 * on which a decoder call uses more than `SLOW_CALL_MS` of CPU. Prints iterations per second per target. Exit code 1 when
 * anything was found.
 *
 * Reproduce a finding: `npm run fuzz -- --target NAME --seed S --seconds 5`; add `--trace` to
 * print every input before it runs (finds the input of a hang or crash).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { formatFuzzTargets } from '../src/formats/fuzz-targets.test-support.js';
import { FuzzViolation, takeSlowestCall, type FuzzTarget } from '../src/otlp/fuzz-target.test-support.js';
import { otlpFuzzTargets } from '../src/otlp/fuzz-targets.test-support.js';

const TARGETS: readonly FuzzTarget[] = [...otlpFuzzTargets('long'), ...formatFuzzTargets('long')];
/** No progress report for this long: the child is hung (or stuck in a pathological input). */
const HANG_MS = 30_000;
/**
 * A decoder call using more CPU time than this on one input is a finding: decoders must do
 * bounded work per byte, and fuzz inputs are at most a few megabytes. (CPU time, not wall-clock
 * time, so a busy machine does not raise false alarms; the harness's own work is not counted.)
 */
const SLOW_CALL_MS = 1_000;

interface Options {
  readonly seconds: number;
  readonly targets: readonly string[];
  readonly seed: number | undefined;
  readonly trace: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  let seconds = 60;
  const targets: string[] = [];
  let seed: number | undefined;
  let trace = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--seconds') seconds = Number(value());
    else if (arg === '--target') targets.push(value());
    else if (arg === '--seed') seed = Number(value());
    else if (arg === '--trace') trace = true;
    else if (arg === '--child') continue;
    else throw new Error(`unknown argument ${arg} (use --seconds N, --target NAME, --seed S, --trace)`);
  }
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error('--seconds: expected a positive number');
  return { seconds, targets, seed, trace };
}

/** A line a child prints for the parent (JSON). */
type Report =
  | { readonly type: 'progress'; readonly runs: number }
  | { readonly type: 'done'; readonly runs: number; readonly millis: number; readonly seed: number; readonly failure?: { readonly message: string; readonly counterexample: string; readonly path: string } };

function report(r: Report): void {
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

/** Child: runs one target with one seed for `millis`, reporting progress. */
async function child(target: FuzzTarget, seed: number, millis: number, trace: boolean): Promise<void> {
  let runs = 0;
  let lastReport = Date.now();
  const started = Date.now();
  const property = fc.asyncProperty(target.input, async (input) => {
    runs++;
    if (trace) process.stderr.write(`input ${runs}: ${fc.stringify(input).slice(0, 4000)}\n`);
    takeSlowestCall();
    await target.check(input);
    const slowest = takeSlowestCall();
    if (slowest.millis > SLOW_CALL_MS) throw new FuzzViolation(`${slowest.what} used ${Math.round(slowest.millis)} ms of CPU on one input (more than ${SLOW_CALL_MS} ms)`);
    if (Date.now() - lastReport > 1_000) {
      lastReport = Date.now();
      report({ type: 'progress', runs });
    }
  });
  const result = await fc.check(property, { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: millis, markInterruptAsFailure: false });
  const done: Report = { type: 'done', runs, millis: Date.now() - started, seed };
  if (result.failed) {
    const error = result.errorInstance;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    report({ ...done, failure: { message: message.slice(0, 2_000), counterexample: fc.stringify(result.counterexample).slice(0, 4_000), path: result.counterexamplePath ?? '' } });
  } else report(done);
}

interface Outcome {
  readonly target: string;
  readonly runs: number;
  readonly millis: number;
  readonly finding?: string;
}

/** Parent: runs one target in a child process, watching for crashes and hangs. */
function runTarget(target: FuzzTarget, seed: number, millis: number, trace: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const script = fileURLToPath(import.meta.url);
    const proc = spawn(process.execPath, [...process.execArgv, script, '--child', target.name, String(seed), String(millis), ...(trace ? ['--trace'] : [])], {
      stdio: ['ignore', 'pipe', trace ? 'inherit' : 'pipe'],
    });
    let runs = 0;
    let done: Extract<Report, { type: 'done' }> | undefined;
    let stderr = '';
    let buffered = '';
    let watchdog = setTimeout(onHang, millis + HANG_MS);
    function onHang(): void {
      proc.kill('SIGKILL');
      finish(`no progress for ${HANG_MS / 1000} s after ${runs} runs: a hang (seed ${seed}; rerun with --trace to see the input)`);
    }
    let finished = false;
    function finish(finding?: string): void {
      if (finished) return;
      finished = true;
      clearTimeout(watchdog);
      resolve({ target: target.name, runs: done?.runs ?? runs, millis: done?.millis ?? millis, ...(finding === undefined ? {} : { finding }) });
    }
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const r = JSON.parse(line) as Report;
        runs = r.runs;
        clearTimeout(watchdog);
        watchdog = setTimeout(onHang, HANG_MS);
        if (r.type === 'done') done = r;
      }
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    proc.on('exit', (code, signal) => {
      if (finished) return;
      if (done?.failure !== undefined) {
        const f = done.failure;
        finish(`${f.message}\n    counterexample (seed ${done.seed}, path ${f.path}): ${f.counterexample}`);
      } else if (done === undefined) {
        finish(`the child died (${signal ?? `exit ${code}`}) after ${runs} runs (seed ${seed}; rerun with --trace to see the input):\n${stderr.trim().split('\n').slice(-12).join('\n')}`);
      } else finish();
    });
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const childAt = argv.indexOf('--child');
  if (childAt >= 0) {
    const [name, seed, millis] = argv.slice(childAt + 1, childAt + 4);
    const target = TARGETS.find((t) => t.name === name);
    if (target === undefined) throw new Error(`unknown target ${name}`);
    await child(target, Number(seed), Number(millis), argv.includes('--trace'));
    return 0;
  }
  const options = parseArgs(argv);
  const selected = options.targets.length === 0 ? TARGETS : TARGETS.filter((t) => options.targets.some((name) => t.name.includes(name)));
  if (selected.length === 0) throw new Error(`no target matches ${options.targets.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  const baseSeed = options.seed ?? (Date.now() % 2_000_000_000);
  const millisEach = Math.max(1_000, Math.floor((options.seconds * 1000) / selected.length));
  console.log(`fuzzing ${selected.length} target(s) for ~${options.seconds} s, seeds from ${baseSeed}`);
  const outcomes: Outcome[] = [];
  for (const [i, target] of selected.entries()) {
    const seed = baseSeed + i;
    const outcome = await runTarget(target, seed, millisEach, options.trace);
    outcomes.push(outcome);
    const rate = outcome.runs / Math.max(0.001, outcome.millis / 1000);
    console.log(`${target.name.padEnd(32)} seed ${String(seed).padEnd(11)} ${String(outcome.runs).padStart(8)} inputs  ${rate.toFixed(0).padStart(7)} inputs/s  ${outcome.finding === undefined ? 'ok' : 'FOUND'}`);
    if (outcome.finding !== undefined) console.log(`  ${outcome.finding}`);
  }
  const found = outcomes.filter((o) => o.finding !== undefined);
  console.log(found.length === 0 ? 'nothing found' : `${found.length} target(s) with findings`);
  return found.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
