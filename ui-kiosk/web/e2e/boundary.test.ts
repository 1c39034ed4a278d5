/**
 * The renderer's process boundary, checked with the compiler: its sources compile with browser
 * types only and nothing of the host's; an import of a Node module, a Node global or an import of a
 * driver does not compile; and the Node side of this folder (the build config, the browser tests,
 * the API contract check) compiles with Node types.
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

/** Compiles one file with the renderer's options, as if it were the renderer's only source. */
async function compileAsRenderer(name: string, source: string) {
  const dir = fs.mkdtempSync(path.join(scratch, `${name}-`));
  fs.writeFileSync(path.join(dir, `${name}.ts`), source);
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: path.join(webDir, 'tsconfig.json'),
      compilerOptions: { rootDir: '.' },
      include: [],
      files: [`${name}.ts`],
    }),
  );
  return compile(path.join(dir, 'tsconfig.json'));
}

describe("the renderer's boundary", () => {
  test('the renderer compiles with browser types, from its own sources and browser packages only', async () => {
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
    expect(foreign).toEqual([]);
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

  test('an import of a driver does not compile', async () => {
    const driver = JSON.stringify(path.join(repoRoot, 'drivers/scanner/scanner.ts'));
    const result = await compileAsRenderer(
      'driver-import',
      `export type { ScannerStatus } from ${driver};\n`,
    );
    expect(result.ok).toBe(false);
    // The driver's own dependencies would bring Node's typings along; rootDir refuses the import.
    expect(result.output).toMatch(
      /error TS6059: File '[^']*drivers\/scanner\/scanner\.ts' is not under 'rootDir'/,
    );
  });

  test("the Node side compiles, and the renderer's view of the API matches the host's schema", async () => {
    const result = await compile(path.join(webDir, 'tsconfig.node.json'));
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });
});
