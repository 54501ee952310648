import react from '@vitejs/plugin-react';
import { defineConfig, type ProxyOptions } from 'vite';

const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:3000';
const port = Number(process.env.WEB_PORT ?? 5173);
const host = '127.0.0.1';

/**
 * Everything the API serves besides the SPA. Anchored patterns so `/dev` does not swallow a future
 * `/devices` page. The same list is proxied by e2e/static-server.ts.
 */
const proxy: Record<string, ProxyOptions> = {
  '^/(trpc|health|metrics|files|objects|dev)(/|\\?|$)': { target: apiUrl, changeOrigin: false, xfwd: true },
};

export default defineConfig({
  plugins: [react()],
  server: { host, port, strictPort: true, proxy },
  preview: { host, port, strictPort: true, proxy },
  // Maps are written for error tooling but not referenced by the bundles, and the API never serves them.
  build: { outDir: 'dist', sourcemap: 'hidden' },
});
