import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePayment } from '../../sync/client/in-doubt.ts';
import type { StoredPayment } from '../../sync/journal/journal.ts';
import { AmountError, parseAmount } from '../../sync/protocol/money.ts';
import { classifyCliError } from '../cli/output.ts';
import { createLogger } from '../log.ts';
import { openTerminal, type Terminal } from '../terminal.ts';
import { type FakeBehaviour, FakeCore } from '../testing/fake-core.ts';
import { AnswerNotRecordedError } from './errors.ts';
import { PaymentCodeError } from './payment-code.ts';

let dataDir: string;
let logged: string;
let terminal: Terminal | undefined;
const logger = () =>
  createLogger({
    level: 'debug',
    stream: new Writable({
      write(chunk, _enc, done) {
        logged += chunk;
        done();
      },
    }),
  });

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-checkout-'));
  logged = '';
});
afterEach(() => {
  terminal?.close();
  terminal = undefined;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function open(options: { core?: FakeCore; env?: NodeJS.ProcessEnv; now?: () => Date } = {}): Terminal {
  terminal = openTerminal({
    dataDir,
    create: true,
    logger: logger(),
    env: { SUANPAN_CORE_TIMEOUT_MS: '200', ...options.env },
    ...options,
  });
  return terminal;
}
const ALIPAY = '281234567890123456';
const pay = (t: Terminal, amount: string, code = ALIPAY) =>
  t.checkout.pay({ amount: parseAmount(amount), code });

describe('checkout without a core (offline path)', () => {
  it('accepts within the offline policy and records the scheme and masked code', async () => {
    const { payment, refusals } = await pay(open(), '12.50');
    expect(payment).toMatchObject({ status: 'accepted_offline', mode: 'offline', seq: 1, scheme: 'alipay' });
    expect(payment.codeMasked).toBe('28************3456');
    expect(refusals).toEqual([]);
  });

  it('declines over a limit, saying which and by how much; the code is then used up', async () => {
    const t = open();
    const { payment, refusals } = await pay(t, '200.01');
    expect(payment).toMatchObject({ status: 'declined', mode: 'offline' });
    expect(payment.reason).toContain('¥0.01 over');
    expect(refusals.map((r) => r.limit)).toEqual(['perPayment']);
    await expect(pay(t, '1.00')).rejects.toMatchObject({ code: 'CODE_USED' });
  });

  it('stops offline payments when the terminal has not synced for too long', async () => {
    const start = Date.parse('2026-11-20T08:00:00Z');
    let now = start;
    const t = open({ now: () => new Date(now) });
    expect((await pay(t, '5.00', '281111111111111111')).payment.status).toBe('accepted_offline');
    now = start + 73 * 3_600_000;
    const { payment, refusals } = await pay(t, '5.00', '282222222222222222');
    expect(payment.status).toBe('declined');
    expect(refusals[0]).toMatchObject({ limit: 'sinceSync', over: 1 });
    t.journal.recordSync(new Date(now));
    expect((await pay(t, '5.00', '283333333333333333')).payment.status).toBe('accepted_offline');
  });

  it('refuses bad input before recording anything', async () => {
    const t = open();
    await expect(t.checkout.pay({ amount: { minor: 0, currency: 'CNY' }, code: ALIPAY })).rejects.toThrow();
    await expect(pay(t, '1.00', '991234567890123456')).rejects.toBeInstanceOf(PaymentCodeError);
    expect(() => parseAmount('1e3')).toThrow(AmountError);
    expect(t.journal.payments()).toEqual([]);
  });

  it('never writes a payment code to the log, even at debug level', async () => {
    const t = open();
    await pay(t, '12.50');
    await pay(t, '500.00', '131234567890123456');
    await expect(pay(t, '1.00')).rejects.toMatchObject({ code: 'CODE_USED' });
    t.log.info({ code: ALIPAY, nested: { paymentCode: ALIPAY } }, 'a careless call site');
    t.log.info({ a: { code: ALIPAY }, c: { code: Number(ALIPAY) } }, 'careless, deeper');
    t.log.info({ payments: [{ code: ALIPAY }] }, 'careless, in a list');
    t.log.child({ code: ALIPAY }).info('careless binding');
    t.log.error({ err: Object.assign(new Error('boom'), { code: ALIPAY }) }, 'careless error');
    // Error codes are what a technician reads a log for: kept.
    t.log.warn({ code: 'CORE_UNREACHABLE', detail: { code: 'SQLITE_BUSY' } }, 'sync failed');
    expect(logged).toContain('"code":"CORE_UNREACHABLE"');
    expect(logged).toContain('"code":"SQLITE_BUSY"');
    expect(logged).toContain('payment recorded');
    expect(logged).not.toContain(ALIPAY);
    expect(logged).not.toContain(ALIPAY.slice(0, 15)); // nor as a number
    expect(logged).not.toContain('131234567890123456');
    expect(logged).toContain('[redacted]');
  });
});

describe('checkout with a core (online path)', () => {
  it('is approved online, and the raw code is erased at once', async () => {
    const core = new FakeCore('approve');
    const t = open({ core });
    const { payment } = await pay(t, '500.00'); // above the offline cap: online has no such limit
    expect(payment).toMatchObject({ status: 'approved', mode: 'online' });
    expect(core.received[0]).toMatchObject({
      paymentId: payment.paymentId,
      seq: 1,
      code: ALIPAY,
      amount: { minor: 50_000 },
    });
    expect(core.received[0]?.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(t.journal.paymentCode(payment.paymentId)).toBeUndefined();
  });

  /**
   * A core whose call ends (answered or not) while another process holds the journal's write lock
   * (a second command, a stuck tool): what it said can't be written within the busy timeout.
   */
  function coreWithJournalHeld(behaviour: FakeBehaviour) {
    let lock: Database.Database | undefined;
    class HoldingCore extends FakeCore {
      override async authorise(...args: Parameters<FakeCore['authorise']>) {
        try {
          return await super.authorise(...args);
        } finally {
          lock = new Database(path.join(dataDir, 'journal.sqlite'));
          lock.exec('BEGIN IMMEDIATE');
        }
      }
    }
    const core = new HoldingCore(behaviour);
    const terminal = open({ core, env: { SUANPAN_JOURNAL_BUSY_TIMEOUT_MS: '50' } });
    const release = () => {
      lock?.exec('ROLLBACK');
      lock?.close();
    };
    return { core, terminal, release };
  }
  async function failure(p: Promise<unknown>): Promise<Error> {
    try {
      await p;
    } catch (err) {
      return err as Error;
    }
    throw new Error('expected a failure');
  }

  it('approved, but the journal can not record it: says the customer has paid, and the next sync records it', async () => {
    const { core, terminal: t, release } = coreWithJournalHeld('approve');
    const error = await failure(pay(t, '12.50'));
    expect(error).toBeInstanceOf(AnswerNotRecordedError);
    expect(error).toMatchObject({
      code: 'APPROVED_NOT_RECORDED',
      answer: 'approved',
      cause: { code: 'BUSY' },
    });
    expect(error.message).toMatch(
      /^The payment core APPROVED payment 1 \(¥12\.50\): the customer has paid\. This terminal could not record that \(another program held its journal\)\. Do not take the money again\. Stop the other program/,
    );
    // The CLI says it as a refusal (exit 1) with this code, not as its own crash.
    expect(classifyCliError(error)).toEqual({
      exitCode: 1,
      code: 'APPROVED_NOT_RECORDED',
      message: error.message,
    });
    release();
    // Still in the journal, in doubt; asking the core records it as the core has it: approved.
    const [held] = t.journal.inDoubt();
    expect(held).toMatchObject({ seq: 1, status: 'captured' });
    await resolvePayment(t.journal, core, held as StoredPayment, {
      inFlightMs: 0,
      cancelAfterMs: 60_000,
      now: () => new Date(),
      callTimeoutMs: 200,
    });
    expect(t.journal.payment(held?.paymentId as string)).toMatchObject({ status: 'approved' });
  });

  it('no answer, and the journal can not record the doubt: says the customer may have paid', async () => {
    const { terminal: t, release } = coreWithJournalHeld('hang');
    const error = await failure(pay(t, '3.00'));
    release();
    expect(error).toMatchObject({ code: 'IN_DOUBT_NOT_RECORDED', answer: 'in_doubt' });
    expect(error.message).toMatch(
      /^No answer from the payment core for payment 1 \(¥3\.00\), so the customer may have been charged, and this terminal could not record that the payment is in doubt \(another program held its journal\)\. Do not take the money again\./,
    );
    expect(t.journal.inDoubt()).toMatchObject([{ seq: 1, status: 'captured' }]);
  });

  it('declined, and the journal can not record it: the journal error as it is (nothing was charged)', async () => {
    const { terminal: t, release } = coreWithJournalHeld('decline');
    await expect(pay(t, '5.00')).rejects.toMatchObject({ name: 'JournalError', code: 'BUSY' });
    release();
  });

  it("is declined online with the core's reason", async () => {
    const t = open({ core: new FakeCore('decline') });
    const { payment } = await pay(t, '5.00');
    expect(payment).toMatchObject({ status: 'declined', mode: 'online', reason: 'insufficient balance' });
  });

  it('refused because the terminal itself is refused (a diverged journal): declined, and nothing more taken offline', async () => {
    const core = new FakeCore('diverged');
    const t = open({ core });
    const { payment } = await pay(t, '5.00');
    expect(payment).toMatchObject({ status: 'declined', mode: 'online' });
    expect(payment.reason).toContain("the core refused it: The terminal's journal disagrees");
    expect(t.journal.offlineStats().forwardingBlocked).toMatchObject({ code: 'JOURNAL_DIVERGED' });
    // Out of reach now: the offline policy takes nothing that could never be forwarded.
    core.behaviour = 'unreachable';
    expect((await pay(t, '6.00', '131234567890123456')).payment).toMatchObject({
      status: 'declined',
      mode: 'offline',
    });
  });

  it('falls back to the offline policy when the core is unreachable', async () => {
    const t = open({ core: new FakeCore('unreachable') });
    expect((await pay(t, '5.00')).payment).toMatchObject({ status: 'accepted_offline', mode: 'offline' });
    expect((await pay(t, '300.00', '131234567890123456')).payment).toMatchObject({
      status: 'declined',
      mode: 'offline',
    });
    const stored = t.journal.payments({ status: 'accepted_offline' })[0] as { paymentId: string };
    expect(t.journal.paymentCode(stored.paymentId)).toBe(ALIPAY);
  });

  it('says the core was not reached after a fall-back, and no longer once it answers a payment', async () => {
    const core = new FakeCore('unreachable');
    const t = open({ core });
    await pay(t, '5.00');
    expect(t.journal.syncInfo().lastError).toMatchObject({ code: 'CORE_UNREACHABLE' });
    core.behaviour = 'approve';
    expect((await pay(t, '6.00', '131234567890123456')).payment.status).toBe('approved');
    expect(t.journal.syncInfo()).toMatchObject({ lastError: null, lastSyncAt: null });
  });

  it('a lost answer after the core approved: in doubt, then approved by query, never charged twice', async () => {
    const core = new FakeCore('lost-after-approve');
    const t = open({ core });
    const { payment } = await pay(t, '5.00');
    expect(payment).toMatchObject({ status: 'approved', mode: 'online' });
    expect(core.received).toHaveLength(1);
    const kinds = [...t.journal.entries()].map((e) => e.kind);
    expect(kinds).toEqual(['captured', 'unknown', 'approved']);
  });

  it('no answer in time and the core never had it: in doubt, then cancelled (declined)', async () => {
    const core = new FakeCore('hang');
    const t = open({ core });
    const { payment } = await pay(t, '5.00');
    expect(payment).toMatchObject({ status: 'declined', mode: 'online' });
    expect(payment.reason).toContain('cancelled');
    expect(core.states.get(payment.paymentId)?.state).toBe('cancelled');
    expect(t.journal.offlineStats()).toMatchObject({ pending: 0, inDoubt: 0 });
  });

  it('waits for the online answer as long as the configured timeout (core.timeoutMs), then resolves it', async () => {
    const core = new FakeCore('hang');
    const waited: (number | undefined)[] = [];
    const authorise = core.authorise.bind(core);
    core.authorise = (request, options) => {
      waited.push(options.timeoutMs);
      return authorise(request, options);
    };
    const t = open({ core, env: { SUANPAN_CORE_TIMEOUT_MS: '350' } });
    const { payment } = await pay(t, '5.00');
    expect(waited).toEqual([350]);
    expect(payment).toMatchObject({ status: 'declined', mode: 'online' });
  });

  it('stays unknown, never offline as well, when the core can be asked neither now nor later', async () => {
    const core = new FakeCore('timeout-then-gone');
    const t = open({ core });
    const { payment } = await pay(t, '5.00');
    expect(payment).toMatchObject({ status: 'unknown', mode: 'online' });
    expect(t.journal.offlineStats()).toMatchObject({ pending: 0, inDoubt: 1 });
    expect(t.journal.paymentCode(payment.paymentId)).toBeUndefined();
  });
});
