/**
 * Builds the renderer into dist/ (`npm run build:web`), which the host serves under a strict CSP
 * (script-src 'self'; style-src 'self'): so no inline script or style in the output, and no asset
 * inlined as a data: URL.
 */
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be a script in index.html; Chromium and Electron support modulepreload.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
});
