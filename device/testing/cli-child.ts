/**
 * The `suanpan` command (the built bundle, bin/suanpan.js) in a child process, waited for without
 * blocking: for tests whose simulator or server runs in the test's own process and must keep
 * answering meanwhile (spawnSync would stop it).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout as JSON (with --json); {} when it is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: each command prints JSON of its own shape
  json: Record<string, any>;
}

/** Runs `suanpan ...args` with a bare environment (PATH, HOME) plus `env`. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/suanpan.js', ...args], {
      env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('close', (status) => {
      let json: CliRun['json'] = {};
      try {
        json = JSON.parse(stdout);
      } catch {}
      resolve({ status, stdout, stderr, json });
    });
  });
}
