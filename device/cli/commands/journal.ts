import { once } from 'node:events';
import fs from 'node:fs';
import { JournalError } from '../../../sync/journal/errors.ts';
import { EXPORT_FORMATS, type ExportFormat, exportEntries } from '../../../sync/journal/export.ts';
import type { VerifyResult } from '../../../sync/journal/verify.ts';
import { openTerminal } from '../../terminal.ts';
import { type CliIO, type CommandResult, EXIT_REFUSED, noteReadCopy, UsageError } from '../output.ts';
import { outputTarget, removeStaleTemps } from '../output-file.ts';

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
  let terminal: ReturnType<typeof openTerminal>;
  try {
    terminal = openTerminal({
      dataDir: options.dataDir,
      env: io.env,
      create: false,
      readCopy: noteReadCopy(io),
    });
  } catch (err) {
    // A journal that can't even be opened is not intact either: the same answer, at entry 0.
    if (!(err instanceof JournalError) || (err.code !== 'CORRUPT' && err.code !== 'MISSING')) throw err;
    return notIntact({ ok: false, firstBadSeq: 0, reason: err.message, entries: 0 });
  }
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
    return notIntact(result);
  } finally {
    terminal.close();
  }
}

/** `firstBadSeq` 0: the file itself, before any entry (damaged, emptied or gone). */
function notIntact(result: Extract<VerifyResult, { ok: false }>): CommandResult {
  return {
    json: { ok: false, firstBadSeq: result.firstBadSeq, reason: result.reason },
    text: `JOURNAL NOT INTACT at entry ${result.firstBadSeq}: ${result.reason.replace(/\.$/, '')}.\nKeep the file as it is and contact support; do not take payments on this terminal until it is checked.`,
    exitCode: EXIT_REFUSED,
  };
}

export async function exportJournal(
  options: { dataDir: string; format?: string; out?: string },
  io: CliIO,
): Promise<CommandResult> {
  const format = (options.format ?? 'jsonl') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) {
    throw new UsageError(`Unknown --format "${options.format}": use ${EXPORT_FORMATS.join(' or ')}.`);
  }
  const out =
    options.out === undefined
      ? undefined
      : outputTarget(options.out, options.dataDir, {
          option: '--out',
          what: 'the export',
          example: `journal.${format}`,
        });
  const terminal = openTerminal({
    dataDir: options.dataDir,
    env: io.env,
    create: false,
    readCopy: noteReadCopy(io),
  });
  try {
    let count = 0;
    const counted = (function* () {
      for (const e of terminal.journal.entries()) {
        count += 1;
        yield e;
      }
    })();
    if (out) {
      // Written beside the target and renamed, so a crash never leaves half an export under its name
      // (and what a killed export left beside it is removed).
      removeStaleTemps(out);
      const tmp = `${out}.${process.pid}.tmp`;
      let fd: number;
      try {
        fd = fs.openSync(tmp, 'w', 0o600);
      } catch (err) {
        throw new UsageError(`Cannot write the export beside ${out}: ${(err as Error).message}.`);
      }
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
      try {
        fs.renameSync(tmp, out);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw new UsageError(`Cannot write the export to ${out}: ${(err as Error).message}.`);
      }
      return {
        json: { file: out, format, entries: count },
        text: `Exported ${count} entries to ${out} (${format}); payment codes are masked.`,
      };
    }
    await writeChunks(process.stdout, exportEntries(counted, format));
    return { json: undefined, text: '' };
  } finally {
    terminal.close();
  }
}

/**
 * Writes the export to standard output, waiting when the pipe is full. A reader that stops early
 * (`suanpan journal export | head`) closes the pipe: the export stops there, quietly, as a Unix
 * tool's would, rather than crash on EPIPE.
 */
async function writeChunks(out: NodeJS.WriteStream, chunks: Iterable<string>): Promise<void> {
  let closed: Error | null = null;
  const onError = (err: Error) => {
    closed = err;
  };
  out.on('error', onError);
  try {
    for (const chunk of chunks) {
      if (closed) break;
      // `once` rejects on an 'error' event: that is the EPIPE, recorded by onError.
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), once(out, 'close')]).catch(() => {});
    }
    // An error that arrives after the last write (the reader left just then) is the same case.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    out.off('error', onError);
  }
  const err = closed as (Error & { code?: string }) | null;
  if (err && err.code !== 'EPIPE') throw err;
}
