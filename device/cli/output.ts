/**
 * How every command reports: a result with a JSON form (for --json) and a text form (for people),
 * and one mapping from errors to exit codes: 0 success, 1 refused or failed, 2 bad usage or input.
 */
import { CommanderError } from 'commander';
import { PrinterError } from '../../drivers/printer/errors.ts';
import { AddressError } from '../../drivers/transport/uri.ts';
import {
  CoreConnectionLostError,
  CoreProtocolError,
  CoreRejectedError,
  CoreTimeoutError,
  CoreUnreachableError,
} from '../../sync/client/errors.ts';
import { SyncError } from '../../sync/client/sync-engine.ts';
import { CoreDbError } from '../../sync/core/db.ts';
import { CoreError } from '../../sync/core/errors.ts';
import { JournalError } from '../../sync/journal/errors.ts';
import { AmountError } from '../../sync/protocol/money.ts';
import { ActivationError } from '../activation-record.ts';
import { AnswerNotRecordedError } from '../checkout/errors.ts';
import { PaymentCodeError } from '../checkout/payment-code.ts';
import { SettingsError } from '../config/load-settings.ts';
import { CoreHostError } from '../core-host.ts';
import { IdentityError } from '../identity/terminal-key.ts';
import { NoPrinterError } from '../printing/printing.ts';

export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

export interface CommandResult {
  json: unknown;
  text: string;
  exitCode?: number;
}

/** The CLI speaks English, as its help and every other message do (a printer's error too, which
 * the kiosk tells the cashier in the terminal's language); receipts keep the terminal's language. */
export const CLI_LOCALE = 'en';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (progress lines are drawn only then). */
  interactive: boolean;
}

/** Bad usage or input that a command found itself (after commander's own checks). */
export class UsageError extends Error {
  readonly code = 'BAD_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ClassifiedError {
  exitCode: number;
  code: string;
  message: string;
  /** The Debian package that provides a missing tool, when that is what failed. */
  package?: string;
  /** An error of this program's own that nothing expected (a bug): its stack is printed too. */
  unexpected?: boolean;
}

export function classifyCliError(err: unknown): ClassifiedError {
  if (err instanceof UsageError || err instanceof AmountError || err instanceof PaymentCodeError) {
    return { exitCode: EXIT_USAGE, code: err.code, message: err.message };
  }
  if (err instanceof SettingsError) return { exitCode: EXIT_USAGE, code: err.code, message: err.message };
  if (err instanceof AddressError || err instanceof NoPrinterError) {
    return { exitCode: EXIT_USAGE, code: err.code, message: err.message };
  }
  if (err instanceof PrinterError) return { exitCode: EXIT_REFUSED, code: err.code, message: err.message };
  if (err instanceof AnswerNotRecordedError)
    return { exitCode: EXIT_REFUSED, code: err.code, message: err.message };
  if (err instanceof CommanderError) return { exitCode: EXIT_USAGE, code: 'BAD_USAGE', message: err.message };
  if (err instanceof ActivationError) {
    return {
      exitCode: err.code === 'ACTIVATION_DAMAGED' ? EXIT_REFUSED : EXIT_USAGE,
      code: err.code,
      message: err.message,
    };
  }
  if (
    err instanceof JournalError ||
    err instanceof IdentityError ||
    err instanceof SyncError ||
    err instanceof CoreRejectedError ||
    err instanceof CoreUnreachableError ||
    err instanceof CoreTimeoutError ||
    err instanceof CoreConnectionLostError ||
    err instanceof CoreProtocolError ||
    err instanceof CoreHostError ||
    err instanceof CoreError
  ) {
    // The core's own failure (its 500, INTERNAL on the wire) is not a fault of this command.
    if (err.code === 'INTERNAL' && !(err instanceof CoreError)) {
      return {
        exitCode: EXIT_REFUSED,
        code: 'CORE_FAILED',
        message: `The payment core failed to handle the request (it said: ${err.message.replace(/\.$/, '')}). Try again in a while; if it goes on, the core's operator should look at the core's log.`,
      };
    }
    return { exitCode: EXIT_REFUSED, code: err.code, message: err.message };
  }
  // The printer simulator's errors (test-hardware/, not imported here: see commands/sim.ts).
  if (err instanceof Error && err.name === 'PrinterSimError') {
    const code = (err as Error & { code: string }).code;
    return { exitCode: code === 'BAD_ADDRESS' ? EXIT_USAGE : EXIT_REFUSED, code, message: err.message };
  }
  // The scanner simulator's errors (test-hardware/, not imported here either), met by `sim scanner`
  // and by `demo`, which starts one: a missing socat is the machine's to fix, named by its package.
  // Its other codes (NOT_OPEN, BUSY, ...) are misuse of the simulator, so bugs: left to INTERNAL.
  if (err instanceof Error && err.name === 'ScannerSimError') {
    const code = (err as Error & { code: string }).code;
    if (code === 'BAD_OPTION' || code === 'BAD_INPUT')
      return { exitCode: EXIT_USAGE, code, message: err.message };
    if (code === 'TOOL_MISSING')
      return { exitCode: EXIT_REFUSED, code, message: err.message, package: 'socat' };
    if (code === 'PTY_FAILED' || code === 'SERIAL_OPEN_FAILED')
      return { exitCode: EXIT_REFUSED, code, message: err.message };
  }
  if (err instanceof CoreDbError)
    return { exitCode: EXIT_REFUSED, code: 'CORE_DATABASE', message: err.message };
  const e = err as Error;
  return {
    unexpected: true,
    exitCode: EXIT_REFUSED,
    code: 'INTERNAL',
    message: `Unexpected error: ${e?.message ?? String(err)}. Please report it, with the details it printed on standard error.`,
  };
}

/** Writes a JSON value as one line. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** For commands that only read: tells stderr (apart from the answer on stdout) that a copy of the
 * journal was read, since its data folder can't be written (see openTerminal's readCopy). */
export function noteReadCopy(io: CliIO): (notice: string) => void {
  return (notice) => io.stderr(`${notice}\n`);
}
