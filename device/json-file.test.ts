import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonFile, writeFileAtomically, writeJsonFileAtomically } from './json-file.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-json-file-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('files written atomically', () => {
  it('replace the file whole, with the mode asked for', () => {
    const file = path.join(dir, 'terminal.json');
    writeJsonFileAtomically(file, { a: 1 });
    writeJsonFileAtomically(file, { a: 2 });
    expect(readJsonFile(file)).toEqual({ a: 2 });
    writeFileAtomically(path.join(dir, 'key'), 'secret', 0o600);
    expect(fs.statSync(path.join(dir, 'key')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).sort()).toEqual(['key', 'terminal.json']);
  });

  it('exclusive keeps a file already there', () => {
    const file = path.join(dir, 'key');
    writeFileAtomically(file, 'first', 0o600, { exclusive: true });
    writeFileAtomically(file, 'second', 0o600, { exclusive: true });
    expect(fs.readFileSync(file, 'utf8')).toBe('first');
    expect(fs.readdirSync(dir)).toEqual(['key']);
  });

  it('leave no temp file behind when they fail', () => {
    // A folder in the way: the rename over it fails, as a full disk fails a write.
    const file = path.join(dir, 'terminal.json');
    fs.mkdirSync(path.join(file, 'x'), { recursive: true });
    expect(() => writeJsonFileAtomically(file, { a: 1 })).toThrow();
    expect(fs.readdirSync(dir)).toEqual(['terminal.json']);
  });
});
