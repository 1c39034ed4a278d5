#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2
// Entry point of the `suanpan` command. The sources are TypeScript, run through tsx's loader, so
// there is no build step between a change and the command that runs it; when `npm run build:cli`
// has bundled them as they are now (dist/cli, checked file by file: bin/bundle-check.js), the
// bundle runs instead, which starts faster and takes less memory (no loader thread, no transforms).
// SUANPAN_SOURCES=1 runs the sources whatever dist/cli holds.
//
// Memory of a long-running terminal (`suanpan start`, `suanpan demo`), measured by `npm run bench --
// kiosk` over 10,000 payments: V8's young generation capped at 2 MB per semi-space (Node's default
// lets it grow to 16 MB; the host's garbage is short-lived and small) took about 20 MB off the
// host's RSS, and two malloc arenas instead of one per thread (glibc's default) kept RSS from
// creeping by about 1.5 MB per thousand payments. Run as `node bin/suanpan.js` neither applies.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshBundle } from './bundle-check.js';

// A launcher option, not a setting: taken out before the settings see the environment.
const fromSources = process.env.SUANPAN_SOURCES === '1';
delete process.env.SUANPAN_SOURCES;
const bundle = fromSources ? null : freshBundle(fileURLToPath(new URL('../dist/cli', import.meta.url)));
let main;
if (bundle) {
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../device/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  interactive: Boolean(process.stderr.isTTY),
});
