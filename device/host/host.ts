/**
 * The terminal host: one terminal's data folder opened for the kiosk, with everything that runs
 * while the kiosk is up: the scanners (through the scan desk), background printing, the background
 * sync with the core (once activated), and the local API on 127.0.0.1 (server.ts). The same code
 * runs in Electron's main process and as `suanpan start`.
 *
 * `close()` undoes all of it: the API stops taking requests and closes its sockets, a checkout
 * waiting for its code is cancelled and one being taken is let finish (it may be committed already),
 * then the scanners, the sync loop and the spooler stop, every listener added here is removed, and
 * the journal is closed. Nothing keeps running after it resolves.
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { PrinterError } from '../../drivers/printer/errors.ts';
import { SyncEngine } from '../../sync/client/sync-engine.ts';
import type { PaymentRecord } from '../../sync/journal/journal.ts';
import { offlineRoom } from '../checkout/offline-policy.ts';
import { flushReport, openPrinting, type Printing, whyNotPrinted } from '../printing/printing.ts';
import { ScanDesk } from '../scanning/scan-desk.ts';
import { maskedScanEvent, type ScanEvent } from '../scanning/scan-event.ts';
import { paymentSchemes } from '../scanning/schemes.ts';
import { openTerminal, type Terminal } from '../terminal.ts';
import { SOFTWARE_VERSION } from '../version.ts';
import type { CheckoutState, HostStatus } from './api-schema.ts';
import { CheckoutFlow, type ReceiptReport } from './checkout-flow.ts';
import { HostError } from './errors.ts';
import { EventHub } from './event-hub.ts';
import { assertLoopback, hostOrigin, LOOPBACK_HOST, newToken } from './security.ts';
import { buildHostServer, type ExtraRoutes } from './server.ts';

/** The built renderer, as `npm run build:web` leaves it in this checkout. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../ui-kiosk/web/dist', import.meta.url));

export interface HostOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Only 127.0.0.1 is accepted; anything else throws NOT_LOOPBACK. */
  host?: string;
  /** Default: setting kiosk.port (7420); 0 takes any free port. */
  port?: number;
  /** The built renderer; default {@link DEFAULT_WEB_ROOT}. */
  webRoot?: string;
  /** Default: the terminal's log file. */
  log?: Logger;
  /** A fixed token (tests); default a fresh random one per start. */
  token?: string;
  /** Routes served beside the API, e.g. the demo's pages (see server.ts, ExtraRoutes). */
  extraRoutes?: ExtraRoutes;
}

export interface RunningHost {
  /** `http://127.0.0.1:PORT` */
  url: string;
  token: string;
  /** The kiosk page with the token in the fragment: `url + '/#token=' + token`. */
  kioskUrl: string;
  terminal: Terminal;
  close(): Promise<void>;
}

/** Opens the terminal in `options.dataDir` and serves it to the kiosk; see the module comment. */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const host = new TerminalHost(options);
  await host.start();
  return host.running();
}

class TerminalHost {
  private readonly token: string;
  private terminal: Terminal | undefined;
  private log: Logger | undefined;
  private hub: EventHub | undefined;
  private printing: Printing | undefined;
  /** Why printing could not be opened (bad address, driver unavailable); receipts are not printed. */
  private printingProblem: string | undefined;
  /** Why the last receipt did not print; shown while jobs wait. */
  private lastPrintProblem: string | undefined;
  private desk: ScanDesk | undefined;
  private flow: CheckoutFlow | undefined;
  private engine: SyncEngine | undefined;
  private app: FastifyInstance | undefined;
  private url = '';
  private lastStatus = '';
  private readonly removers: (() => void)[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly options: HostOptions) {
    this.token = options.token ?? newToken();
  }

  running(): RunningHost {
    return {
      url: this.url,
      token: this.token,
      kioskUrl: `${this.url}/#token=${this.token}`,
      terminal: this.terminal as Terminal,
      close: () => this.close(),
    };
  }

  async start(): Promise<void> {
    const { options } = this;
    // Before anything is opened: a host that could be reached from the network must not exist.
    assertLoopback(options.host ?? LOOPBACK_HOST);
    try {
      await this.open();
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private async open(): Promise<void> {
    const { options } = this;
    const terminal = openTerminal({
      dataDir: options.dataDir,
      create: true,
      env: options.env ?? process.env,
      ...(options.log ? { logger: options.log } : {}),
    });
    this.terminal = terminal;
    const { settings } = terminal;
    const base = options.log ?? terminal.log;
    const log = base.child({ module: 'host' });
    this.log = log;
    const port = options.port ?? settings.kiosk.port;
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new HostError('BAD_PORT', `Invalid kiosk port ${port}: use 1–65535, or 0 for any free port.`);
    }
    const locale = settings.terminal.locale;
    const hub = new EventHub(log);
    this.hub = hub;

    if (settings.printer.uri) {
      try {
        this.printing = await openPrinting(terminal, { log: base });
        // Prints what an earlier run left queued, and retries while the printer is faulty.
        this.printing.spooler.start();
      } catch (err) {
        this.printingProblem =
          err instanceof PrinterError ? err.cashierMessage(locale) : (err as Error).message;
        log.warn({ err: (err as Error).message }, 'printing unavailable; receipts are not printed');
      }
    }

    let flow: CheckoutFlow | undefined;
    const desk = new ScanDesk({
      uris: settings.scanner.uris,
      schemes: paymentSchemes(settings),
      duplicateWindowMs: settings.scanner.duplicateWindowMs,
      // The flow exists by the time any scan arrives (the desk is started below).
      pay: (request) => (flow as CheckoutFlow).pay(request),
      log: base.child({ module: 'scanning' }),
    });
    this.desk = desk;
    flow = new CheckoutFlow({
      desk,
      checkout: terminal.checkout,
      printReceipt: (payment) => this.printReceipt(payment),
      locale,
      log,
    });
    this.flow = flow;
    const onScan = (scan: ScanEvent) => hub.broadcast({ type: 'scan', scan: maskedScanEvent(scan) });
    const onScannerStatus = () => this.publishStatus();
    const onCheckout = (checkout: CheckoutState) => hub.broadcast({ type: 'checkout', checkout });
    const onPayment = (payment: PaymentRecord) => {
      hub.broadcast({ type: 'payment', payment });
      this.engine?.nudge();
      this.publishStatus();
    };
    desk.on('scan', onScan).on('status', onScannerStatus);
    flow.on('checkout', onCheckout).on('payment', onPayment);
    this.removers.push(() => {
      desk.off('scan', onScan).off('status', onScannerStatus);
      flow.off('checkout', onCheckout).off('payment', onPayment);
    });
    await desk.start();

    if (terminal.coreClient) {
      const engine = new SyncEngine({
        journal: terminal.journal,
        client: terminal.coreClient,
        log: base.child({ module: 'sync' }),
        softwareVersion: SOFTWARE_VERSION,
        // As `suanpan sync`: a payment's own online call may still wait on its answer.
        inFlightMs: settings.core.timeoutMs + 5_000,
      });
      this.engine = engine;
      this.removers.push(engine.onStatus(() => this.publishStatus()));
      engine.start();
    }

    const app = await buildHostServer({
      token: this.token,
      webRoot: options.webRoot ?? DEFAULT_WEB_ROOT,
      log,
      ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
      services: {
        terminalId: terminal.key.terminalId,
        version: SOFTWARE_VERSION,
        locale,
        currency: settings.terminal.currency,
        status: () => this.status(),
        checkout: flow,
        feedScan: (data, source) =>
          desk.feed({
            bytes: Buffer.from(data, 'utf8'),
            symbology: 'unknown',
            source,
            receivedAt: performance.now(),
          }),
        payments: (limit) => terminal.journal.payments({ limit }),
        hub,
      },
    });
    this.app = app;
    try {
      await app.listen({ host: LOOPBACK_HOST, port });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new HostError(
          'PORT_IN_USE',
          `Port ${port} on ${LOOPBACK_HOST} is taken (another Suanpan host?). Stop that one, or choose another port with --port or the kiosk.port setting.`,
          { cause: err },
        );
      }
      throw err;
    }
    this.url = hostOrigin((app.server.address() as AddressInfo).port);
    log.info({ url: this.url, terminalId: terminal.key.terminalId }, 'kiosk API listening');
  }

  private async stop(): Promise<void> {
    const steps: [string, () => unknown][] = [
      ['closing event sockets', () => this.hub?.closeAll()],
      ['stopping the API', () => this.app?.close()],
      ['stopping the scanners', () => this.desk?.stop()],
      ['finishing the payment in progress', () => this.flow?.settled()],
      [
        'removing listeners',
        () => {
          for (const remove of this.removers.splice(0)) remove();
        },
      ],
      ['stopping sync', () => this.engine?.stop()],
      ['stopping printing', () => this.printing?.close()],
      ['closing the journal', () => this.terminal?.close()],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (err) {
        // Go on: whatever else was opened must still be closed.
        this.log?.error({ err: (err as Error).message }, `host stop: failed ${what}`);
      }
    }
  }

  private status(): HostStatus {
    const terminal = this.terminal as Terminal;
    const { settings, journal, limits, activation } = terminal;
    const stats = journal.offlineStats();
    const info = journal.syncInfo();
    const sync = this.engine?.status;
    const journalError = info.lastError ? { ...info.lastError, at: info.lastAttemptAt ?? '' } : null;
    return {
      terminal: {
        terminalId: terminal.key.terminalId,
        version: SOFTWARE_VERSION,
        locale: settings.terminal.locale,
        merchantName: settings.terminal.merchantName ?? activation?.merchantName ?? null,
        currency: settings.terminal.currency,
      },
      activation: {
        activated: activation !== undefined,
        coreUrl: terminal.coreClient?.baseUrl ?? activation?.coreUrl ?? null,
      },
      online: {
        configured: terminal.coreClient !== null,
        reachable: sync?.online ?? null,
        syncing: sync?.state === 'syncing',
        lastSyncAt: info.lastSyncAt,
        lastError: sync ? (sync.lastError ?? (sync.online === null ? journalError : null)) : journalError,
      },
      queue: {
        pending: stats.pending,
        totals: stats.totals,
        oldestCapturedAt: stats.oldestCapturedAt,
        limits: {
          perPayment: limits.perPayment,
          totalStored: limits.totalStored,
          maxStoredCount: limits.maxStoredCount,
          maxHoursSinceSync: limits.maxHoursSinceSync,
        },
        remaining: offlineRoom(limits, stats, new Date()),
      },
      devices: {
        printer: this.printerStatus(),
        scanners: this.desk?.statuses() ?? [],
      },
    };
  }

  private printerStatus(): HostStatus['devices']['printer'] {
    const uri = this.terminal?.settings.printer.uri ?? null;
    if (!uri) return { uri: null, state: 'none', waiting: 0 };
    const waiting = this.printing?.queue.pending().length ?? 0;
    const problem = this.printingProblem ?? (waiting > 0 ? this.lastPrintProblem : undefined);
    return problem ? { uri, state: 'problem', problem, waiting } : { uri, state: 'ready', waiting };
  }

  /** Sends `status` to the sockets when it differs from the last one sent. */
  private publishStatus(): void {
    const hub = this.hub;
    if (!hub || hub.size === 0 || this.closing) return;
    try {
      const status = this.status();
      const text = JSON.stringify(status);
      if (text === this.lastStatus) return;
      this.lastStatus = text;
      hub.broadcast({ type: 'status', status });
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'status not published');
    }
  }

  /**
   * Queues the payment's receipt and prints it now, as `suanpan pay` does, but on the host's own
   * printer and spooler: a receipt that can't print waits in the queue and the spooler retries.
   */
  private async printReceipt(payment: PaymentRecord): Promise<ReceiptReport | undefined> {
    const settings = (this.terminal as Terminal).settings;
    if (!settings.printer.receipts || !settings.printer.uri) return undefined;
    const locale = settings.terminal.locale;
    const printing = this.printing;
    if (!printing) return { printed: false, problem: this.printingProblem ?? 'printing is not open' };
    try {
      const job = printing.queueReceipt(payment);
      let report = flushReport(await printing.spooler.flush(), locale);
      const isPrinted = () =>
        report.printed.includes(job.id) || printing.queue.get(job.id)?.state === 'printed';
      if (!isPrinted() && !report.error && !report.busy && !report.problems) {
        // That flush was one already under way, started before this job was queued.
        report = flushReport(await printing.spooler.flush(), locale);
      }
      const printed = isPrinted();
      const why = printed ? undefined : whyNotPrinted(report, job.id, locale);
      this.lastPrintProblem = report.error?.message;
      // Keep trying in the background until the paper is back or the printer plugged in.
      if (!printed) printing.spooler.kick();
      return { printed, ...(why ? { problem: why.message } : {}) };
    } catch (err) {
      this.log?.warn({ paymentId: payment.paymentId, err: (err as Error).message }, 'receipt not printed');
      const problem = err instanceof PrinterError ? err.cashierMessage(locale) : (err as Error).message;
      return { printed: false, problem };
    } finally {
      this.publishStatus();
    }
  }
}
