import path from 'node:path';
import { KEY_DIR, PRIVATE_KEY_FILE } from '../../identity/terminal-key.ts';
import { openTerminal } from '../../terminal.ts';
import type { CliIO, CommandResult } from '../output.ts';

/** Sets up a terminal in the data folder (key and journal), or shows the one already there. */
export function init(options: { dataDir: string }, io: CliIO): CommandResult {
  const terminal = openTerminal({ dataDir: options.dataDir, env: io.env, create: true });
  try {
    const json = {
      terminalId: terminal.key.terminalId,
      dataDir: options.dataDir,
      publicKey: terminal.key.publicKeyPem,
      journal: terminal.journal.file,
      createdAt: terminal.journal.createdAt,
    };
    return {
      json,
      text: [
        `Terminal ${json.terminalId} in ${options.dataDir}`,
        `Private key: ${path.join(options.dataDir, KEY_DIR, PRIVATE_KEY_FILE)} (mode 0600; back it up: without it the journal can't be verified)`,
        `Journal: ${json.journal} (since ${json.createdAt})`,
      ].join('\n'),
    };
  } finally {
    terminal.close();
  }
}
