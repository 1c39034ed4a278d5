/**
 * Bundles the `suanpan` command (`npm run build:cli`): device/cli/main.ts and every repository module
 * it reaches, lazy commands as their own chunks, into dist/cli/. npm packages and Node built-ins stay
 * external. `import.meta.url` is rebased as for the Electron bundle (ui-kiosk/electron/bundling.ts),
 * so paths relative to a module resolve as they do in the source tree.
 *
 * Why: through tsx, every import of a TypeScript module goes through a loader thread (a second V8
 * isolate) and a transform; the bundle skips both, which is most of the host's start-up time and
 * about 30 MB of its memory. bin/suanpan.js runs the bundle only while it was built from the sources
 * as they are: dist/cli/inputs.json lists each bundled source with its size and mtime, and any
 * change sends the command back to the sources through tsx (see bin/bundle-check.js).
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import {
  isRepositorySource,
  packageOf,
  REPO_ROOT,
  rebaseImportMetaUrl,
} from '../ui-kiosk/electron/bundling.ts';
import { CLI_BUNDLE_ENTRY, CLI_BUNDLE_INPUTS } from './bundle-check.js';

export const CLI_OUT_DIR = path.join(REPO_ROOT, 'dist/cli');

function rebaseImportMeta(outDir: () => string): Plugin {
  return {
    name: 'suanpan-rebase-import-meta-url',
    enforce: 'pre',
    transform(code, id) {
      if (!isRepositorySource(id)) return null;
      const rebased = rebaseImportMetaUrl(code, id.split('?')[0] ?? id, outDir());
      return rebased === null ? null : { code: rebased, map: null };
    },
  };
}

/** Writes inputs.json: each repository source in the bundle, with its size and mtime. */
function recordInputs(outDir: () => string): Plugin {
  return {
    name: 'suanpan-record-inputs',
    generateBundle(_options, bundle) {
      const files = new Set<string>();
      for (const output of Object.values(bundle)) {
        if (output.type !== 'chunk') continue;
        for (const id of output.moduleIds) if (isRepositorySource(id)) files.add(id.split('?')[0] ?? id);
      }
      const inputs = [...files].sort().map((file) => {
        const stat = fs.statSync(file);
        return [path.relative(REPO_ROOT, file).split(path.sep).join('/'), stat.mtimeMs, stat.size];
      });
      this.emitFile({
        type: 'asset',
        fileName: CLI_BUNDLE_INPUTS,
        source: `${JSON.stringify({ entry: CLI_BUNDLE_ENTRY, root: path.relative(outDir(), REPO_ROOT), files: inputs })}\n`,
      });
    },
  };
}

export default defineConfig(() => {
  let outDir = CLI_OUT_DIR;
  const out = () => outDir;
  return {
    root: REPO_ROOT,
    publicDir: false,
    envDir: false,
    plugins: [
      rebaseImportMeta(out),
      recordInputs(out),
      {
        name: 'suanpan-out-dir',
        configResolved(config) {
          // Tests build into a temporary folder: paths are relative to wherever the bundle lands.
          outDir = path.resolve(config.root, config.build.outDir);
        },
      },
    ],
    build: {
      target: 'node20',
      outDir: CLI_OUT_DIR,
      emptyOutDir: true,
      minify: false,
      sourcemap: true,
      reportCompressedSize: false,
      copyPublicDir: false,
      lib: {
        entry: path.join(REPO_ROOT, 'device/cli/main.ts'),
        formats: ['es'],
        fileName: () => CLI_BUNDLE_ENTRY,
      },
      rolldownOptions: {
        external: (id: string) =>
          id.startsWith('node:') || builtinModules.includes(id) || packageOf(id) !== null,
      },
    },
  };
});
