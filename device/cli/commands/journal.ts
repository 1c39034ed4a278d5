import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { JournalError } from '../../../sync/journal/errors.ts';
import { EXPORT_FORMATS, type ExportFormat, exportEntries } from '../../../sync/journal/export.ts';
import type { VerifyResult } from '../../../sync/journal/verify.ts';
import { openTerminal } from '../../terminal.ts';
import { type CliIO, type CommandResult, EXIT_REFUSED, UsageError } from '../output.ts';

function progress(io: CliIO, label: string) {
  if (!io.interactive) return undefined;
  return (done: number, total: number) => {
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    io.stderr(
      `\r${label} ${done.toLocaleString('en')}/${total.toLocaleString('en')} entries (${pct}%)${done >= total ? '\n' : ''}`,
    );
  };
}

export async function verify(
  options: { dataDir: string; allSignatures?: boolean },
  io: CliIO,
): Promise<CommandResult> {
  const terminal = openTerminal({ dataDir: options.dataDir, env: io.env, create: false });
  try {
    let result: VerifyResult;
    try {
      result = await terminal.journal.verify({
        publicKey: terminal.key.publicKey,
        mac: terminal.key.mac,
        allSignatures: options.allSignatures,
        onProgress: progress(io, 'Verifying'),
        // A warning, not an error: the answer is the same, it only took longer.
        onSingleThread: (reason) =>
          io.stderr(`\nWalked the whole chain in one thread (slower): ${reason}.\n`),
      });
    } catch (err) {
      if (!(err instanceof JournalError) || err.code !== 'CORRUPT') throw err;
      result = { ok: false, firstBadSeq: 0, reason: err.message, entries: 0 };
    }
    if (result.ok) {
      return {
        json: { ok: true, entries: result.entries, head: result.head },
        text: `Journal intact: ${result.entries} entries, head ${result.head}.`,
      };
    }
    return {
      json: { ok: false, firstBadSeq: result.firstBadSeq, reason: result.reason },
      text: `JOURNAL NOT INTACT at entry ${result.firstBadSeq}: ${result.reason}.\nKeep the file as it is and contact support; do not take payments on this terminal until it is checked.`,
      exitCode: EXIT_REFUSED,
    };
  } finally {
    terminal.close();
  }
}

export async function exportJournal(
  options: { dataDir: string; format?: string; out?: string },
  io: CliIO,
): Promise<CommandResult> {
  const format = (options.format ?? 'jsonl') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) {
    throw new UsageError(`Unknown --format "${options.format}": use ${EXPORT_FORMATS.join(' or ')}.`);
  }
  const terminal = openTerminal({ dataDir: options.dataDir, env: io.env, create: false });
  try {
    let count = 0;
    const counted = (function* () {
      for (const e of terminal.journal.entries()) {
        count += 1;
        yield e;
      }
    })();
    if (options.out) {
      // Written beside the target and renamed, so a crash never leaves half an export under its name.
      const out = path.resolve(options.out);
      const tmp = `${out}.${process.pid}.tmp`;
      const fd = fs.openSync(tmp, 'w', 0o600);
      try {
        let buffer = '';
        for (const chunk of exportEntries(counted, format)) {
          buffer += chunk;
          if (buffer.length >= 1 << 16) {
            fs.writeSync(fd, buffer);
            buffer = '';
          }
        }
        fs.writeSync(fd, buffer);
        fs.fsyncSync(fd);
      } catch (err) {
        fs.closeSync(fd);
        fs.rmSync(tmp, { force: true });
        throw err;
      }
      fs.closeSync(fd);
      fs.renameSync(tmp, out);
      return {
        json: { file: out, format, entries: count },
        text: `Exported ${count} entries to ${out} (${format}); payment codes are masked.`,
      };
    }
    for (const chunk of exportEntries(counted, format)) {
      if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    }
    return { json: undefined, text: '' };
  } finally {
    terminal.close();
  }
}
