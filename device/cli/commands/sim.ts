/**
 * `suanpan sim printer`: a simulated receipt printer, for trying the terminal without hardware.
 *
 * The simulator lives in test-hardware/ (it is the tests' independent check of the driver's bytes);
 * this is the one place device code reaches into it, imported only when the command runs, so the
 * terminal itself never loads it.
 */
import { SUFFIXES, type Suffix } from '../../../drivers/scanner/codec/serial-framer.ts';
import { createLogger } from '../../log.ts';
import { type CliIO, type CommandResult, UsageError } from '../output.ts';

export async function simPrinter(
  options: { tcp: string; pngDir?: string },
  io: CliIO,
): Promise<CommandResult> {
  const { runPrinterSimulator } = await import('../../../test-hardware/printer-sim/run.ts');
  const log = createLogger({ level: 'info' });
  const sim = await runPrinterSimulator({ tcp: options.tcp, pngDir: options.pngDir, log });
  const { host, port } = sim.address;
  const uri = `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  io.stdout(
    `Simulated receipt printer listening on ${uri}${options.pngDir ? `, receipts drawn to ${options.pngDir}` : ''}.\n` +
      `Try: suanpan print-test --printer ${uri}    Ctrl-C stops it.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const receipts = sim.simulator.receipts.length;
  await sim.stop();
  return {
    json: { stopped: true, receipts },
    text: `Printer simulator stopped after ${receipts} receipt(s).`,
  };
}

/**
 * `suanpan sim scanner --pty`: a simulated serial scanner on a PTY pair; each line typed on stdin
 * is sent as one scan with a scanner's timing. The driver end is printed for `scan-test`.
 */
export async function simScanner(
  options: { pty?: boolean; suffix?: string; charDelay?: string },
  io: CliIO,
): Promise<CommandResult> {
  if (!options.pty) throw new UsageError('Only a serial scanner on a PTY pair can be simulated: add --pty.');
  const charDelayMs = options.charDelay === undefined ? 1 : Number(options.charDelay);
  if (!(charDelayMs >= 0))
    throw new UsageError(
      `--char-delay is milliseconds between bytes, 0 or more (got "${options.charDelay}").`,
    );
  const suffix = options.suffix ?? 'cr';
  if (!SUFFIXES.includes(suffix as Suffix))
    throw new UsageError(`--suffix must be one of ${SUFFIXES.join(', ')} (got "${suffix}").`);
  const { runScannerSimulator } = await import('../../../test-hardware/scanner-sim/run.ts');
  // A missing socat or a PTY that won't open is reported by main's handler (classifyCliError);
  // stdout then holds no PTY path, so a script reading it never takes a message for one.
  const sim = await runScannerSimulator({ suffix: suffix as Suffix, charDelayMs, input: process.stdin });
  io.stdout(
    `${sim.driverEnd}\n` +
      (io.interactive
        ? `Simulated serial scanner. Its address: ${sim.uri}\nTry in another terminal: suanpan scan-test --scanner '${sim.uri}'\nType a code and Enter to scan it; Ctrl-D or Ctrl-C stops.\n`
        : ''),
  );
  const interrupted = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  let typed = 0;
  const counted = sim.done.then((r) => {
    typed = r.typed;
  });
  await Promise.race([counted, interrupted]);
  // Give the driver a moment to read the last scan before the line goes away.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await sim.stop();
  return {
    json: { stopped: true, typed },
    text: io.interactive ? `Scanner simulator stopped after ${typed} scan(s).` : '',
  };
}
