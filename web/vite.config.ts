import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = new URL('.', import.meta.url).pathname;

/**
 * The UI is built into `dist/web`, next to the compiled server, which serves it (src/api/ui.ts).
 * Absolute asset URLs (`base: '/'`) so deep links such as `/services/a/backtrace` load them.
 */
export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: new URL('../dist/web', import.meta.url).pathname,
    emptyOutDir: true,
    sourcemap: true,
  },
  // `npx vite --config web/vite.config.ts` for UI development against `tributary serve` on its default port.
  server: { proxy: { '/api': 'http://127.0.0.1:8686' } },
});
