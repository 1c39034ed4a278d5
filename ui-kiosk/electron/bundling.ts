/**
 * How the shell is bundled for Electron (vite.config.ts uses these; bundling.test.ts checks them).
 *
 * The sources are TypeScript run through tsx everywhere else; Electron cannot use tsx's loader
 * inside an asar archive, so `npm run build:electron` bundles main.ts (with the terminal host it
 * starts) into dist/main.js and preload.ts into dist/preload.cjs. npm packages stay out of the
 * bundle and are loaded from node_modules, where electron-builder rebuilds the native ones.
 */
import path from 'node:path';

/** The repository root, from this file's place in it. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const SHELL_DIR = path.join(REPO_ROOT, 'ui-kiosk/electron');
export const OUT_DIR = path.join(SHELL_DIR, 'dist');

const IMPORT_META_URL = /\bimport\.meta\.url\b/g;
const IMPORT_META_PATH = /\bimport\.meta\.(dirname|filename)\b/;

/**
 * Bundled into dist/main.js, a module's `import.meta.url` would name the bundle, and its relative
 * paths would point elsewhere: device/version.ts reads `../package.json`, the host finds
 * `../../ui-kiosk/web/dist`. This rewrites `import.meta.url` to the URL the module has in the source
 * tree, computed from the bundle's own URL at run time, so those paths resolve in the packaged app
 * exactly as they do in the checkout (the app keeps the repository's layout inside app.asar).
 *
 * Returns null when there is nothing to rewrite. Throws on `import.meta.dirname`/`filename`, which
 * would need the same treatment: use `import.meta.url`.
 */
export function rebaseImportMetaUrl(code: string, sourceFile: string, outDir: string): string | null {
  const property = IMPORT_META_PATH.exec(code);
  if (property) {
    throw new Error(
      `${path.relative(REPO_ROOT, sourceFile)} uses import.meta.${property[1]}, which is wrong once bundled ` +
        'for the kiosk: use import.meta.url (rebased by ui-kiosk/electron/bundling.ts)',
    );
  }
  if (!code.includes('import.meta.url')) return null;
  const relative = path.relative(outDir, sourceFile).split(path.sep).join('/');
  // @vite-ignore: the URL names a source file that is not in the bundle; it is only a base.
  return code.replace(
    IMPORT_META_URL,
    `new URL(/* @vite-ignore */ ${JSON.stringify(relative)}, import.meta.url).href`,
  );
}

/** Whether a module id is repository source (bundled, and rebased) rather than a package. */
export function isRepositorySource(id: string, root: string = REPO_ROOT): boolean {
  const file = id.split('?')[0] ?? id;
  if (!path.isAbsolute(file) || file.includes(`${path.sep}node_modules${path.sep}`)) return false;
  const relative = path.relative(root, file);
  return !relative.startsWith('..') && /\.(ts|tsx|js|mjs)$/.test(file);
}

export interface PackageManifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** The npm package a bare import names: `@fastify/static/x` → `@fastify/static`, `pino` → `pino`. */
export function packageOf(id: string): string | null {
  if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0') || path.isAbsolute(id)) return null;
  const parts = id.split('/');
  return id.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? null);
}

export type ExternalAnswer = 'bundle' | 'external';

/**
 * What the main-process bundle does with an import: Node built-ins, `electron` and the app's
 * `dependencies` stay external (node_modules ships in the app). A devDependency imported at run time
 * would be missing from the packaged app (electron-builder copies `dependencies` only): that fails
 * the build here, naming the import, rather than the kiosk on a terminal.
 */
export function mainImport(
  id: string,
  manifest: PackageManifest,
  builtins: readonly string[],
): ExternalAnswer {
  if (id === 'electron' || id.startsWith('node:') || builtins.includes(id)) return 'external';
  const pkg = packageOf(id);
  if (pkg === null) return 'bundle';
  if (manifest.dependencies?.[pkg]) return 'external';
  if (manifest.devDependencies?.[pkg]) {
    throw new Error(
      `The kiosk imports "${id}" at run time, but ${pkg} is a devDependency: the packaged app would not ` +
        'have it. Move it to dependencies, or import it with `import type` only.',
    );
  }
  throw new Error(`The kiosk imports "${id}", which is not in package.json's dependencies.`);
}

/**
 * A sandboxed preload gets a `require` that knows 'electron' and a few polyfills, nothing from disk
 * (https://www.electronjs.org/docs/latest/tutorial/sandbox#preload-scripts): everything else must be
 * bundled, and a Node built-in or npm package fails the build.
 */
export function preloadImport(id: string): ExternalAnswer {
  if (id === 'electron') return 'external';
  if (packageOf(id) === null) return 'bundle';
  throw new Error(
    `The preload imports "${id}": a sandboxed preload can require only 'electron'. Keep it to ` +
      'ui-kiosk/electron/settings.ts and electron.',
  );
}
