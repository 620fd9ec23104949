/** "Builds if needed": `tributary serve` runs from `dist/`, which `npm run build` produces from `src/`. */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Why a build is needed, or undefined when `dist/` is at least as new as every source file. */
export function buildNeeded(repoRoot: string): string | undefined {
  const entry = path.join(repoRoot, 'dist/cli/main.js');
  if (!existsSync(entry)) return 'dist/ is missing';
  const builtAtMillis = statSync(entry).mtimeMs;
  const srcDir = path.join(repoRoot, 'src');
  for (const file of readdirSync(srcDir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    if (statSync(path.join(srcDir, file)).mtimeMs > builtAtMillis) return `src/${file} is newer than dist/`;
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
