/**
 * Entry point of `suanpan sim printer --tcp 127.0.0.1:9100 [--png-dir DIR]`: a simulated receipt
 * printer on a TCP port, logging what it prints, for trying the printer driver without a printer.
 */
import type { Logger } from 'pino';
import { PrinterSimError } from './errors.ts';
import { PrinterSimulator, type TcpAddress } from './simulator.ts';

export interface RunPrinterSimulatorOptions {
  /** Where to listen, `host:port` (`[::1]:9100` for IPv6); port 0 picks a free port. */
  tcp: string;
  /** Render each receipt to `<pngDir>/receipt-<n>.png`. */
  pngDir?: string;
  /** Print width of the PNGs; default 576 (80 mm). */
  paperWidthDots?: 384 | 576;
  log: Logger;
}

export interface RunningPrinterSimulator {
  /** The address bound (the actual port when 0 was asked for). */
  address: TcpAddress;
  /** For a caller that wants to change the printer's state or read receipts. */
  simulator: PrinterSimulator;
  stop(): Promise<void>;
}

/** Starts a printer simulator listening on `options.tcp`. Throws BAD_ADDRESS, FONT_MISSING, LISTEN_FAILED. */
export async function runPrinterSimulator(
  options: RunPrinterSimulatorOptions,
): Promise<RunningPrinterSimulator> {
  const listen = parseTcpAddress(options.tcp);
  const simulator = new PrinterSimulator({
    log: options.log,
    pngDir: options.pngDir,
    paperWidthDots: options.paperWidthDots,
  });
  await simulator.start();
  try {
    const address = await simulator.listenTcp(listen);
    return { address, simulator, stop: () => simulator.stop() };
  } catch (err) {
    await simulator.stop();
    throw err;
  }
}

/** Parses `host:port` or `[v6-host]:port`. Throws BAD_ADDRESS naming the value and the accepted form. */
export function parseTcpAddress(value: string): TcpAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port > 65_535) {
    throw new PrinterSimError(
      'BAD_ADDRESS',
      `Invalid --tcp address "${value}": expected host:port, e.g. 127.0.0.1:9100 or [::1]:9100 (port 0..65535)`,
    );
  }
  return { host, port };
}
