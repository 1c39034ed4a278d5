/**
 * The renderer's process boundary, checked with the compiler: its sources compile with browser
 * types only and nothing of the host's but the pure shared files its tsconfig lists (the
 * keyboard-wedge detector); an import of a Node module, a Node global or an import of any other
 * driver file (even a pure one beside the detector) does not compile; and the Node side of this
 * folder (the build config, the browser tests, the API contract check) compiles with Node types.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const webDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(webDir, '../..');
const tsc = path.join(repoRoot, 'node_modules/.bin/tsc');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-boundary-'));
/** The only files from outside src/ the renderer compiles: pure, and shared with the host. */
const SHARED = [path.join(repoRoot, 'drivers/scanner/codec/wedge-detector.ts')];

/** The deepest folder holding both paths (rootDir for a scratch file beside the repository's). */
function commonFolder(a: string, b: string): string {
  const partsA = a.split(path.sep);
  const partsB = b.split(path.sep);
  let i = 0;
  while (i < partsA.length && partsA[i] === partsB[i]) i++;
  return partsA.slice(0, i).join(path.sep) || path.sep;
}

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

async function compile(project: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(tsc, ['-p', project, '--noEmit', '--pretty', 'false'], {
      cwd: repoRoot,
    });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: unknown };
    if (typeof e.code !== 'number') throw err;
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/**
 * Compiles one file as one more source of the renderer: its options, and its list of files (src/
 * and the shared ones, inherited) with this file added. rootDir widens to hold the scratch folder;
 * the list still decides what may come in.
 */
async function compileAsRenderer(name: string, source: string) {
  const dir = fs.mkdtempSync(path.join(scratch, `${name}-`));
  fs.writeFileSync(path.join(dir, `${name}.ts`), source);
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: path.join(webDir, 'tsconfig.json'),
      compilerOptions: {
        rootDir: commonFolder(dir, repoRoot),
        tsBuildInfoFile: path.join(dir, 'tsbuildinfo'),
      },
      files: [`${name}.ts`],
    }),
  );
  return compile(path.join(dir, 'tsconfig.json'));
}

/** The error TypeScript gives for a file the renderer's list doesn't hold. */
function notListed(file: string): RegExp {
  const escaped = path.join(repoRoot, file).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`error TS6307: File '${escaped}' is not listed within the file list of project`);
}

describe("the renderer's boundary", () => {
  test('the renderer compiles with browser types, from its own sources, the listed shared files and browser packages only', async () => {
    const result = await compile(path.join(webDir, 'tsconfig.json'));
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
    const { stdout } = await run(tsc, ['-p', path.join(webDir, 'tsconfig.json'), '--listFilesOnly'], {
      cwd: repoRoot,
    });
    const files = stdout.split('\n').filter(Boolean);
    expect(files.filter((f) => f.startsWith(path.join(webDir, 'src'))).length).toBeGreaterThan(10);
    const foreign = files.filter(
      (f) => !f.startsWith(path.join(webDir, 'src')) && !f.startsWith(path.join(repoRoot, 'node_modules')),
    );
    expect(foreign).toEqual(SHARED);
    // A package whose typings pull in Node's (`/// <reference types="node" />`) would bring it back.
    expect(files.filter((f) => f.includes('/node_modules/@types/node/'))).toEqual([]);
  });

  test('an import of a Node module does not compile', async () => {
    const result = await compileAsRenderer(
      'node-import',
      `import fs from 'node:fs';\nexport const read = fs.readFileSync;\n`,
    );
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/node-import\.ts.*error TS\d+: Cannot find (module|name) 'node:fs'/);
  });

  test('Node globals are not there either', async () => {
    const result = await compileAsRenderer('node-global', `export const cwd = process.cwd();\n`);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/Cannot find name 'process'/);
  });

  test('the shared wedge detector compiles in the renderer, and the renderer uses it', async () => {
    for (const file of SHARED) {
      // Pure: no import at all, so listing it brings nothing else along.
      expect(fs.readFileSync(file, 'utf8')).not.toMatch(/^\s*(import|export\s.*\sfrom)\s/m);
    }
    const detector = JSON.stringify(SHARED[0]);
    const result = await compileAsRenderer(
      'shared-import',
      `import { WedgeDetector } from ${detector};\nexport const verdict = new WedgeDetector().key('1', performance.now());\n`,
    );
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
    const glue = fs.readFileSync(path.join(webDir, 'src/wedge/wedge-keys.ts'), 'utf8');
    expect(glue).toContain("from '../../../../drivers/scanner/codec/wedge-detector.ts'");
  });

  test.each([
    ['the scanner driver', 'drivers/scanner/scanner.ts', 'ScannerStatus'],
    ['the serial transport', 'drivers/transport/serial.ts', 'SerialTransport'],
    ['a pure codec beside the detector', 'drivers/scanner/codec/aim.ts', 'Symbology'],
    ['the host', 'device/host/api-schema.ts', 'HostStatus'],
  ])('an import of %s does not compile', async (_what, file, name) => {
    const target = JSON.stringify(path.join(repoRoot, file));
    const result = await compileAsRenderer('driver-import', `export type { ${name} } from ${target};\n`);
    expect(result.ok).toBe(false);
    // Its own dependencies would bring Node's typings along; the renderer's file list refuses it.
    expect(result.output).toMatch(notListed(file));
  });

  test('nor does a Node global inside a renderer source that also uses the shared detector', async () => {
    const detector = JSON.stringify(SHARED[0]);
    const result = await compileAsRenderer(
      'mixed',
      `import { WedgeDetector } from ${detector};\nexport const d = new WedgeDetector();\nexport const b = Buffer.from('x');\n`,
    );
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/mixed\.ts.*Cannot find name 'Buffer'/);
  });

  test("the Node side compiles, and the renderer's view of the API matches the host's schema", async () => {
    const result = await compile(path.join(webDir, 'tsconfig.node.json'));
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });
});
