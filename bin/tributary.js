#!/usr/bin/env node
// The CLI entry point: the compiled program lives in dist/ (built by `npm install` through `prepare`).
import { main } from '../dist/cli/main.js';

// `tributary trace … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => { console.error(`error: ${error instanceof Error ? error.message : error}`); process.exitCode = 1; },
);
