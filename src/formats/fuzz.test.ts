/**
 * The short, fixed-seed run of the importers' fuzz targets (fuzz-targets.test-support.ts states
 * the contracts they check). `npm run fuzz` runs the same targets for as long as asked.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { formatFuzzTargets } from './fuzz-targets.test-support.js';

const FUZZ_SEED = 20_260_101;

describe('fuzz: trace-file importers (fixed seed)', () => {
  it.each(formatFuzzTargets('short').map((t) => [t.name, t] as const))('%s', async (_name, target) => {
    await fc.assert(fc.asyncProperty(target.input, async (input) => target.check(input)), { seed: FUZZ_SEED, numRuns: target.shortRuns });
  });
});
