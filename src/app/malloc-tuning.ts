/**
 * glibc's malloc under DuckDB. DuckDB allocates its buffer blocks (256 KiB) and much of a
 * checkpoint's working memory with malloc. glibc serves an allocation above `M_MMAP_THRESHOLD`
 * (128 KiB) with its own mmap and unmaps it on free, but by default it raises that threshold to the
 * size of every such block freed (up to 32 MiB): after the first ones, blocks come from the heap
 * arenas, and memory freed there mostly stays in RSS. Setting the threshold explicitly turns that
 * adjustment off. glibc reads it from the environment when the process starts, so it cannot be
 * set from JavaScript: `npm start` and deploy/Dockerfile set `MALLOC_ENV`.
 *
 * Measured with `npm run bench:soak` at 36K spans/s: RSS outside DuckDB's buffer manager grew
 * 20–21 MiB/min with it (two runs) against 32–46 MiB/min without (three runs), and `bench:ingest`
 * saw no change in ingest rate. It does not prevent the ~1 GiB transient jumps at some
 * checkpoints (docs/benchmarks.md, "Memory under a 10-minute soak").
 */
import type { StorageBackend } from '../config/config.js';

/** The environment `tributary serve` should start with; package.json's `start` script spells it out too. */
export const MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072' };

/**
 * A start-up notice for a DuckDB server on Linux started without `MALLOC_ENV` (glibc's variable;
 * other C libraries ignore it); undefined when there is nothing to say.
 */
export function mallocNotice(env: Readonly<Record<string, string | undefined>>, platform: string, storage: StorageBackend): string | undefined {
  if (platform !== 'linux' || storage !== 'duckdb') return undefined;
  const missing = Object.keys(MALLOC_ENV).filter((name) => env[name] === undefined);
  if (missing.length === 0) return undefined;
  const setting = Object.entries(MALLOC_ENV).map(([name, value]) => `${name}=${value}`).join(' ');
  return `note: ${missing.join(', ')} is not set; with glibc, RSS grows with DuckDB's checkpoints. Start with ${setting} in the environment (as npm start does; docs/operations.md, "Memory")`;
}
