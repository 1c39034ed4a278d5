/**
 * The one error type of the printer simulator, with a code for each way it can fail. Callers branch
 * on `code`; the message is for the person running the test or the `suanpan sim printer` command.
 */
export type PrinterSimErrorCode =
  /** The CJK font the renderer draws text with is not installed (Debian package `fonts-noto-cjk`). */
  | 'FONT_MISSING'
  /** `listenTcp`/`openSerial` before `start()`, or after `stop()`. */
  | 'NOT_STARTED'
  /** `start()` twice. */
  | 'ALREADY_STARTED'
  /** The TCP server could not listen on the requested address. */
  | 'LISTEN_FAILED'
  /** The serial port (a PTY end) could not be opened. */
  | 'SERIAL_OPEN_FAILED'
  /** `waitForReceipts` ran out of time. */
  | 'TIMEOUT'
  /** The simulator was stopped while a caller was waiting for receipts. */
  | 'STOPPED'
  /** A `host:port` string that is not one. */
  | 'BAD_ADDRESS'
  /** A state or option value out of range (e.g. a negative `paperOutAfterBytes`). */
  | 'BAD_OPTION';

export class PrinterSimError extends Error {
  constructor(
    readonly code: PrinterSimErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PrinterSimError';
  }
}
