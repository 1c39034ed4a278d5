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
 *
 * Activation from the technician screen changes what the terminal is: its settings (core.url), its
 * activation record, so its core client, its checkout's online path, its sync engine and the name
 * on its receipts. The host then restarts its terminal services in place: the checkout flow, the
 * sync engine and printing stop, the terminal (settings, journal, core client) is closed and opened
 * again from the data folder, and they start again on it, exactly as a fresh start would open them.
 * The API, its token and its event sockets, and the scanners stay up; API requests that arrive
 * meanwhile wait until the services are back (a few milliseconds).
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { PrinterError } from '../../drivers/printer/errors.ts';
import { renderDocumentPng } from '../../drivers/printer/preview.ts';
import { profile as profileById } from '../../drivers/printer/profiles.ts';
import { CoreRejectedError, isTransient } from '../../sync/client/errors.ts';
import { inFlightWindowMs } from '../../sync/client/in-doubt.ts';
import { SyncEngine } from '../../sync/client/sync-engine.ts';
import type { PaymentRecord } from '../../sync/journal/journal.ts';
import { activate } from '../activation.ts';
import { ActivationError } from '../activation-record.ts';
import { offlineRoom } from '../checkout/offline-policy.ts';
import type { LoadedSettings } from '../config/load-settings.ts';
import { LOG_FILE } from '../log.ts';
import type { PrintJob } from '../printing/print-queue.ts';
import {
  flushReport,
  openPrinting,
  type Printing,
  receiptContext,
  whyNotPrinted,
} from '../printing/printing.ts';
import { paymentReceipt, shiftReport, testPage } from '../receipts/receipts.ts';
import { ScanDesk } from '../scanning/scan-desk.ts';
import { maskedScanEvent, type ScanEvent } from '../scanning/scan-event.ts';
import { paymentSchemes } from '../scanning/schemes.ts';
import { openTerminal, type Terminal } from '../terminal.ts';
import { SOFTWARE_VERSION } from '../version.ts';
import type {
  Activate,
  Activated,
  CheckoutState,
  HostStatus,
  PrintOutcome,
  ShiftClosed,
  TechnicianOverview,
} from './api-schema.ts';
import { CheckoutFlow, type ReceiptReport } from './checkout-flow.ts';
import { ApiProblem, HostError, type Locale } from './errors.ts';
import { EventHub } from './event-hub.ts';
import { readLogTail } from './log-tail.ts';
import { PinGuard } from './pin-guard.ts';
import { assertLoopback, hostOrigin, LOOPBACK_HOST, newToken } from './security.ts';
import { buildHostServer, type ExtraRoutes } from './server.ts';
import { SupervisorActions } from './supervisor.ts';
import { TechnicianSessions } from './technician-sessions.ts';

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
  /** Milliseconds for PIN lockouts and technician sessions; default `Date.now` (tests: their own). */
  clock?: () => number;
  /**
   * Sync with the core in the background once activated (default true). Off, the terminal syncs only
   * when the technician asks ("sync now"): tests that watch that sync's progress.
   */
  backgroundSync?: boolean;
}

export interface RunningHost {
  /** `http://127.0.0.1:PORT` */
  url: string;
  token: string;
  /** The kiosk page with the token in the fragment: `url + '/#token=' + token`. */
  kioskUrl: string;
  /** The terminal served now (a new one after an activation from the technician screen). */
  readonly terminal: Terminal;
  /** A code that came from outside the scanner drivers (typed, or the demo wallet's), as a scan. */
  feedScan(data: string, source: string): void;
  close(): Promise<void>;
}

/** Opens the terminal in `options.dataDir` and serves it to the kiosk; see the module comment. */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const host = new TerminalHost(options);
  await host.start();
  return host.running();
}

/** What a PrintOutcome says when nothing can print. */
const NO_PRINTER_TEXT = {
  en: 'No receipt printer is set up on this terminal.',
  zh: '本终端未设置小票打印机。',
} as const;
const DRAWER_UNCONFIRMED_TEXT = {
  en: 'The drawer pulse was sent, but the printer did not answer: check that the drawer opened.',
  zh: '已发送开钱箱信号，但打印机未应答：请确认钱箱已打开。',
} as const;
const text = (t: { en: string; zh: string }, locale: Locale) => (locale === 'en' ? t.en : t.zh);

/** The offline limits as TechnicianOverview names them, and the setting each comes from. */
const POLICY_SETTINGS = {
  perPayment: 'offlinePolicy.perPaymentMax',
  totalStored: 'offlinePolicy.totalStoredMax',
  maxStoredCount: 'offlinePolicy.maxStoredCount',
  maxHoursSinceSync: 'offlinePolicy.maxHoursSinceSync',
} as const;

/** Where a setting's value came from, written as `suanpan config show` writes it. */
function describeSource(loaded: LoadedSettings, setting: string): string {
  const source = loaded.sources[setting];
  if (source?.kind === 'env') return `env ${source.variable}`;
  if (source?.kind === 'file') return `file ${source.file}`;
  return 'default';
}

class TerminalHost {
  private readonly token: string;
  private readonly now: () => number;
  private terminal: Terminal | undefined;
  /** The logger every part writes to, kept across a restart of the terminal services. */
  private baseLog: Logger | undefined;
  private log: Logger | undefined;
  private hub: EventHub | undefined;
  private sessions: TechnicianSessions | undefined;
  private desk: ScanDesk | undefined;
  private app: FastifyInstance | undefined;
  private url = '';
  private lastStatus = '';
  /** Listeners of the host's lifetime (the scan desk's). */
  private readonly removers: (() => void)[] = [];
  private closing: Promise<void> | undefined;

  // The terminal services: opened by openServices(), closed by closeServices(), and both again in
  // place after an activation (see the module comment).
  private printing: Printing | undefined;
  /** Why printing could not be opened (bad address, driver unavailable); receipts are not printed. */
  private printingProblem: string | undefined;
  /** Why the last receipt did not print; shown while jobs wait. */
  private lastPrintProblem: string | undefined;
  private flow: CheckoutFlow | undefined;
  private engine: SyncEngine | undefined;
  private readonly serviceRemovers: (() => void)[] = [];
  /** While the services restart; API requests wait for it. */
  private restarting: Promise<void> | undefined;
  /** The sync a technician asked for, while it runs. */
  private technicianSync: Promise<void> | undefined;

  constructor(private readonly options: HostOptions) {
    this.token = options.token ?? newToken();
    this.now = options.clock ?? Date.now;
  }

  private feedScan(data: string, source: string) {
    return (this.desk as ScanDesk).feed({
      bytes: Buffer.from(data, 'utf8'),
      symbology: 'unknown',
      source,
      receivedAt: performance.now(),
    });
  }

  running(): RunningHost {
    const host = this;
    return {
      url: this.url,
      token: this.token,
      kioskUrl: `${this.url}/#token=${this.token}`,
      get terminal() {
        return host.current;
      },
      feedScan: (data, source) => this.feedScan(data, source),
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

  private get current(): Terminal {
    return this.terminal as Terminal;
  }

  private get locale(): Locale {
    return this.current.settings.terminal.locale;
  }

  private openTerminalFolder(): Terminal {
    const { options } = this;
    const logger = this.baseLog ?? options.log;
    return openTerminal({
      dataDir: options.dataDir,
      create: true,
      env: options.env ?? process.env,
      ...(logger ? { logger } : {}),
    });
  }

  private async open(): Promise<void> {
    const { options } = this;
    const terminal = this.openTerminalFolder();
    this.terminal = terminal;
    const { settings } = terminal;
    const base = options.log ?? terminal.log;
    this.baseLog = base;
    const log = base.child({ module: 'host' });
    this.log = log;
    const port = options.port ?? settings.kiosk.port;
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new HostError('BAD_PORT', `Invalid kiosk port ${port}: use 1–65535, or 0 for any free port.`);
    }
    const hub = new EventHub(log);
    this.hub = hub;
    const locale = () => this.locale;
    const pins = new PinGuard({
      pins: () => ({
        supervisor: this.current.settings.kiosk.supervisorPin,
        technician: this.current.settings.kiosk.technicianPin,
      }),
      locale,
      now: this.now,
      log,
    });
    const sessions = new TechnicianSessions({ now: this.now, locale });
    this.sessions = sessions;
    const supervisor = new SupervisorActions({
      journal: () => this.current.journal,
      core: () => this.current.coreClient,
      locale,
      log,
      timeoutMs: () => this.current.settings.core.timeoutMs,
    });

    const desk = new ScanDesk({
      uris: settings.scanner.uris,
      schemes: paymentSchemes(settings),
      duplicateWindowMs: settings.scanner.duplicateWindowMs,
      // The flow exists by the time any scan arrives (the desk is started below); after a restart
      // of the services, it is the new one.
      pay: (request) => (this.flow as CheckoutFlow).pay(request),
      log: base.child({ module: 'scanning' }),
    });
    this.desk = desk;
    const onScan = (scan: ScanEvent) => hub.broadcast({ type: 'scan', scan: this.scanForKiosk(scan) });
    const onScannerStatus = () => this.publishStatus();
    desk.on('scan', onScan).on('status', onScannerStatus);
    this.removers.push(() => desk.off('scan', onScan).off('status', onScannerStatus));

    await this.openServices(terminal);
    await desk.start();

    const host = this;
    const app = await buildHostServer({
      token: this.token,
      webRoot: options.webRoot ?? DEFAULT_WEB_ROOT,
      log,
      ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
      services: {
        terminalId: terminal.key.terminalId,
        version: SOFTWARE_VERSION,
        // The locale and currency of the terminal as started: an activation changes neither.
        locale: settings.terminal.locale,
        currency: settings.terminal.currency,
        ready: () => this.restarting?.catch(() => {}) ?? Promise.resolve(),
        status: () => this.status(),
        checkout: {
          current: () => this.flow?.current() ?? null,
          get waitingForCode() {
            return host.flow?.waitingForCode ?? false;
          },
          start: (amount) => (this.flow as CheckoutFlow).start(amount),
          showQr: () => (this.flow as CheckoutFlow).showQr(),
          cancel: () => (this.flow as CheckoutFlow).cancel(),
        },
        feedScan: (data, source) => this.feedScan(data, source),
        scanForKiosk: (scan) => this.scanForKiosk(scan),
        payments: (limit) => this.current.journal.payments({ limit }),
        hub,
        pins,
        voidPayment: (paymentId) => this.changed(supervisor.voidPayment(paymentId)),
        refundPayment: (paymentId) => this.changed(supervisor.refundPayment(paymentId)),
        receiptPng: (paymentId) => this.receiptPng(paymentId),
        reprint: (paymentId) => this.reprint(paymentId),
        closeShift: () => this.closeShift(),
        technician: {
          sessions,
          overview: () => this.overview(),
          printTest: () => this.printTestPage(),
          openDrawer: () => this.openDrawer(),
          syncNow: () => this.syncNow(),
          activate: (request) => this.activate(request),
        },
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

  /** Opens what runs on the terminal: printing, the checkout flow, the sync engine. */
  private async openServices(terminal: Terminal): Promise<void> {
    const { settings } = terminal;
    const base = this.baseLog as Logger;
    const log = this.log as Logger;
    const hub = this.hub as EventHub;
    const locale = settings.terminal.locale;
    this.printingProblem = undefined;
    this.lastPrintProblem = undefined;
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

    const flow = new CheckoutFlow({
      desk: this.desk as ScanDesk,
      checkout: terminal.checkout,
      presentQr: terminal.coreClient
        ? (amount, hooks) => terminal.checkout.presentQr({ amount }, hooks)
        : null,
      coreReachable: () => this.engine?.status.online ?? null,
      printReceipt: (payment) => this.printReceipt(payment),
      locale,
      log,
    });
    this.flow = flow;
    const onCheckout = (checkout: CheckoutState) => hub.broadcast({ type: 'checkout', checkout });
    const onPayment = (payment: PaymentRecord) => this.paymentChanged(payment);
    flow.on('checkout', onCheckout).on('payment', onPayment);
    this.serviceRemovers.push(() => flow.off('checkout', onCheckout).off('payment', onPayment));

    if (terminal.coreClient) {
      const engine = new SyncEngine({
        journal: terminal.journal,
        client: terminal.coreClient,
        log: base.child({ module: 'sync' }),
        softwareVersion: SOFTWARE_VERSION,
        // As `suanpan sync`: a payment's own online call may still wait on its answer.
        inFlightMs: inFlightWindowMs(settings.core.timeoutMs),
      });
      this.engine = engine;
      this.serviceRemovers.push(engine.onStatus(() => this.publishStatus()));
      if (this.options.backgroundSync !== false) engine.start();
    }
  }

  /** Undoes openServices() and closes the terminal; each step is tried whatever the others did. */
  private async closeServices(): Promise<void> {
    await this.runSteps([
      ['finishing the payment in progress', () => this.flow?.settled()],
      ['finishing the sync in progress', () => this.technicianSync],
      [
        'removing listeners',
        () => {
          for (const remove of this.serviceRemovers.splice(0)) remove();
        },
      ],
      ['stopping sync', () => this.engine?.stop()],
      ['stopping printing', () => this.printing?.close()],
      ['closing the journal', () => this.terminal?.close()],
    ]);
    this.engine = undefined;
    this.printing = undefined;
  }

  private async stop(): Promise<void> {
    await this.restarting?.catch(() => {});
    await this.runSteps([
      ['closing event sockets', () => this.hub?.closeAll()],
      ['stopping the API', () => this.app?.close()],
      ['stopping the scanners', () => this.desk?.stop()],
    ]);
    await this.closeServices();
    for (const remove of this.removers.splice(0)) remove();
  }

  private async runSteps(steps: [string, () => unknown][]): Promise<void> {
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (err) {
        // Go on: whatever else was opened must still be closed.
        this.log?.error({ err: (err as Error).message }, `host: failed ${what}`);
      }
    }
  }

  /**
   * Restarts the terminal services in place (see the module comment): what an activation changed
   * in the data folder (settings, activation record) is read again, as at a fresh start.
   */
  private async restartServices(): Promise<void> {
    const run = (async () => {
      // A checkout started while the activation was under way waits for a code: it is cancelled
      // (the cashier sees it), as a stop would; one being taken is let finish by closeServices().
      if (this.flow?.waitingForCode) this.flow.cancel();
      await this.closeServices();
      const terminal = this.openTerminalFolder();
      this.terminal = terminal;
      await this.openServices(terminal);
    })();
    this.restarting = run;
    try {
      await run;
      this.log?.info({ core: this.current.coreClient?.baseUrl ?? null }, 'terminal services restarted');
    } catch (err) {
      this.log?.error({ err: (err as Error).message }, 'terminal services did not restart');
      throw err;
    } finally {
      this.restarting = undefined;
    }
    this.publishStatus();
  }

  /** A scan as the kiosk may see it: masked, but an activation card unmasked to a technician. */
  private scanForKiosk(scan: ScanEvent): ScanEvent {
    // The technician scans an activation card to fill the activation form: only while a technician
    // session is open does its code leave the host (a cashier's screen never shows it).
    if (scan.kind === 'activation' && this.sessions?.anyOpen) return scan;
    return maskedScanEvent(scan);
  }

  /** A payment changed (taken, voided, refunded): to the sockets, the sync, the banner. */
  private paymentChanged(payment: PaymentRecord): void {
    this.hub?.broadcast({ type: 'payment', payment });
    this.engine?.nudge();
    this.publishStatus();
  }

  private async changed(change: Promise<PaymentRecord>): Promise<PaymentRecord> {
    const payment = await change;
    this.paymentChanged(payment);
    return payment;
  }

  private status(): HostStatus {
    const terminal = this.current;
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
    if (!hub || hub.size === 0 || this.closing || this.restarting) return;
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

  private mustGetPayment(paymentId: string): PaymentRecord {
    const payment = this.current.journal.payment(paymentId);
    if (!payment) throw ApiProblem.of(404, 'UNKNOWN_PAYMENT', this.locale, { detail: paymentId });
    return payment;
  }

  /** What a PrintOutcome says when there is no printer to print on. */
  private noPrinter(): PrintOutcome {
    return { printed: false, problem: this.printingProblem ?? text(NO_PRINTER_TEXT, this.locale) };
  }

  /**
   * Queues a job on the host's own printer and prints what waits, now, on the host's spooler. Work
   * already done (a payment, a closed shift) stands whatever the printer does: a job that can't
   * print waits in the queue and the spooler retries in the background.
   */
  private async printNow(makeJob: (printing: Printing) => PrintJob, what: string): Promise<PrintOutcome> {
    const locale = this.locale;
    const printing = this.printing;
    if (!printing) return this.noPrinter();
    try {
      const job = makeJob(printing);
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
      this.log?.warn({ what, err: (err as Error).message }, 'not printed');
      const problem = err instanceof PrinterError ? err.cashierMessage(locale) : (err as Error).message;
      return { printed: false, problem };
    } finally {
      this.publishStatus();
    }
  }

  /** The receipt of a payment that stands, as `suanpan pay` prints it (if receipts are printed). */
  private async printReceipt(payment: PaymentRecord): Promise<ReceiptReport | undefined> {
    const settings = this.current.settings;
    if (!settings.printer.receipts || !settings.printer.uri) return undefined;
    return this.printNow((printing) => printing.queueReceipt(payment), `receipt of ${payment.paymentId}`);
  }

  /**
   * `POST /api/payments/:id/reprint`, as `suanpan receipt` does: a receipt printed before is printed
   * again marked as a reprint; one still waiting in the queue is printed, not copied.
   */
  private async reprint(paymentId: string): Promise<PrintOutcome> {
    const payment = this.mustGetPayment(paymentId);
    return this.printNow((printing) => {
      const earlier = printing.queue.receiptFor(paymentId);
      return earlier?.state === 'printed'
        ? printing.queue.enqueue({
            kind: 'reprint',
            paymentId,
            reprintOf: earlier.id,
            document: paymentReceipt(payment, printing.context, { reprint: true }),
          })
        : printing.queueReceipt(payment);
    }, `reprint of ${paymentId}`);
  }

  /** `GET /api/payments/:id/receipt.png`: the receipt as `suanpan receipt --png` draws it. */
  private receiptPng(paymentId: string): Buffer {
    const payment = this.mustGetPayment(paymentId);
    const terminal = this.current;
    try {
      return renderDocumentPng(
        paymentReceipt(payment, receiptContext(terminal)),
        profileById(terminal.settings.printer.profile),
      );
    } catch (err) {
      if (err instanceof PrinterError && err.code === 'FONT_MISSING') {
        throw ApiProblem.of(503, 'PREVIEW_UNAVAILABLE', this.locale, { detail: err.message });
      }
      throw err;
    }
  }

  /** `POST /api/shift/close`, as `suanpan shift close`: the shift closed in the journal, then printed. */
  private async closeShift(): Promise<ShiftClosed> {
    const report = this.current.journal.closeShift();
    this.log?.info({ shiftNo: report.shiftNo, payments: report.payments }, 'shift closed');
    const print = await this.printNow(
      (printing) =>
        printing.queue.enqueue({ kind: 'shift', document: shiftReport(report, printing.context) }),
      `shift ${report.shiftNo} report`,
    );
    return { report, print };
  }

  /**
   * The technician's test page, as `suanpan print-test`: printed straight away on the printer (the
   * driver runs one operation at a time, so it slots in between queued jobs), never queued: a test
   * that fails is reported, not printed later.
   */
  private async printTestPage(): Promise<PrintOutcome> {
    const printing = this.printing;
    const uri = this.current.settings.printer.uri;
    if (!printing || !uri) return this.noPrinter();
    try {
      const status = await printing.printer.status();
      await printing.printer.print(
        testPage({ ...printing.context, now: new Date(), printer: uri }, printing.profile, status),
      );
      return { printed: true };
    } catch (err) {
      return this.printerProblem(err, 'test page');
    } finally {
      this.publishStatus();
    }
  }

  /** `suanpan drawer open`: a pulse on the drawer port; `printed` says the printer confirmed it. */
  private async openDrawer(): Promise<PrintOutcome> {
    const printing = this.printing;
    if (!printing) return this.noPrinter();
    try {
      const { statusKnown } = await printing.printer.openDrawer();
      return statusKnown
        ? { printed: true }
        : { printed: false, problem: text(DRAWER_UNCONFIRMED_TEXT, this.locale) };
    } catch (err) {
      return this.printerProblem(err, 'drawer');
    }
  }

  private printerProblem(err: unknown, what: string): PrintOutcome {
    if (!(err instanceof PrinterError)) throw err;
    this.log?.warn({ what, code: err.code, err: err.message }, 'printer refused');
    return { printed: false, problem: err.cashierMessage(this.locale) };
  }

  /**
   * "Sync now": a sync cycle at once (after one the background loop may be running), its progress
   * sent as `sync` events and the last one `done`, with `error` when it failed.
   */
  private syncNow(): void {
    const engine = this.engine;
    if (!engine) throw ApiProblem.of(409, 'NOT_ACTIVATED', this.locale);
    if (this.technicianSync) return; // one is running: its events are on their way
    const hub = this.hub as EventHub;
    let last = { sent: 0, total: 0 };
    const send = (progress: { sent: number; total: number; done: boolean; error?: string }) =>
      hub.broadcast({ type: 'sync', progress });
    this.technicianSync = engine
      .syncNow((p) => {
        last = p;
        send({ sent: p.sent, total: p.total, done: false });
      })
      .then(
        (report) => {
          send({ sent: report.sent, total: last.total, done: true });
          // A loop stopped on a refusal (revoked, say) that has since been put right runs again.
          if (this.options.backgroundSync !== false) engine.start();
        },
        (err: unknown) => send({ ...last, done: true, error: (err as Error).message }),
      )
      .finally(() => {
        this.technicianSync = undefined;
        this.publishStatus();
      });
  }

  /**
   * Activation from the technician screen, as `suanpan activate`; then the host restarts its
   * terminal services in place so the new core is used at once (see the module comment).
   */
  private async activate(request: Activate): Promise<Activated> {
    const locale = this.locale;
    const phase = this.flow?.current()?.phase;
    if (phase === 'waiting_code' || phase === 'working') {
      throw ApiProblem.of(409, 'BUSY', locale, { detail: 'a checkout is in progress' });
    }
    let merchantName: string;
    try {
      const record = await activate({
        dataDir: this.options.dataDir,
        coreUrl: request.core,
        code: request.code,
        env: this.options.env ?? process.env,
      });
      merchantName = record.merchantName;
    } catch (err) {
      throw activationProblem(err, locale);
    }
    // The host is stopping meanwhile: the next start opens the activated terminal.
    if (!this.closing) await this.restartServices();
    return { activated: true, merchantName };
  }

  /** `GET /api/technician/overview`. */
  private overview(): TechnicianOverview {
    const terminal = this.current;
    const { journal, activation, loaded } = terminal;
    const status = this.status();
    const info = journal.syncInfo();
    const engine = this.engine;
    return {
      version: SOFTWARE_VERSION,
      terminalId: terminal.key.terminalId,
      activation: {
        activated: status.activation.activated,
        coreUrl: status.activation.coreUrl,
        merchantName: activation?.merchantName ?? null,
      },
      policy: {
        ...status.queue.limits,
        sources: Object.fromEntries(
          Object.entries(POLICY_SETTINGS).map(([limit, setting]) => [limit, describeSource(loaded, setting)]),
        ),
      },
      sync: {
        state: engine ? engine.status.state : 'not_activated',
        reachable: status.online.reachable,
        pending: status.queue.pending,
        parked: info.parked.map(({ seq, reason }) => ({ seq, reason })),
        lastSyncAt: status.online.lastSyncAt,
        lastError: status.online.lastError,
      },
      devices: status.devices,
      logs: readLogTail(path.join(terminal.dataDir, LOG_FILE)),
    };
  }
}

/** Why an activation failed, for the technician; nothing was changed on the terminal. */
function activationProblem(err: unknown, locale: Locale): unknown {
  if (err instanceof ActivationError) {
    if (err.code === 'BAD_CORE_URL')
      return ApiProblem.of(400, 'BAD_CORE_URL', locale, { field: 'core', detail: err.message });
    if (err.code === 'BAD_ACTIVATION_CODE')
      return ApiProblem.of(400, 'BAD_ACTIVATION_CODE', locale, { field: 'code', detail: err.message });
    return err;
  }
  if (err instanceof CoreRejectedError && !isTransient(err)) {
    return ApiProblem.of(409, 'ACTIVATION_REFUSED', locale, { detail: err.message });
  }
  const code = (err as { code?: string }).code;
  if (code === 'CORE_UNREACHABLE') return ApiProblem.of(503, 'CORE_UNREACHABLE', locale);
  if (isTransient(err) || code === 'CORE_PROTOCOL') {
    return ApiProblem.of(504, 'CORE_NO_ANSWER', locale, { detail: (err as Error).message });
  }
  return err;
}
