/**
 * Logging: pino, one child per module (`log.child({ module: 'checkout' })`). Payment codes and keys
 * are removed by the logger's redaction here, not at each call site: a field named `paymentCode`,
 * `privateKey`, `authorization`, ... at any of the first three levels never reaches a log. A field
 * named `code` is kept only when it is an error code (`CORE_UNREACHABLE`, `SQLITE_BUSY`): the
 * technician needs those, and no payment code looks like one (they are digits).
 */
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

const SECRET_FIELDS = ['code', 'paymentCode', 'privateKey', 'authorization', 'activationCode', 'password'];

export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

const CENSOR = '[redacted]';
const ERROR_CODE = /^[A-Z][A-Z0-9_]*$/;

/** What a redacted field becomes: an error code in a `code` field is kept, anything else censored. */
function censor(value: unknown, path: string[]): unknown {
  return path.at(-1) === 'code' && typeof value === 'string' && ERROR_CODE.test(value) ? value : CENSOR;
}

export const LOG_FILE = path.join('logs', 'suanpan.log');

export interface LoggerOptions {
  level: string;
  /** Write JSON lines to this file (created with its folder); else to `stream`. */
  file?: string;
  stream?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.file) {
    try {
      fs.mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
      // Synchronous: a CLI process exits right after its work, and a log line about a payment must
      // not be lost with it. Volume is a few lines per payment.
      const destination = pino.destination({ dest: options.file, sync: true, mkdir: true });
      // A full disk makes a write fail after the terminal has started: drop that line rather than
      // throw from a log call (which could follow a committed payment) or crash the process.
      let reported = false;
      destination.on('error', (err: Error) => {
        if (reported) return;
        reported = true;
        process.stderr.write(`suanpan: cannot write the log file ${options.file}: ${err.message}\n`);
      });
      return pino(pinoOptions, destination);
    } catch (err) {
      // A log that can't be written (read-only or full disk) must not stop the terminal: warnings
      // and errors go to stderr instead, and the first one says why.
      const fallback = pino({ ...pinoOptions, level: 'warn' }, pino.destination({ dest: 2, sync: true }));
      fallback.warn(
        { file: options.file, err: (err as Error).message },
        'cannot write the log file; logging to stderr',
      );
      return fallback;
    }
  }
  return pino(pinoOptions, options.stream ?? pino.destination({ dest: 2, sync: true }));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
