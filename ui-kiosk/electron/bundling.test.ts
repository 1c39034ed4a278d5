import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  isRepositorySource,
  mainImport,
  OUT_DIR,
  packageOf,
  preloadImport,
  REPO_ROOT,
  rebaseImportMetaUrl,
} from './bundling.ts';

const source = path.join(REPO_ROOT, 'device/version.ts');

describe('import.meta.url rebased to the source file', () => {
  test('relative paths resolve from the bundle as they do from the source', () => {
    const code = "const pkg = createRequire(import.meta.url)('../package.json');";
    const rebased = rebaseImportMetaUrl(code, source, OUT_DIR);
    expect(rebased).toBe(
      'const pkg = createRequire(new URL(/* @vite-ignore */ "../../../device/version.ts", import.meta.url).href)' +
        "('../package.json');",
    );
    // Evaluate the rewritten expression as it runs in dist/main.js.
    const bundleUrl = new URL(`file://${OUT_DIR}/main.js`).href;
    const base = new URL('../../../device/version.ts', bundleUrl).href;
    expect(new URL('../package.json', base).pathname).toBe(path.join(REPO_ROOT, 'package.json'));
  });

  test('every occurrence, nothing else', () => {
    const code = 'a(import.meta.url); b(import.meta.url); import.meta.env; import.meta.urls;';
    const rebased = rebaseImportMetaUrl(code, source, OUT_DIR) ?? '';
    expect(rebased.match(/new URL\(/g)).toHaveLength(2);
    expect(rebased).toContain('import.meta.env;');
    expect(rebased).toContain('import.meta.urls;');
  });

  test('a module without import.meta.url is left alone', () => {
    expect(rebaseImportMetaUrl('export const x = 1;', source, OUT_DIR)).toBeNull();
  });

  test('import.meta.dirname and filename fail the build, naming the file', () => {
    expect(() => rebaseImportMetaUrl('const d = import.meta.dirname;', source, OUT_DIR)).toThrow(
      /device\/version\.ts uses import\.meta\.dirname/,
    );
    expect(() => rebaseImportMetaUrl('const f = import.meta.filename;', source, OUT_DIR)).toThrow(/filename/);
  });

  test('only repository sources are rebased, never packages', () => {
    expect(isRepositorySource(source)).toBe(true);
    expect(isRepositorySource(`${source}?query`)).toBe(true);
    expect(isRepositorySource(path.join(REPO_ROOT, 'node_modules/pino/pino.js'))).toBe(false);
    expect(isRepositorySource('/elsewhere/file.ts')).toBe(false);
    expect(isRepositorySource('\0virtual')).toBe(false);
    expect(isRepositorySource(path.join(REPO_ROOT, 'device/checkout/payment-code-schemes.json'))).toBe(false);
  });
});

describe('what the bundles import', () => {
  const manifest = {
    dependencies: { pino: '^10', '@fastify/static': '^9' },
    devDependencies: { vite: '^8', electron: '^45' },
  };

  test('package names', () => {
    expect(packageOf('pino')).toBe('pino');
    expect(packageOf('@fastify/static')).toBe('@fastify/static');
    expect(packageOf('@fastify/static/lib/x.js')).toBe('@fastify/static');
    expect(packageOf('zod/v4')).toBe('zod');
    expect(packageOf('./settings.ts')).toBeNull();
    expect(packageOf('../../device/host/host.ts')).toBeNull();
    expect(packageOf('/abs/file.ts')).toBeNull();
  });

  test('main: built-ins, electron and dependencies stay external; sources are bundled', () => {
    expect(mainImport('node:fs', manifest, builtinModules)).toBe('external');
    expect(mainImport('fs', manifest, builtinModules)).toBe('external');
    expect(mainImport('electron', manifest, builtinModules)).toBe('external');
    expect(mainImport('pino', manifest, builtinModules)).toBe('external');
    expect(mainImport('@fastify/static', manifest, builtinModules)).toBe('external');
    expect(mainImport('../../device/host/host.ts', manifest, builtinModules)).toBe('bundle');
    expect(mainImport(path.join(REPO_ROOT, 'device/host/host.ts'), manifest, builtinModules)).toBe('bundle');
  });

  test('main: a devDependency at run time fails the build (the packaged app would lack it)', () => {
    expect(() => mainImport('vite', manifest, builtinModules)).toThrow(/vite is a devDependency/);
    expect(() => mainImport('left-pad', manifest, builtinModules)).toThrow(/not in package.json/);
  });

  test("preload: only 'electron' may be required in a sandbox", () => {
    expect(preloadImport('electron')).toBe('external');
    expect(preloadImport('./settings.ts')).toBe('bundle');
    expect(() => preloadImport('node:path')).toThrow(/sandboxed preload can require only 'electron'/);
    expect(() => preloadImport('pino')).toThrow(/sandboxed preload/);
  });
});
