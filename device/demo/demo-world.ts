/**
 * The world `suanpan demo` runs a terminal in, all on this machine and all real code: the reference
 * core on its embedded database (PGlite) in the data folder, a merchant and a demo wallet there, a
 * simulated receipt printer on a TCP port (drawing each receipt to a PNG) and a simulated serial
 * scanner on a PTY pair, and the terminal's settings pointing at them, activated at the core.
 *
 * The simulators live in test-hardware/ and are imported only here, when a demo starts, so the
 * terminal itself never loads them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseAmount } from '../../sync/protocol/money.ts';
import { activate } from '../activation.ts';
import { CORE_DIR, type ServingCore, serveCore } from '../core-host.ts';
import { readJsonFile, writeJsonFileAtomically } from '../json-file.ts';

const DEMO_FILE = 'demo.json';
/** The wallet a newcomer pays from: enough for a morning of breakfasts. */
const DEMO_WALLET_BALANCE = '500.00';
/** PINs for the demo's void/refund and technician screens (shown on the demo page). */
export const DEMO_SUPERVISOR_PIN = '1234';
export const DEMO_TECHNICIAN_PIN = '9999';

interface DemoRecord {
  merchantId: string;
  walletId: string;
  corePort: number;
}

export interface DemoWorld {
  coreUrl: string;
  walletId: string;
  receiptsDir: string;
  /** Whether the core is serving (the demo page can stop it to show the offline path). */
  coreRunning(): boolean;
  stopCore(): Promise<void>;
  startCore(): Promise<void>;
  /** A fresh single-use payment code of the demo wallet, and its balance now. */
  walletCode(): Promise<{ code: string; expiresAt: string }>;
  walletBalance(): Promise<{ minor: number; currency: string }>;
  /**
   * Types a code into the simulated scanner, as if the customer held up their phone. Without socat
   * there is no simulated scanner: the code goes to what `presentWith` named (the host's scan desk).
   */
  present(code: string): Promise<void>;
  /** False when socat is missing: no serial scanner is simulated (see `present`). */
  readonly simulatedScanner: boolean;
  presentWith(deliver: (code: string) => void): void;
  /**
   * The demo wallet pays the merchant's QR order `paymentId`, as if the customer scanned the QR the
   * kiosk shows (the core stands in for the wallet provider). Throws the core's CoreError: 409
   * ORDER_NOT_PENDING (paid or cancelled already), ORDER_EXPIRED, PAYMENT_REFUSED (balance,
   * currency: the order still waits), 404 NOT_FOUND; DemoCoreStopped while the core is stopped.
   */
  payOrder(paymentId: string): Promise<{ amount: { minor: number; currency: string } }>;
  close(): Promise<void>;
}

/** The demo page asked the core for something while it is stopped. */
export class DemoCoreStopped extends Error {
  constructor(what: string) {
    super(`The demo core is stopped: start it to ${what}.`);
    this.name = 'DemoCoreStopped';
  }
}

export async function startDemoWorld(options: { dataDir: string; log: Logger }): Promise<DemoWorld> {
  const { dataDir, log } = options;
  const { runPrinterSimulator } = await import('../../test-hardware/printer-sim/run.ts');
  const { startScannerSimulator } = await import('../../test-hardware/scanner-sim/serial-scanner.ts');

  const receiptsDir = path.join(dataDir, 'receipts');
  fs.mkdirSync(receiptsDir, { recursive: true });
  const record = readJsonFile(path.join(dataDir, DEMO_FILE)) as DemoRecord | undefined;
  const location = { dataDir: path.join(dataDir, CORE_DIR) };
  let core: ServingCore | null = await serveCore({
    location,
    host: '127.0.0.1',
    port: record?.corePort ?? 0,
    log: log.child({ module: 'core' }),
  });
  const corePort = Number(new URL(core.url).port);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const printer = await runPrinterSimulator({
      tcp: '127.0.0.1:0',
      pngDir: receiptsDir,
      log: log.child({ module: 'printer-sim' }),
    });
    cleanups.push(() => printer.stop());
    // The serial scanner is simulated on a PTY pair made by socat. Without socat the demo runs on:
    // the wallet page hands its code to the kiosk directly instead (presentWith).
    const scanner = await startScannerSimulator({ log: log.child({ module: 'scanner-sim' }) }).catch(
      (err: unknown) => {
        if ((err as { code?: string }).code !== 'TOOL_MISSING') throw err;
        log.warn({ err: (err as Error).message }, 'no simulated serial scanner');
        return null;
      },
    );
    if (scanner) cleanups.push(() => scanner.stop());
    let deliver: ((code: string) => void) | null = null;

    let demo = record;
    if (!demo) {
      const { merchantId } = await core.service.createMerchant('张记小吃店 Zhang’s Noodles');
      const { walletId } = await core.service.createWallet(parseAmount(DEMO_WALLET_BALANCE, 'CNY'));
      const { code } = await core.service.createActivationCode(merchantId);
      demo = { merchantId, walletId, corePort };
      // Settings first (activation adds core.url to them), then activation at the core.
      writeDemoSettings(dataDir, {
        printer: `tcp://127.0.0.1:${printer.address.port}`,
        scanner: scanner?.driverEnd ?? null,
      });
      await activate({ dataDir, coreUrl: core.url, code, env: {} });
      writeJsonFileAtomically(path.join(dataDir, DEMO_FILE), demo);
    } else {
      // Simulators get new addresses on every start.
      writeDemoSettings(dataDir, {
        printer: `tcp://127.0.0.1:${printer.address.port}`,
        scanner: scanner?.driverEnd ?? null,
      });
    }
    const walletId = demo.walletId;
    const coreUrl = core.url;
    return {
      coreUrl,
      walletId,
      receiptsDir,
      coreRunning: () => core !== null,
      stopCore: async () => {
        const running = core;
        core = null;
        await running?.close();
      },
      startCore: async () => {
        if (core) return;
        core = await serveCore({
          location,
          host: '127.0.0.1',
          port: corePort,
          log: log.child({ module: 'core' }),
        });
      },
      walletCode: async () => {
        if (!core) throw new Error('The demo core is stopped: start it to issue a wallet code.');
        const issued = await core.service.issueWalletCode(walletId);
        return { code: issued.code, expiresAt: issued.expiresAt };
      },
      walletBalance: async () => {
        if (!core) throw new Error('The demo core is stopped.');
        return (await core.service.wallet(walletId)).balance;
      },
      payOrder: async (paymentId) => {
        if (!core) throw new DemoCoreStopped('pay an order');
        const { amount } = await core.service.payOrder(walletId, paymentId);
        return { amount };
      },
      simulatedScanner: scanner !== null,
      presentWith: (to) => {
        deliver = to;
      },
      present: async (code) => {
        if (!scanner) {
          if (!deliver) throw new Error('The demo has no simulated scanner and nothing to hand codes to.');
          deliver(code);
          return;
        }
        // In one write: the simulator shares this process with the core, whose work could stall
        // byte-by-byte typing past the driver's inter-byte timeout and cut the code in two.
        await scanner.simulator.type(code, { suffix: 'cr', charDelayMs: 0 });
      },
      close: async () => {
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
        const running = core;
        core = null;
        await running?.close();
      },
    };
  } catch (err) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await core?.close();
    throw err;
  }
}

function writeDemoSettings(dataDir: string, devices: { printer: string; scanner: string | null }): void {
  const file = path.join(dataDir, 'suanpan.json');
  const current = (readJsonFile(file) as Record<string, Record<string, unknown>> | undefined) ?? {};
  writeJsonFileAtomically(file, {
    ...current,
    printer: { ...current.printer, uri: devices.printer },
    scanner: {
      ...current.scanner,
      uris: devices.scanner ? [`serial:${devices.scanner}?suffix=cr`] : [],
      demoWalletCodes: true,
    },
    kiosk: { ...current.kiosk, supervisorPin: DEMO_SUPERVISOR_PIN, technicianPin: DEMO_TECHNICIAN_PIN },
  });
}
