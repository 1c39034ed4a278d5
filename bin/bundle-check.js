// Whether dist/cli holds a bundle of the sources as they are now (see bin/cli.vite.config.ts). Plain
// JavaScript: bin/suanpan.js runs it before any loader is registered.
import fs from 'node:fs';
import path from 'node:path';

export const CLI_BUNDLE_ENTRY = 'main.js';
export const CLI_BUNDLE_INPUTS = 'inputs.json';

/**
 * The bundle's entry file in `bundleDir` when every source it was built from still has the size and
 * mtime it had then; null when there is no bundle, it is unreadable, or any source changed or is gone.
 */
export function freshBundle(bundleDir) {
  let inputs;
  try {
    inputs = JSON.parse(fs.readFileSync(path.join(bundleDir, CLI_BUNDLE_INPUTS), 'utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(inputs?.files) || inputs.files.length === 0 || typeof inputs.root !== 'string')
    return null;
  const root = path.resolve(bundleDir, inputs.root);
  for (const [file, mtimeMs, size] of inputs.files) {
    let stat;
    try {
      stat = fs.statSync(path.join(root, file));
    } catch {
      return null;
    }
    if (stat.mtimeMs !== mtimeMs || stat.size !== size) return null;
  }
  const entry = path.join(bundleDir, inputs.entry ?? CLI_BUNDLE_ENTRY);
  return fs.existsSync(entry) ? entry : null;
}
