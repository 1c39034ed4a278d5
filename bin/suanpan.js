#!/usr/bin/env node
// Entry point of the `suanpan` command. The sources are TypeScript, run through tsx's loader, so
// there is no build step between a change and the command that runs it.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../device/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  interactive: Boolean(process.stderr.isTTY),
});
