/**
 * A host for tests of the kiosk API: a temp data folder with a `suanpan.json` (the kiosk PINs), the
 * host on a free port with a clock the test moves by hand (PIN locks, technician sessions), and
 * small builders: a payment taken through the checkout as the kiosk takes it, a technician session.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PaymentRecord } from '../../sync/journal/journal.ts';
import { silentLogger } from '../log.ts';
import { type CheckoutState, type HostEvent, TECHNICIAN_HEADER } from './api-schema.ts';
import { type HostOptions, type RunningHost, startHost } from './host.ts';
import { EventClient, type RequestOptions, request } from './test-client.ts';

export const SUPERVISOR_PIN = '2580';
export const TECHNICIAN_PIN = '7319';
/** Both PINs set, as an installer would in suanpan.json. */
export const KIOSK_PINS = { kiosk: { supervisorPin: SUPERVISOR_PIN, technicianPin: TECHNICIAN_PIN } };

/** A clock that moves only when the test says so. */
export class ManualClock {
  ms = Date.UTC(2026, 0, 5, 9, 0, 0);
  readonly now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

let codeCounter = 0;
/** A fresh 18-digit demo wallet code (28…): accepted offline by a host with demo codes on. */
export function offlineCode(): string {
  codeCounter += 1;
  return `28${String(Date.now() % 1e9).padStart(9, '0')}${String(codeCounter).padStart(7, '0')}`;
}

export class TestHost {
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-host-'));
  readonly clock = new ManualClock();
  private running: RunningHost | undefined;
  private readonly clients: EventClient[] = [];

  get host(): RunningHost {
    if (!this.running) throw new Error('the test host is not started');
    return this.running;
  }

  /** Writes `<dataDir>/suanpan.json`. */
  settings(settings: Record<string, unknown>): this {
    fs.writeFileSync(path.join(this.dataDir, 'suanpan.json'), JSON.stringify(settings, null, 2));
    return this;
  }

  async start(options: Partial<HostOptions> = {}): Promise<RunningHost> {
    this.running = await startHost({
      dataDir: this.dataDir,
      env: { SUANPAN_SCANNER_DEMO_WALLET_CODES: 'true' },
      port: 0,
      log: silentLogger(),
      webRoot: path.join(this.dataDir, 'no-web'),
      clock: this.clock.now,
      ...options,
    });
    return this.running;
  }

  api(urlPath: string, options: RequestOptions = {}) {
    return request(`${this.host.url}${urlPath}`, { token: this.host.token, ...options });
  }

  /** A call with the technician session header. */
  technician(urlPath: string, sessionId: string, options: RequestOptions = {}) {
    return this.api(urlPath, { ...options, headers: { [TECHNICIAN_HEADER]: sessionId, ...options.headers } });
  }

  async openSession(pin = TECHNICIAN_PIN): Promise<string> {
    const r = await this.api('/api/technician/session', { method: 'POST', body: { pin } });
    if (r.status !== 200) throw new Error(`no technician session: ${r.status} ${r.text}`);
    return r.json.sessionId as string;
  }

  async events(): Promise<EventClient> {
    const client = await EventClient.connect(this.host.url, this.host.token);
    this.clients.push(client);
    return client;
  }

  /** Takes a payment at the kiosk: the amount, then the code typed; resolves with its record. */
  async pay(amount: string, code = offlineCode()): Promise<PaymentRecord> {
    const client = await this.events();
    const started = await this.api('/api/checkout', { method: 'POST', body: { amount } });
    if (started.status !== 202) throw new Error(`checkout not started: ${started.text}`);
    const { checkoutId } = started.json as CheckoutState;
    const entered = await this.api('/api/checkout/code', { method: 'POST', body: { code } });
    if (entered.status !== 202) throw new Error(`code not taken: ${entered.text}`);
    const done = await client.next(
      (e: HostEvent): e is Extract<HostEvent, { type: 'checkout' }> =>
        e.type === 'checkout' &&
        e.checkout.checkoutId === checkoutId &&
        ['done', 'failed'].includes(e.checkout.phase),
    );
    if (!done.checkout.payment) throw new Error(`checkout failed: ${JSON.stringify(done.checkout.error)}`);
    // The receipt has had its go (or there is no printer) before the next step of the test.
    const { printer } = this.host.terminal.settings;
    if (done.checkout.receipt === undefined && printer.uri && printer.receipts) {
      await client.next(
        (e) => e.type === 'checkout' && e.checkout.checkoutId === checkoutId && !!e.checkout.receipt,
      );
    }
    await client.close();
    return done.checkout.payment;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close()));
    await this.running?.close();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Polls `probe` until it returns something truthy (for what arrives without an event). */
export async function until<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
