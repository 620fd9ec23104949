/**
 * Bundles `orders-web` for the browser with esbuild, at demo start, into `outDir` (a temporary
 * directory: bundles are build output, not source). Writes `index.html` and `app.js`.
 */
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const webDir = path.dirname(fileURLToPath(import.meta.url));

export async function bundleWebApp(outDir: string): Promise<void> {
  await build({
    entryPoints: [path.join(webDir, 'app.ts')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    // `browser` picks the OpenTelemetry packages' browser builds (`telemetry.sdk.language = webjs`).
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  await copyFile(path.join(webDir, 'index.html'), path.join(outDir, 'index.html'));
}
