/** `suanpan scanners` and `suanpan scan-test`. */
import { parseScannerUri } from '../../../drivers/scanner/address.ts';
import { discoverScanners } from '../../../drivers/scanner/discovery.ts';
import type { RawScan } from '../../../drivers/scanner/raw-scan.ts';
import { Scanner, type ScannerStatus } from '../../../drivers/scanner/scanner.ts';
import { loadSettings } from '../../config/load-settings.ts';
import { routeScan } from '../../scanning/route.ts';
import { maskedScanEvent, type ScanEvent } from '../../scanning/scan-event.ts';
import { paymentSchemes } from '../../scanning/schemes.ts';
import { type CliIO, type CommandResult, EXIT_REFUSED, jsonLine, UsageError } from '../output.ts';

export async function scanners(_options: { dataDir: string }, _io: CliIO): Promise<CommandResult> {
  const found = await discoverScanners();
  const lines: string[] = [];
  for (const [name, d] of Object.entries(found.drivers)) {
    if (!d.available) lines.push(`${name} driver unavailable: ${d.reason}`);
  }
  if (found.candidates.length === 0)
    lines.push('No scanner found. Plug one in, or try: suanpan sim scanner --pty');
  for (const c of found.candidates) {
    lines.push(
      `${c.uri}  ${c.name}${c.confidence === 'maybe' ? ' (maybe a scanner)' : ''}${c.note ? `\n    ${c.note}` : ''}`,
    );
  }
  return {
    json: found,
    text: lines.join('\n'),
    exitCode: found.drivers.hid.available || found.drivers.serial.available ? 0 : EXIT_REFUSED,
  };
}

/** One line per scan for people: what it is, masked where it is a secret. */
export function describeScan(event: ScanEvent): string {
  const shown = maskedScanEvent(event);
  const what =
    shown.kind === 'payment_code'
      ? `payment code (${shown.scheme}) ${shown.data}`
      : shown.kind === 'wifi'
        ? `Wi-Fi "${shown.wifi.ssid}" (${shown.wifi.security}${shown.wifi.hidden ? ', hidden' : ''})`
        : shown.kind === 'activation'
          ? `activation card for ${shown.activation.coreUrl}, code ${shown.activation.code}`
          : shown.kind === 'product'
            ? `product ${shown.product.format.toUpperCase()} ${shown.product.gtin}`
            : `unknown: ${shown.reason}`;
  return `${what}  [${event.symbology}]`;
}

export async function scanTest(
  options: { dataDir: string; scanner: string; count?: string; timeout?: string; json?: boolean },
  io: CliIO,
): Promise<CommandResult> {
  const address = parseScannerUri(options.scanner);
  const count = options.count === undefined ? Number.POSITIVE_INFINITY : Number(options.count);
  if (!(Number.isInteger(count) && count > 0) && count !== Number.POSITIVE_INFINITY)
    throw new UsageError(`--count must be a whole number of scans, 1 or more (got "${options.count}").`);
  const timeoutS = options.timeout === undefined ? undefined : Number(options.timeout);
  if (timeoutS !== undefined && !(timeoutS > 0))
    throw new UsageError(`--timeout is in seconds and must be more than 0 (got "${options.timeout}").`);
  const { settings } = loadSettings(options.dataDir, io.env);
  const schemes = paymentSchemes(settings);

  const scanner = new Scanner({ address, duplicateWindowMs: settings.scanner.duplicateWindowMs });
  let seen = 0;
  // Progress goes to stderr in both modes: stdout holds only the scans.
  const note = (text: string) => io.stderr(`${text}\n`);
  const finished = new Promise<'count' | 'timeout' | 'interrupted' | 'unavailable'>((resolve) => {
    scanner.on('scan', (raw: RawScan) => {
      const event = routeScan(raw, { schemes });
      seen++;
      if (options.json) io.stdout(jsonLine(maskedScanEvent(event)));
      else io.stdout(`${describeScan(event)}\n`);
      if (seen >= count) resolve('count');
    });
    scanner.on('status', (s: ScannerStatus) => {
      if (s.state === 'ready')
        note(`Ready: scan a code with ${scanner.uri}${s.device ? ` (${s.device.path})` : ''}. Ctrl-C stops.`);
      else if (s.state === 'reconnecting') note(`Waiting for ${scanner.uri}: ${s.reason}`);
      else if (s.state === 'unavailable') resolve('unavailable');
    });
    if (timeoutS !== undefined) setTimeout(() => resolve('timeout'), timeoutS * 1000);
    process.once('SIGINT', () => resolve('interrupted'));
    process.once('SIGTERM', () => resolve('interrupted'));
  });
  await scanner.start();
  const why = await finished;
  const status = scanner.status();
  await scanner.stop();
  if (why === 'unavailable') {
    return {
      json: { ok: false, error: { code: 'UNAVAILABLE', message: status.reason, package: status.package } },
      text: `Scanner driver unavailable: ${status.reason}`,
      exitCode: EXIT_REFUSED,
    };
  }
  const summary = {
    ok: why !== 'timeout' || seen > 0,
    scans: seen,
    suppressed: status.suppressed,
    stopped: why,
  };
  return {
    // With --json each scan is already a line; the summary would be one more object in the stream.
    // Nothing scanned is a failure, said as every failure is with --json: one error line.
    json: summary.ok
      ? undefined
      : {
          ok: false,
          error: {
            code: 'NO_SCAN',
            message: `No code was scanned within ${timeoutS} s: check the scanner's cable and its settings (suffix, interface), then try again.`,
          },
        },
    text: options.json
      ? ''
      : `${seen} scan(s)${status.suppressed ? `, ${status.suppressed} repeat(s) suppressed` : ''}${why === 'timeout' ? ', stopped at the timeout' : ''}.`,
    exitCode: summary.ok ? 0 : EXIT_REFUSED,
  };
}
