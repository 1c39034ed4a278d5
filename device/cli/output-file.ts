/**
 * Files a command writes where the user says (`journal export --out`, `receipt --png`): checked
 * before any work, and never in the terminal's data folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pidAlive } from '../pid-alive.ts';
import { UsageError } from './output.ts';

/**
 * Where `option` may write: a file in a folder that exists, outside the terminal's data folder,
 * which holds the journal, its key and settings: a file written over one of them would destroy it,
 * and a new file there may be one the terminal reads by name. An existing file (an earlier output)
 * is replaced. `example` names a file for the message when a folder is given.
 */
export function outputTarget(
  out: string,
  dataDir: string,
  options: { option: string; what: string; example: string },
): string {
  const { option, what, example } = options;
  const target = path.resolve(out);
  const folder = path.dirname(target);
  let realFolder: string;
  try {
    realFolder = fs.realpathSync(folder);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENAMETOOLONG')
      throw new UsageError(`${option} ${out.slice(0, 80)}… is too long a path: name a shorter one.`);
    throw new UsageError(`The folder ${folder} for ${option} does not exist: create it or name another.`);
  }
  const existing = fs.statSync(target, { throwIfNoEntry: false });
  if (existing?.isDirectory()) {
    throw new UsageError(
      `${option} ${target} is a folder: name a file in it, e.g. ${path.join(target, example)}.`,
    );
  }
  let realData: string;
  try {
    realData = fs.realpathSync(dataDir);
  } catch {
    realData = path.resolve(dataDir);
  }
  const inside = path.relative(realData, path.join(realFolder, path.basename(target)));
  // Not even a new file: the terminal reads files there by name (suanpan.json, terminal.json).
  if (!inside.startsWith('..') && !path.isAbsolute(inside)) {
    throw new UsageError(
      `${option} ${target} is in the terminal's data folder ${dataDir}, which holds the journal, its key and the settings: write ${what} outside it.`,
    );
  }
  return target;
}

/**
 * Removes what earlier runs left beside `target` when they were killed mid-write: `<target>.<pid>.tmp`
 * files whose process is gone (a live one may be writing it now).
 */
export function removeStaleTemps(target: string): void {
  const folder = path.dirname(target);
  const prefix = `${path.basename(target)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length, -'.tmp'.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || pidAlive(pid)) continue;
    try {
      fs.rmSync(path.join(folder, name), { force: true });
    } catch {
      // Another user's, in a shared folder: not ours to remove.
    }
  }
}
