#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2
// Entry point of the `suanpan` command. The sources are TypeScript, run through tsx's loader, so
// there is no build step between a change and the command that runs it.
//
// Memory of a long-running terminal (`suanpan start`, `suanpan demo`), measured by `npm run bench --
// kiosk` over 10,000 payments: V8's young generation capped at 2 MB per semi-space (Node's default
// lets it grow to 16 MB; the host's garbage is short-lived and small) took about 20 MB off the
// host's RSS, and two malloc arenas instead of one per thread (glibc's default) kept RSS from
// creeping by about 1.5 MB per thousand payments. Run as `node bin/suanpan.js` neither applies.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../device/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  interactive: Boolean(process.stderr.isTTY),
});
