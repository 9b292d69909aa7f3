/**
 * Build of the operator console: a static single-page app the host serves at `/console/`.
 * Everything it needs is bundled (no fonts, scripts or styles from the internet), and asset
 * names carry a content hash, so the host can cache them forever.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  // Vite 8 compiles TS/JSX with Oxc (its `esbuild` option is deprecated): Preact's automatic runtime.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Small app: one script and one stylesheet, no split chunks to preload.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  // `npm run dev -w @switchyard/console`: the page from source, its API calls sent to a running gateway.
  server: { proxy: { '/v0': process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:8317' } },
});
