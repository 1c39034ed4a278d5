/**
 * `suanpan sim printer`: a simulated receipt printer, for trying the terminal without hardware.
 *
 * The simulator lives in test-hardware/ (it is the tests' independent check of the driver's bytes);
 * this is the one place device code reaches into it, imported only when the command runs, so the
 * terminal itself never loads it.
 */
import { createLogger } from '../../log.ts';
import type { CliIO, CommandResult } from '../output.ts';

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
