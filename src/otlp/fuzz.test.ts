/**
 * The short, fixed-seed run of the OTLP decoders' fuzz targets (fuzz-targets.test-support.ts
 * states the contracts they check). `npm run fuzz` runs the same targets for as long as asked,
 * with fresh seeds. The last test checks that the protobuf mutations reach both the error paths
 * and valid requests, so a harness that silently stopped mutating (or only broke inputs) fails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { traceRequest } from './arbitraries.test-support.js';
import { decodeTraceRequest } from './decode-request.js';
import { encodeTraceRequest } from './encode.js';
import { otlpFuzzTargets } from './fuzz-targets.test-support.js';
import { byteMutation, mutateBytes, mutateTree, treeMutation } from './proto-mutations.test-support.js';

const FUZZ_SEED = 20_260_101;

describe('fuzz: OTLP decoders (fixed seed)', () => {
  it.each(otlpFuzzTargets('short').map((t) => [t.name, t] as const))('%s', async (_name, target) => {
    await fc.assert(fc.asyncProperty(target.input, async (input) => target.check(input)), { seed: FUZZ_SEED, numRuns: target.shortRuns });
  });

  it('the protobuf mutations reach the error paths and keep many inputs valid', () => {
    const corpus = fc.sample(traceRequest({ validIds: false }), { seed: FUZZ_SEED, numRuns: 20 }).map(encodeTraceRequest);
    const inputs = fc.sample(fc.tuple(fc.nat(), fc.array(treeMutation('short'), { minLength: 1, maxLength: 4 }), fc.array(byteMutation, { maxLength: 1 })), { seed: FUZZ_SEED, numRuns: 600 });
    const outcomes = inputs.map(([i, tree, bytes]) => decodeTraceRequest(mutateBytes(mutateTree(corpus[i % corpus.length]!, tree), bytes)));
    const refused = outcomes.filter((o) => !o.ok).length;
    expect(refused).toBeGreaterThan(100);
    expect(outcomes.length - refused).toBeGreaterThan(100);
  });
});
