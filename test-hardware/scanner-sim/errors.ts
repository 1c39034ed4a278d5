/**
 * The one error type of the scanner simulators, with a code for each way they can fail. Callers
 * branch on `code`; the message is for the person running the test or `suanpan sim scanner --pty`.
 * Failures of the simulated device itself (an unplug seen by a driver) are not these: a driver meets
 * them as its own TransportError.
 */
export type ScannerSimErrorCode =
  /** A code a generator cannot express: a character outside the US layout, an AIM identifier that is not 3 ASCII characters. */
  | 'BAD_INPUT'
  /** An option value out of range (a negative delay, an unknown suffix, a report ID over 255). */
  | 'BAD_OPTION'
  /** A program the simulator needs is not installed (socat); the message names the Debian package. */
  | 'TOOL_MISSING'
  /** socat ran but did not make the PTY pair. */
  | 'PTY_FAILED'
  /** The device end of the PTY pair could not be opened. */
  | 'SERIAL_OPEN_FAILED'
  /** `type()` before `open()`, after `close()` or after `unplugMidCode()`. */
  | 'NOT_OPEN'
  /** `open()` on a simulator that is open. */
  | 'ALREADY_OPEN'
  /** A `type()` already runs: a scanner sends one code at a time. */
  | 'BUSY'
  /** Writing to the device end failed, or it was closed while a code was being typed. */
  | 'WRITE_FAILED'
  /** `send()` on a fake HID device that was unplugged. */
  | 'UNPLUGGED';

export class ScannerSimError extends Error {
  constructor(
    readonly code: ScannerSimErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ScannerSimError';
  }
}
