/**
 * Opens one terminal's data folder: settings, logger, key, journal, checkout. Used by every CLI
 * command and (later) by the terminal host; nothing here is global, everything is passed in.
 *
 *   <dataDir>/suanpan.json        settings (optional)
 *   <dataDir>/keys/terminal.key   Ed25519 private key, mode 0600
 *   <dataDir>/terminal.json       identity on record; says a journal exists
 *   <dataDir>/activation.json     merchant and core, once activated
 *   <dataDir>/core-clock.json     the core's clock as last seen (see core-clock.ts)
 *   <dataDir>/journal.sqlite      the payment journal (+ -wal, -shm; .checked, see Journal.open)
 *   <dataDir>/logs/suanpan.log    JSON log lines, payment codes redacted
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { CoreClient } from '../sync/client/core-client.ts';
import { JournalError } from '../sync/journal/errors.ts';
import { Journal } from '../sync/journal/journal.ts';
import { type ActivationRecord, readActivation } from './activation-record.ts';
import { Checkout } from './checkout/checkout.ts';
import type { PaymentCore } from './checkout/payment-core.ts';
import { type LoadedSettings, loadSettings } from './config/load-settings.ts';
import { type OfflineLimits, offlineLimits, type Settings } from './config/settings.ts';
import { type BootClock, CoreClock } from './core-clock.ts';
import { IdentityError, loadTerminalKey, type TerminalKey } from './identity/terminal-key.ts';
import { copyJournalForReading, type JournalCopy, removeStaleJournalCopies } from './journal-copy.ts';
import { readJsonFile, writeJsonFileAtomically } from './json-file.ts';
import { createLogger, LOG_FILE } from './log.ts';
import { paymentSchemes } from './scanning/schemes.ts';

export const JOURNAL_FILE = 'journal.sqlite';
export const TERMINAL_FILE = 'terminal.json';

export interface OpenTerminalOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Set the terminal up (key, journal) if this folder has none. Read-only commands pass false. */
  create: boolean;
  now?: () => Date;
  logger?: Logger;
  /**
   * The online path: by default the core this terminal was activated at (none before activation);
   * null forces the offline path; a PaymentCore replaces it (tests).
   */
  core?: PaymentCore | null;
  /** The terminal's own clock for signing requests (tests of clock skew). */
  localNow?: () => number;
  /** Boot id and time since boot, for the core's clock as last seen (tests; default /proc). */
  bootClock?: () => BootClock | null;
  /** Settings already loaded by the caller (to check input before opening anything). */
  loaded?: LoadedSettings;
  /**
   * For commands that only read: where the journal can't be opened because its data folder is on a
   * read-only or full disk, read a copy of it (see journal-copy.ts), and tell this why.
   */
  readCopy?: (notice: string) => void;
}

export interface Terminal {
  dataDir: string;
  loaded: LoadedSettings;
  settings: Settings;
  limits: OfflineLimits;
  key: TerminalKey;
  journal: Journal;
  checkout: Checkout;
  activation: ActivationRecord | undefined;
  /** The client of the core this terminal is activated at and configured for, else null. */
  coreClient: CoreClient | null;
  /** The core's clock as last seen: the offset each payment records at capture. */
  coreClock: CoreClock;
  log: Logger;
  close(): void;
}

interface TerminalRecord {
  terminalId: string;
  createdAt: string;
  journal: string;
}

/** Why the journal can't be opened in place that a read-only command reads a copy for. */
const READ_COPY_BECAUSE: Partial<Record<string, { reason: (dataDir: string) => string; until: string }>> = {
  READ_ONLY: {
    reason: (dataDir) => `The data folder ${dataDir} can't be written`,
    until: 'the folder can be written again',
  },
  DISK_FULL: { reason: (dataDir) => `The data disk of ${dataDir} is full`, until: 'space is freed' },
  UPGRADE_BLOCKED: {
    reason: (dataDir) =>
      `The journal in ${dataDir} is open in an older Suanpan, so this one can't upgrade it`,
    until: 'that one is stopped',
  },
};

export function openTerminal(options: OpenTerminalOptions): Terminal {
  const { dataDir } = options;
  // What a killed read-only command left: looked for by the next one, not by every start.
  if (options.readCopy) removeStaleJournalCopies();
  const loaded = options.loaded ?? loadSettings(dataDir, options.env ?? process.env);
  const settings = loaded.settings;
  if (!options.create && !fs.existsSync(path.join(dataDir, TERMINAL_FILE))) {
    throw new IdentityError(
      'KEY_MISSING',
      `No terminal is set up in ${dataDir}. Run \`suanpan init --data-dir ${dataDir}\` (or take a first payment), or point --data-dir at the terminal's data folder.`,
      path.join(dataDir, TERMINAL_FILE),
    );
  }
  const log =
    options.logger ?? createLogger({ level: settings.log.level, file: path.join(dataDir, LOG_FILE) });
  const recordFile = path.join(dataDir, TERMINAL_FILE);
  const record = readRecord(recordFile);
  // A terminal on record keeps its key: a new one would sign nothing its journal could prove. So
  // does a journal whose record was lost: it was signed with the key that is missing too.
  const journalFile = path.join(dataDir, record?.journal ?? JOURNAL_FILE);
  const journalKept = (fs.statSync(journalFile, { throwIfNoEntry: false })?.size ?? 0) > 0;
  const key = loadTerminalKey(dataDir, { create: options.create && !record && !journalKept });
  if (record && record.terminalId !== key.terminalId) {
    throw new IdentityError(
      'KEY_INVALID',
      `${recordFile} says this is terminal ${record.terminalId}, but keys/terminal.key is terminal ${key.terminalId}: the key was replaced. Put back the original key.`,
      recordFile,
    );
  }
  const journalOptions = {
    file: journalFile,
    terminalId: key.terminalId,
    signer: key,
    now: options.now,
    busyTimeoutMs: settings.journal.busyTimeoutMs,
    mustExist: record !== undefined,
  };
  let journal: Journal;
  let copy: JournalCopy | undefined;
  let notice: string | undefined;
  try {
    journal = Journal.open(journalOptions);
  } catch (err) {
    const why = err instanceof JournalError ? READ_COPY_BECAUSE[err.code] : undefined;
    if (!options.readCopy || !why || !journalKept) throw err;
    copy = copyJournalForReading(journalFile, err as JournalError);
    try {
      journal = Journal.open({ ...journalOptions, file: copy.file, copyOf: journalFile });
    } catch (copyErr) {
      copy.remove();
      if (!(copyErr instanceof JournalError)) throw copyErr;
      // What the copy shows (damage, most likely) is the journal's: named as the journal, not as
      // the copy that is gone now.
      throw new JournalError(copyErr.code, copyErr.message.split(copy.file).join(journalFile), journalFile, {
        cause: copyErr,
      });
    }
    notice = `${why.reason(dataDir)}: read from a copy of its journal, made at ${new Date().toISOString()}. Nothing can be recorded until ${why.until}.`;
  }
  try {
    if (notice) options.readCopy?.(notice);
    return withJournal(options, { dataDir, loaded, settings, log, key, journal, record, recordFile, copy });
  } catch (err) {
    journal.close();
    copy?.remove();
    throw err;
  }
}

/** The rest of a terminal, once its journal is open (which is closed again if this fails). */
function withJournal(
  options: OpenTerminalOptions,
  opened: {
    dataDir: string;
    loaded: LoadedSettings;
    settings: Settings;
    log: Logger;
    key: TerminalKey;
    journal: Journal;
    record: TerminalRecord | undefined;
    recordFile: string;
    copy: JournalCopy | undefined;
  },
): Terminal {
  const { dataDir, loaded, settings, log, key, journal, record, recordFile, copy } = opened;
  if (!record && !copy) {
    writeJsonFileAtomically(recordFile, {
      terminalId: key.terminalId,
      createdAt: journal.createdAt,
      journal: JOURNAL_FILE,
    });
    log.info({ terminalId: key.terminalId, dataDir }, 'terminal set up');
  }
  const limits = offlineLimits(settings);
  const activation = readActivation(dataDir);
  const coreClock = new CoreClock({
    dataDir,
    log,
    mac: key.mac,
    localNow: options.localNow ?? (options.now && (() => (options.now as () => Date)().getTime())),
    bootClock: options.bootClock,
  });
  const coreClient =
    activation && settings.core.url
      ? new CoreClient({
          baseUrl: settings.core.url,
          terminalId: key.terminalId,
          sign: key.sign,
          // Not core.timeoutMs: that is the cashier's wait for an online payment (checkout passes it
          // with each call); a sync's batch on a slow link needs the client's own, longer default.
          localNow: options.localNow,
          // Signed right from the first request by a skewed clock, rather than refused as stale once.
          clockOffsetMs: coreClock.offsetNow(),
          onClockOffset: (offsetMs, localMs) => coreClock.learned(offsetMs, localMs),
        })
      : null;
  const checkout = new Checkout({
    journal,
    limits,
    digestCode: key.digestCode,
    core: options.core === undefined ? coreClient : options.core,
    coreTimeoutMs: settings.core.timeoutMs,
    schemes: paymentSchemes(settings),
    clockOffset: () => coreClock.offsetNow(),
    now: options.now,
    log: log.child({ module: 'checkout' }),
  });
  return {
    dataDir,
    loaded,
    settings,
    limits,
    key,
    journal,
    checkout,
    activation,
    coreClient,
    coreClock,
    log,
    close: () => {
      coreClient?.close();
      journal.close();
      copy?.remove();
    },
  };
}

function readRecord(file: string): TerminalRecord | undefined {
  let r: Partial<TerminalRecord> | undefined;
  try {
    r = readJsonFile(file) as Partial<TerminalRecord> | undefined;
  } catch {
    r = {};
  }
  if (r === undefined) return undefined;
  if (typeof r.terminalId === 'string' && typeof r.journal === 'string') return r as TerminalRecord;
  throw new IdentityError('KEY_INVALID', `${file} is damaged; restore it from the terminal's backup.`, file);
}
