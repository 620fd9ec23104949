/** "Builds if needed": `tributary serve` runs from `dist/`, which `npm run build` produces from `src/` and `web/`. */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** What `npm run build` produces from what: the server and CLI, and the web UI (built by Vite). */
const OUTPUTS = [
  { sources: 'src', output: 'dist/cli/main.js' },
  { sources: 'web', output: 'dist/web/index.html' },
] as const;

/** Why a build is needed, or undefined when every output is at least as new as its sources. */
export function buildNeeded(repoRoot: string): string | undefined {
  for (const { sources, output } of OUTPUTS) {
    const sourceDir = path.join(repoRoot, sources);
    if (!existsSync(sourceDir)) continue;
    const outputFile = path.join(repoRoot, output);
    if (!existsSync(outputFile)) return `${output} is missing`;
    const builtAtMillis = statSync(outputFile).mtimeMs;
    for (const file of readdirSync(sourceDir, { recursive: true, encoding: 'utf8' })) {
      if (file.includes('node_modules') || file.includes('.test.') || !/\.(ts|tsx|css|html)$/.test(file)) continue;
      if (statSync(path.join(sourceDir, file)).mtimeMs > builtAtMillis) return `${sources}/${file} is newer than ${output}`;
    }
  }
  return undefined;
}

/**
 * Runs `npm run build`. `tsc` writes its output even when some file has a type error, so a failed
 * build can still leave a runnable `dist/`; the caller decides whether to go on.
 */
export function runBuild(repoRoot: string): Promise<{ readonly ok: true } | { readonly ok: false; readonly message: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (error) => resolve({ ok: false, message: `npm run build could not start: ${error.message}` }));
    child.once('exit', (code) => resolve(code === 0 ? { ok: true } : { ok: false, message: `npm run build failed (exit ${code})` }));
  });
}

export function distExists(repoRoot: string): boolean {
  return existsSync(path.join(repoRoot, 'dist/cli/main.js'));
}
