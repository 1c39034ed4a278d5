/** Small JSON files in the data folder (terminal record, activation, settings written by activation). */
import fs from 'node:fs';
import path from 'node:path';

/** The parsed file, or undefined when it doesn't exist. Throws SyntaxError for a damaged file. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text);
}

/** Written beside the target, fsynced, then renamed over it: never half a file under its name. */
export function writeJsonFileAtomically(file: string, value: unknown): void {
  writeFileAtomically(file, `${JSON.stringify(value, null, 2)}\n`, 0o644);
}

/**
 * A temp file beside `file` with the final mode from the start, fsynced, then renamed over `file`
 * (or, when `exclusive`, linked, which fails if the file appeared meanwhile and keeps the one
 * already there), then the folder fsynced. A failure (a full disk) leaves no temp file behind.
 */
export function writeFileAtomically(
  file: string,
  content: string | Uint8Array,
  mode: number,
  options: { exclusive?: boolean } = {},
): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w', mode);
    try {
      if (typeof content === 'string') fs.writeSync(fd, content);
      else fs.writeSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (options.exclusive) {
      try {
        fs.linkSync(tmp, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    } else {
      fs.renameSync(tmp, file);
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const dirFd = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}
