/**
 * `tributary <args>` run from the TypeScript sources (start with `node --import tsx`), so the
 * ingest benchmark measures the code in the tree without a build step and never a stale `dist/`.
 * The same `main` as bin/tributary.js; tsx only transpiles modules as they load.
 */
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
