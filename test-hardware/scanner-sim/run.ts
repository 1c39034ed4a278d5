/**
 * Entry point of `suanpan sim scanner --pty`: a simulated serial scanner on a fresh PTY pair that
 * types each line of its input (stdin for the command) as one scan, for trying the scanner driver
 * without a scanner. The command prints `uri` for `suanpan scan-test --scanner URI`.
 */
import readline from 'node:readline';
import type { Logger } from 'pino';
import { ScannerSimError } from './errors.ts';
import {
  SCAN_SUFFIXES,
  SCANNER_BAUD_RATE,
  type ScanSuffix,
  startScannerSimulator,
} from './serial-scanner.ts';

export interface RunScannerSimulatorOptions {
  /** Sent after each code; `cr` is what the driver URI says by default. */
  suffix: ScanSuffix;
  /** Pause between bytes (1 ≈ 9600 baud). */
  charDelayMs: number;
  /** Lines to type, one scan each (stdin for the command). Empty lines are skipped. */
  input: NodeJS.ReadableStream;
  /** Where the PTY links go; default a temporary folder removed by `stop()`. */
  dir?: string;
  log?: Logger;
}

export interface RunningScannerSimulatorCli {
  /** The PTY path the driver opens. */
  driverEnd: string;
  /** The scanner address for the driver: `serial:<driverEnd>?baud=9600&suffix=<suffix>`. */
  uri: string;
  /**
   * Resolves when the input has ended and every line is typed, or when `stop()` was called, with
   * the number of scans typed. Rejects with WRITE_FAILED when the PTY pair went away underneath.
   * The pair stays up after the input ends, so the driver can read the last scan; call `stop()`.
   */
  done: Promise<{ typed: number }>;
  /** Stops reading input, closes the simulator and the PTY pair. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the simulator. Throws BAD_OPTION (naming the value), and what `startScannerSimulator` throws. */
export async function runScannerSimulator(
  options: RunScannerSimulatorOptions,
): Promise<RunningScannerSimulatorCli> {
  if (!SCAN_SUFFIXES.includes(options.suffix)) {
    throw new ScannerSimError(
      'BAD_OPTION',
      `Invalid --suffix ${JSON.stringify(options.suffix)}: expected one of ${SCAN_SUFFIXES.join(', ')}`,
    );
  }
  if (!Number.isFinite(options.charDelayMs) || options.charDelayMs < 0) {
    throw new ScannerSimError(
      'BAD_OPTION',
      `Invalid character delay ${options.charDelayMs}: expected milliseconds ≥ 0, e.g. 1 (9600 baud)`,
    );
  }
  const log = options.log?.child({ module: 'scanner-sim' });
  const running = await startScannerSimulator({
    ...(options.dir !== undefined ? { dir: options.dir } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const lines = readline.createInterface({ input: options.input, crlfDelay: Number.POSITIVE_INFINITY });
  let stopped = false;
  let typed = 0;

  const done = (async () => {
    try {
      for await (const line of lines) {
        if (stopped) break;
        if (line === '') continue;
        await running.simulator.type(line, { suffix: options.suffix, charDelayMs: options.charDelayMs });
        typed += 1;
        log?.info({ code: line, typed }, 'scan typed');
      }
    } catch (err) {
      // A write cut short by stop() is the stop, not a failure.
      if (!stopped) throw err;
    } finally {
      lines.close();
    }
    return { typed };
  })();
  // The caller may only look at `done` after stop(); an unobserved rejection must not crash it.
  done.catch(() => {});

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      lines.close();
      await running.stop();
    })();
    return stopping;
  };

  return {
    driverEnd: running.driverEnd,
    uri: `serial:${running.driverEnd}?baud=${SCANNER_BAUD_RATE}&suffix=${options.suffix}`,
    done,
    stop,
  };
}
