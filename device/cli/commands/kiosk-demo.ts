/**
 * `suanpan demo` (what `npm start` runs): a whole terminal on this machine. The reference core on
 * its embedded database, a merchant, a demo wallet, a simulated printer and scanner, the terminal
 * activated at the core, and the host serving the kiosk and the demo wallet page. A newcomer opens
 * the kiosk, enters an amount, presents the wallet's code from the demo page, and sees the receipt
 * drawn as a picture; stopping the core from the demo page shows the offline path.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, LOG_FILE } from '../../log.ts';
import { type CliIO, type CommandResult, UsageError } from '../output.ts';

/** Kept between runs (the first start of the embedded database takes a few seconds). */
export function defaultDemoDir(): string {
  return path.join(os.tmpdir(), 'suanpan-demo');
}

export async function kioskDemo(
  options: { dataDir?: string; port?: string },
  io: CliIO,
): Promise<CommandResult> {
  const port = options.port === undefined ? 0 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`Invalid --port "${options.port}": use 1–65535, or 0 for any free port.`);
  const dataDir = options.dataDir ?? defaultDemoDir();
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = createLogger({ level: 'info', file: path.join(dataDir, LOG_FILE) });
  if (io.interactive) io.stderr(`Starting the demo in ${dataDir} (the first start takes a few seconds)…\n`);
  const { startDemoWorld } = await import('../../demo/demo-world.ts');
  const { hostShownQr, registerDemoRoutes } = await import('../../demo/demo-routes.ts');
  const { startHost } = await import('../../host/host.ts');
  const world = await startDemoWorld({ dataDir, log });
  let host: Awaited<ReturnType<typeof startHost>> | undefined;
  try {
    host = await startHost({
      dataDir,
      env: { ...io.env, SUANPAN_DATA_DIR: dataDir },
      port,
      log,
      // The wallet page offers to pay the QR the kiosk shows: read from the host once it runs.
      extraRoutes: (app, guards) =>
        registerDemoRoutes(app, world, { ...guards, currentQr: hostShownQr(() => host) }),
    });
  } catch (err) {
    await world.close();
    throw err;
  }
  const running = host;
  if (!world.simulatedScanner) world.presentWith((code) => running.feedScan(code, 'demo wallet'));
  const walletUrl = `${host.url}/demo/wallet#token=${host.token}`;
  io.stdout(
    [
      `Suanpan demo — terminal ${host.terminal.key.terminalId}, data folder ${dataDir}`,
      `Kiosk:        ${host.kioskUrl}`,
      `Demo wallet:  ${walletUrl}`,
      `Core:         ${world.coreUrl}   Receipts drawn to ${world.receiptsDir}`,
      'Open both pages; type an amount at the kiosk, then press "Present" on the wallet page,',
      'or press "Show QR code" at the kiosk and "Scan it and pay" on the wallet page. Ctrl-C stops the demo.',
      ...(world.simulatedScanner
        ? []
        : [
            'No simulated serial scanner (socat is not installed: apt-get install socat): "Present" hands the code to the kiosk directly.',
          ]),
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await host.close();
  await world.close();
  return { json: { stopped: true }, text: 'Demo stopped.' };
}
