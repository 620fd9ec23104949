/**
 * The shape of a fuzz target, shared by the short fixed-seed runs in `npm test` (`*.fuzz.test.ts`
 * style tests call `fc.assert` on it) and the long run (`fuzz/run.ts`). Not shipped code.
 *
 * A target's `check` states a decoder's contract as code: it throws `FuzzViolation` (or lets an
 * unexpected exception escape, which is a violation too) when an input breaks it. Checks use no
 * test framework, so the long run can drive them without vitest.
 */
import type fc from 'fast-check';

/**
 * `short`: the fixed-seed run in `npm test`, inputs kept small enough for the whole set to take
 * seconds. `long`: `npm run fuzz`, with the huge inputs too (100,000-deep nesting, megabytes of
 * digits), where per-input time is watched.
 */
export type FuzzScale = 'short' | 'long';

export interface FuzzTarget<T = unknown> {
  /** Short and unique: the long run's `--target` filter and report use it. */
  readonly name: string;
  readonly input: fc.Arbitrary<T>;
  readonly check: (input: T) => void | Promise<void>;
  /** Runs in the fixed-seed short run of `npm test`; the whole fuzz set stays well under 20 s. */
  readonly shortRuns: number;
}

/** A broken contract, with what was expected. */
export class FuzzViolation extends Error {
  override readonly name = 'FuzzViolation';
}

export function ensure(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new FuzzViolation(typeof message === 'string' ? message : message());
}

/** Error messages go back to clients and into logs: whatever the input, they must stay readable. */
export const MAX_MESSAGE_CHARS = 1_000;

export function ensureShortMessage(message: string, what: string): void {
  ensure(message.length > 0 && message.length <= MAX_MESSAGE_CHARS, () => `${what}: message of ${message.length} chars: ${message.slice(0, 200)}…`);
}

/**
 * Runs `f`, turning any exception into a violation that says which call threw what: the
 * decoders under test promise never to throw for any input. Its CPU time counts towards
 * `takeSlowestCall` (the harness's own work, mutating inputs, does not).
 */
export function mustNotThrow<T>(what: string, f: () => T): T {
  const before = process.cpuUsage();
  try {
    return f();
  } catch (error: unknown) {
    if (error instanceof FuzzViolation) throw error;
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new FuzzViolation(`${what} threw ${text.slice(0, 300)}`);
  } finally {
    const used = process.cpuUsage(before);
    const millis = (used.user + used.system) / 1000;
    if (millis > slowest.millis) slowest = { what, millis };
  }
}

let slowest = { what: '', millis: 0 };

/** The call under test that used the most CPU time since the last call of this function. */
export function takeSlowestCall(): { readonly what: string; readonly millis: number } {
  const taken = slowest;
  slowest = { what: '', millis: 0 };
  return taken;
}

/** Returns a target with its input type erased, for lists of targets. */
export function target<T>(t: FuzzTarget<T>): FuzzTarget {
  return t as unknown as FuzzTarget;
}
