/**
 * The storage conformance suite: every clause of the contract in `storage/api/storage.ts`, run
 * against any backend. A backend's test calls it once:
 *
 * ```ts
 * storageConformance('duckdb', async () => {
 *   const dir = await mkdtemp(…);
 *   return { storage: await open(dir), reopen: () => open(dir), cleanup: () => rm(dir, …) };
 * });
 * ```
 *
 * Every test gets a fresh, empty store from `open` and the suite closes it afterwards. Cases that
 * need data to survive a restart run only when `open` provides `reopen`; otherwise they are
 * reported as skipped with the reason.
 */
import { describe } from 'vitest';
import type { Storage } from '../api/storage.js';
import { batchReadCases } from './batch-read-cases.js';
import { callCases } from './call-cases.js';
import { derivationCases } from './derivation-cases.js';
import { useFreshStore } from './harness.js';
import { lifecycleCases } from './lifecycle-cases.js';
import { spanCases } from './span-cases.js';

export function storageConformance(
  name: string,
  open: () => Promise<{ storage: Storage; reopen?: () => Promise<Storage>; cleanup(): Promise<void> }>,
): void {
  describe(`storage conformance: ${name}`, () => {
    const store = useFreshStore(open);
    spanCases(store);
    batchReadCases(store);
    callCases(store);
    derivationCases(store);
    lifecycleCases(store);
  });
}
