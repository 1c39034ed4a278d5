/**
 * Bundles the kiosk shell for Electron: `npm run build:electron` runs this twice,
 *   --mode main     main.ts (with the host it imports) → dist/main.js, an ES module (Electron ≥ 28)
 *   --mode preload  preload.ts → dist/preload.cjs, CommonJS (a sandboxed preload cannot be ESM)
 * npm packages stay external and load from node_modules in the packaged app; see bundling.ts for
 * the rules on imports and for why `import.meta.url` is rebased.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import {
  isRepositorySource,
  mainImport,
  OUT_DIR,
  type PackageManifest,
  preloadImport,
  REPO_ROOT,
  rebaseImportMetaUrl,
  SHELL_DIR,
} from './bundling.ts';

const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as PackageManifest;

function rebaseImportMeta(): Plugin {
  let outDir = OUT_DIR;
  return {
    name: 'suanpan-rebase-import-meta-url',
    // Before Vite's own `new URL(..., import.meta.url)` asset handling, which must not see these.
    enforce: 'pre',
    configResolved(config) {
      // Tests build into a temporary folder: the paths are relative to wherever the bundle lands.
      outDir = path.resolve(config.root, config.build.outDir);
    },
    transform(code, id) {
      if (!isRepositorySource(id)) return null;
      const rebased = rebaseImportMetaUrl(code, id.split('?')[0] ?? id, outDir);
      return rebased === null ? null : { code: rebased, map: null };
    },
  };
}

export default defineConfig(({ mode }) => {
  if (mode !== 'main' && mode !== 'preload') {
    throw new Error(`Build the kiosk shell with --mode main or --mode preload (got "${mode}")`);
  }
  const preload = mode === 'preload';
  return {
    root: SHELL_DIR,
    publicDir: false,
    envDir: false,
    plugins: [rebaseImportMeta()],
    build: {
      // Node 22 syntax: every Electron since 35 embeds Node 22 or later.
      target: 'node22',
      outDir: OUT_DIR,
      // The main build runs first and clears dist/; the preload build adds to it.
      emptyOutDir: !preload,
      minify: false,
      sourcemap: true,
      reportCompressedSize: false,
      copyPublicDir: false,
      lib: {
        entry: path.join(SHELL_DIR, preload ? 'preload.ts' : 'main.ts'),
        formats: [preload ? 'cjs' : 'es'],
        fileName: () => (preload ? 'preload.cjs' : 'main.js'),
      },
      rolldownOptions: {
        external: (id: string) =>
          (preload ? preloadImport(id) : mainImport(id, manifest, builtinModules)) === 'external',
      },
    },
  };
});
