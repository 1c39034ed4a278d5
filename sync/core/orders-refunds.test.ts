/**
 * Merchant-presented QR orders and refunds through the core, over HTTP, the same suite against a
 * real PostgreSQL server and against PGlite: an order created, queried, paid by a wallet (the
 * admin route standing in for the wallet provider), refused, expired, cancelled before and after
 * payment; refunds of whole payments, once, and the refusals.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreRejectedError } from '../client/errors.ts';
import type { UploadedPayment } from '../protocol/wire.ts';
import type { RunningCore } from './server.ts';
import { ORDER_VALID_S } from './service.ts';
import {
  activatedTerminal,
  BACKENDS,
  type Backend,
  cny,
  openTestDb,
  POSTGRES_SKIP_REASON,
  paymentFacts,
  postgresAvailable,
  startTestCore,
  TestClock,
  type TestDb,
} from './testing.ts';
import { walletDay } from './wallet-codes.ts';

const pgOk = await postgresAvailable();
const ADMIN_TOKEN = 'test-admin-token';

async function rejected(p: Promise<unknown>): Promise<CoreRejectedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CoreRejectedError) return err;
    throw err;
  }
  throw new Error('expected the core to refuse');
}

/** A payment's facts without its id: the body of a cancel. */
const cancelBody = ({ paymentId: _id, ...facts }: ReturnType<typeof paymentFacts>) => facts;

describe.each(BACKENDS)('orders and refunds on %s', (backend: Backend) => {
  const skip = backend === 'postgres' && !pgOk;
  let t: TestDb;
  let core: RunningCore & { clock: TestClock };

  beforeAll(async () => {
    if (skip) return;
    t = await openTestDb(backend);
    core = await startTestCore(t.db, new TestClock(), { adminToken: ADMIN_TOKEN });
  }, 60_000);
  afterAll(async () => {
    if (skip) return;
    await core.close();
    await t.cleanup();
  });

  /** The wallet provider's backend paying an order: the admin route, as an HTTP answer. */
  async function payOrder(walletId: string, paymentId: string, token = ADMIN_TOKEN) {
    const r = await fetch(`${core.url}/admin/v1/wallets/${walletId}/pay-order`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ paymentId }),
    });
    return {
      status: r.status,
      json: (await r.json()) as Record<string, unknown> & { error?: { code: string; message: string } },
    };
  }

  const balance = async (walletId: string) => (await core.service.wallet(walletId)).balance;

  /** The ledger rows of one payment: kinds, and their sum. */
  async function ledgerOf(paymentId: string) {
    const r = await t.db.query<{ kind: string; amount_minor: number }>(
      'SELECT kind, amount_minor FROM ledger_entries WHERE payment_id = $1 ORDER BY entry_id',
      [paymentId],
    );
    return {
      kinds: r.rows.map((x) => x.kind),
      sum: r.rows.reduce((s, x) => s + x.amount_minor, 0),
    };
  }

  describe.skipIf(skip)(`(${skip ? POSTGRES_SKIP_REASON : 'running'})`, () => {
    describe('QR orders', () => {
      it('a wallet pays an order from its QR: pending, then approved, the wallet debited, the books balanced', async () => {
        const term = await activatedTerminal(core);
        const order = paymentFacts(1, 2_500);
        const before = Date.now();
        const created = await term.client.createOrder(order);
        expect(created).toMatchObject({
          paymentId: order.paymentId,
          qr: `suanpan://order/${order.paymentId}`,
          duplicate: false,
        });
        const expires = Date.parse(created.expiresAt);
        expect(expires).toBeGreaterThanOrEqual(before + ORDER_VALID_S * 1000 - 1_000);
        expect(expires).toBeLessThanOrEqual(Date.now() + ORDER_VALID_S * 1000 + 1_000);
        expect(await term.client.query(order.paymentId)).toEqual({
          paymentId: order.paymentId,
          state: 'pending',
        });

        const { walletId } = await core.service.createWallet(cny(10_000));
        const paid = await payOrder(walletId, order.paymentId);
        expect(paid).toEqual({
          status: 200,
          json: { paymentId: order.paymentId, outcome: 'approved', amount: cny(2_500) },
        });
        expect(await term.client.query(order.paymentId)).toEqual({
          paymentId: order.paymentId,
          state: 'approved',
        });
        expect(await balance(walletId)).toEqual(cny(7_500));
        expect(await ledgerOf(order.paymentId)).toEqual({ kinds: ['payment', 'payment'], sum: 0 });
        expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });

        // A retry of the order gets the first answer; paying twice is refused, naming the state.
        expect(await term.client.createOrder(order)).toEqual({ ...created, duplicate: true });
        const again = await payOrder(walletId, order.paymentId);
        expect(again).toMatchObject({ status: 409, json: { error: { code: 'ORDER_NOT_PENDING' } } });
        expect(again.json.error?.message).toContain('approved');
        expect(await balance(walletId)).toEqual(cny(7_500));
      });

      it("counts an order's seq for the terminal's contiguous seq", async () => {
        const term = await activatedTerminal(core);
        await term.client.createOrder(paymentFacts(2));
        expect((await term.client.syncState()).highestContiguousSeq).toBe(0);
        await term.client.createOrder(paymentFacts(1));
        expect((await term.client.syncState()).highestContiguousSeq).toBe(2);
        const { walletId } = await core.service.createWallet(cny(10_000));
        const { code } = await core.service.issueWalletCode(walletId);
        await term.client.authorise({ ...paymentFacts(3), code });
        expect((await term.client.syncState()).highestContiguousSeq).toBe(3);
      });

      it("counts an order held in a batch's gap: the mark runs on over the batch's own payments after it", async () => {
        const term = await activatedTerminal(core);
        await term.client.createOrder(paymentFacts(2));
        const { walletId } = await core.service.createWallet(cny(10_000));
        const stored = async (seq: number) => {
          const { code } = await core.service.issueWalletCode(walletId);
          return { ...paymentFacts(seq, 100), state: 'accepted_offline' as const, code };
        };
        const answer = await term.client.upload({
          payments: [await stored(1), await stored(3), await stored(4)],
          head: { entrySeq: 0, hash: '0'.repeat(64), signature: null },
          atAnchor: null,
          queueDepth: 3,
          softwareVersion: 't',
        });
        expect(answer.highestContiguousSeq).toBe(4);
        expect((await term.client.syncState()).highestContiguousSeq).toBe(4);
      });

      it('the same paymentId with other facts, a seq held already, or an order id of another terminal: conflicts', async () => {
        const term = await activatedTerminal(core);
        const order = paymentFacts(1, 1_000);
        await term.client.createOrder(order);
        const amount = await rejected(term.client.createOrder({ ...order, amount: cny(1) }));
        expect(amount).toMatchObject({ status: 409, code: 'CONFLICT' });
        expect(amount.message).toContain('amount 1000 CNY ≠ 1 CNY');
        const seqTaken = await rejected(term.client.createOrder(paymentFacts(1)));
        expect(seqTaken).toMatchObject({ status: 409, code: 'JOURNAL_DIVERGED' });
        expect(seqTaken.message).toContain(`at seq 1, which the core holds as payment ${order.paymentId}`);
        const [flagged] = await core.service.terminals({ terminalId: term.terminalId });
        expect(flagged?.integrityAlert).toBe(seqTaken.message);
        // An order is paid by a wallet from its QR, never authorised with a code.
        const { walletId } = await core.service.createWallet(cny(10_000));
        const { code } = await core.service.issueWalletCode(walletId);
        expect(await rejected(term.client.authorise({ ...order, code }))).toMatchObject({ code: 'CONFLICT' });
        // A QR names one order: another terminal can't hold one under the same paymentId.
        const other = await activatedTerminal(core);
        const copy = await rejected(other.client.createOrder({ ...order, seq: 1 }));
        expect(copy).toMatchObject({ status: 409, code: 'CONFLICT' });
        expect(await term.client.query(order.paymentId)).toMatchObject({ state: 'pending' });
        expect(await balance(walletId)).toEqual(cny(10_000));
      });

      it('cancels a pending order; a wallet then cannot pay it', async () => {
        const term = await activatedTerminal(core);
        const order = paymentFacts(1, 800);
        await term.client.createOrder(order);
        expect(await term.client.cancel(order.paymentId, cancelBody(order))).toEqual({
          paymentId: order.paymentId,
          outcome: 'cancelled',
          state: 'cancelled',
          reason: 'cancelled before the customer paid',
        });
        expect(await term.client.query(order.paymentId)).toMatchObject({ state: 'cancelled' });
        const { walletId } = await core.service.createWallet(cny(10_000));
        const r = await payOrder(walletId, order.paymentId);
        expect(r).toMatchObject({ status: 409, json: { error: { code: 'ORDER_NOT_PENDING' } } });
        expect(r.json.error?.message).toContain('cancelled');
        expect(await balance(walletId)).toEqual(cny(10_000));
        // Cancelling again answers the same.
        expect(await term.client.cancel(order.paymentId, cancelBody(order))).toMatchObject({
          outcome: 'cancelled',
          state: 'cancelled',
        });
      });

      it(`refuses payment after ${ORDER_VALID_S} s: the order expired`, async () => {
        const term = await activatedTerminal(core);
        const order = paymentFacts(1, 800);
        await term.client.createOrder(order);
        const { walletId } = await core.service.createWallet(cny(10_000));
        core.clock.offsetMs = (ORDER_VALID_S + 1) * 1000;
        try {
          const r = await payOrder(walletId, order.paymentId);
          expect(r).toMatchObject({ status: 409, json: { error: { code: 'ORDER_EXPIRED' } } });
        } finally {
          core.clock.offsetMs = 0;
        }
        expect(await term.client.query(order.paymentId)).toMatchObject({ state: 'pending' });
        expect(await balance(walletId)).toEqual(cny(10_000));
      });

      it('a wallet short of money or in another currency is refused; the order stays pending for another', async () => {
        const term = await activatedTerminal(core);
        const order = paymentFacts(1, 2_500);
        await term.client.createOrder(order);
        const poor = await core.service.createWallet(cny(100));
        const short = await payOrder(poor.walletId, order.paymentId);
        expect(short).toMatchObject({ status: 409, json: { error: { code: 'PAYMENT_REFUSED' } } });
        expect(short.json.error?.message).toContain('insufficient balance');
        const dollars = await core.service.createWallet({ minor: 100_000, currency: 'USD' });
        const foreign = await payOrder(dollars.walletId, order.paymentId);
        expect(foreign).toMatchObject({ status: 409, json: { error: { code: 'PAYMENT_REFUSED' } } });
        expect(foreign.json.error?.message).toContain('currency does not match the wallet');
        expect(await term.client.query(order.paymentId)).toMatchObject({ state: 'pending' });
        expect(await balance(poor.walletId)).toEqual(cny(100));

        const rich = await core.service.createWallet(cny(5_000));
        expect((await payOrder(rich.walletId, order.paymentId)).status).toBe(200);
        expect(await balance(rich.walletId)).toEqual(cny(2_500));
        expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
      });

      it('cancelling a paid order reverses it: the balance back, the books balanced', async () => {
        const term = await activatedTerminal(core);
        const order = paymentFacts(1, 1_200);
        await term.client.createOrder(order);
        const { walletId } = await core.service.createWallet(cny(10_000));
        expect((await payOrder(walletId, order.paymentId)).status).toBe(200);
        expect(await balance(walletId)).toEqual(cny(8_800));
        const c = await term.client.cancel(order.paymentId, cancelBody(order));
        expect(c).toMatchObject({ outcome: 'cancelled', state: 'cancelled' });
        expect(c.reason).toContain('reversed');
        expect(await balance(walletId)).toEqual(cny(10_000));
        expect(await ledgerOf(order.paymentId)).toEqual({
          kinds: ['payment', 'payment', 'reversal', 'reversal'],
          sum: 0,
        });
        expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
      });

      it('a cancel and a payment at once: one wins, and a paid order is never cancelled unreversed', async () => {
        const term = await activatedTerminal(core);
        const { walletId } = await core.service.createWallet(cny(100_000));
        for (let seq = 1; seq <= 6; seq++) {
          const order = paymentFacts(seq, 1_000);
          await term.client.createOrder(order);
          const [paid, cancelled] = await Promise.all([
            payOrder(walletId, order.paymentId),
            term.client.cancel(order.paymentId, cancelBody(order)),
          ]);
          expect(cancelled).toMatchObject({ outcome: 'cancelled', state: 'cancelled' });
          if (paid.status === 200) expect(cancelled.reason).toContain('reversed');
          else expect(paid.json.error?.code).toBe('ORDER_NOT_PENDING');
          expect(await balance(walletId)).toEqual(cny(100_000));
        }
        expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
      });

      it('an unknown order, an unknown wallet, and no admin token: refused', async () => {
        const term = await activatedTerminal(core);
        const order = paymentFacts(1);
        await term.client.createOrder(order);
        const { walletId } = await core.service.createWallet(cny(10_000));
        expect(await payOrder(walletId, crypto.randomUUID())).toMatchObject({
          status: 404,
          json: { error: { code: 'NOT_FOUND' } },
        });
        expect(await payOrder(crypto.randomUUID(), order.paymentId)).toMatchObject({
          status: 404,
          json: { error: { code: 'NOT_FOUND' } },
        });
        expect((await payOrder(walletId, order.paymentId, 'wrong')).status).toBe(401);
        expect(await term.client.query(order.paymentId)).toMatchObject({ state: 'pending' });
      });
    });

    describe('refunds', () => {
      /** A terminal and a payment of `minor` it authorised from a wallet of 10,000. */
      async function approvedPayment(minor: number) {
        const term = await activatedTerminal(core);
        const { walletId } = await core.service.createWallet(cny(10_000));
        const { code } = await core.service.issueWalletCode(walletId);
        const facts = paymentFacts(1, minor);
        expect(await term.client.authorise({ ...facts, code })).toMatchObject({ outcome: 'approved' });
        return { term, walletId, facts };
      }

      it('refunds a whole approved payment to its wallet, once', async () => {
        const { term, walletId, facts } = await approvedPayment(2_500);
        expect(await balance(walletId)).toEqual(cny(7_500));
        const req = { amount: cny(2_500), reason: 'returned goods' };
        expect(await term.client.refund(facts.paymentId, req)).toEqual({
          paymentId: facts.paymentId,
          state: 'refunded',
          duplicate: false,
        });
        expect(await balance(walletId)).toEqual(cny(10_000));
        expect(await term.client.query(facts.paymentId)).toEqual({
          paymentId: facts.paymentId,
          state: 'refunded',
          reason: 'returned goods',
        });
        expect(await ledgerOf(facts.paymentId)).toEqual({
          kinds: ['payment', 'payment', 'refund', 'refund'],
          sum: 0,
        });
        expect(await term.client.refund(facts.paymentId, req)).toEqual({
          paymentId: facts.paymentId,
          state: 'refunded',
          duplicate: true,
        });
        expect(await balance(walletId)).toEqual(cny(10_000));
        // A cancel after the refund is too late, and says what the payment is.
        expect(await term.client.cancel(facts.paymentId, cancelBody(facts))).toMatchObject({
          outcome: 'too_late',
          state: 'refunded',
        });
        expect(await balance(walletId)).toEqual(cny(10_000));
        expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
      });

      it('voids (cancels and reverses) a settled offline payment the day it settled, and not the next day', async () => {
        const term = await activatedTerminal(core);
        const { walletId } = await core.service.createWallet(cny(10_000));
        const head = { entrySeq: 0, hash: '0'.repeat(64), signature: null };
        const stored = async (seq: number) => {
          const p: UploadedPayment = {
            ...paymentFacts(seq, 600),
            state: 'accepted_offline',
            code: (await core.service.issueWalletCode(walletId)).code,
          };
          const up = await term.client.upload({
            payments: [p],
            head,
            atAnchor: null,
            queueDepth: 0,
            softwareVersion: 't',
          });
          expect(up.results[0]?.state).toBe('settled');
          const { paymentId, code: _code, state: _state, ...facts } = p;
          return { paymentId, facts };
        };
        // The core judges "the same day" by the real clock: not across the wallet day's end.
        await clearOfWalletDayEnd();
        const today = await stored(1);
        expect(await balance(walletId)).toEqual(cny(9_400));
        expect(await term.client.cancel(today.paymentId, today.facts)).toMatchObject({
          outcome: 'cancelled',
          state: 'cancelled',
          reason: 'cancelled and reversed at the terminal, the day it was settled',
        });
        expect(await balance(walletId)).toEqual(cny(10_000));
        // Settled yesterday (in the wallet's day): too late, refund it instead.
        const later = await stored(2);
        await t.db.query(
          "UPDATE payments SET received_at = received_at - interval '1 day' WHERE payment_id = $1",
          [later.paymentId],
        );
        expect(await term.client.cancel(later.paymentId, later.facts)).toMatchObject({
          outcome: 'too_late',
          state: 'settled',
          reason: expect.stringContaining('refund it instead'),
        });
        expect(await balance(walletId)).toEqual(cny(9_400));
        expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
      });

      it('refunds a paid order, and a settled offline payment once it has synced', async () => {
        const term = await activatedTerminal(core);
        const { walletId } = await core.service.createWallet(cny(10_000));
        const order = paymentFacts(1, 1_000);
        await term.client.createOrder(order);
        expect((await payOrder(walletId, order.paymentId)).status).toBe(200);
        await term.client.refund(order.paymentId, { amount: cny(1_000) });
        expect(await balance(walletId)).toEqual(cny(10_000));

        const { code } = await core.service.issueWalletCode(walletId);
        const stored: UploadedPayment = { ...paymentFacts(2, 600), state: 'accepted_offline', code };
        // Not uploaded yet: the core doesn't know it.
        expect(await rejected(term.client.refund(stored.paymentId, { amount: cny(600) }))).toMatchObject({
          status: 404,
          code: 'NOT_FOUND',
        });
        const up = await term.client.upload({
          payments: [stored],
          head: { entrySeq: 0, hash: '0'.repeat(64), signature: null },
          atAnchor: null,
          queueDepth: 0,
          softwareVersion: 't',
        });
        expect(up.results[0]?.state).toBe('settled');
        expect(await balance(walletId)).toEqual(cny(9_400));
        expect(await term.client.refund(stored.paymentId, { amount: cny(600) })).toMatchObject({
          duplicate: false,
        });
        expect(await balance(walletId)).toEqual(cny(10_000));
        // The results of a sync carry these states too.
        const { results } = await term.client.results(1, 10);
        expect(results.map((r) => [r.seq, r.state])).toEqual([
          [1, 'refunded'],
          [2, 'refunded'],
        ]);
        expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
      });

      it("refuses a partial refund, a payment not approved, an unknown one and another terminal's", async () => {
        const { term, walletId, facts } = await approvedPayment(2_500);
        const partial = await rejected(term.client.refund(facts.paymentId, { amount: cny(1_000) }));
        expect(partial).toMatchObject({ status: 409, code: 'PARTIAL_REFUND' });
        expect(partial.message).toContain('the operator does partial refunds');
        const currency = await rejected(
          term.client.refund(facts.paymentId, { amount: { minor: 2_500, currency: 'USD' } }),
        );
        expect(currency.code).toBe('PARTIAL_REFUND');

        const poor = await core.service.createWallet(cny(100));
        const { code } = await core.service.issueWalletCode(poor.walletId);
        const declined = paymentFacts(2, 500);
        expect(await term.client.authorise({ ...declined, code })).toMatchObject({ outcome: 'declined' });
        const notApproved = await rejected(term.client.refund(declined.paymentId, { amount: cny(500) }));
        expect(notApproved).toMatchObject({ status: 409, code: 'NOT_REFUNDABLE' });
        expect(notApproved.message).toContain('declined');
        const order = paymentFacts(3, 700);
        await term.client.createOrder(order);
        const pending = await rejected(term.client.refund(order.paymentId, { amount: cny(700) }));
        expect(pending).toMatchObject({ code: 'NOT_REFUNDABLE' });
        expect(pending.message).toContain('pending');

        expect(await rejected(term.client.refund(crypto.randomUUID(), { amount: cny(2_500) }))).toMatchObject(
          { status: 404, code: 'NOT_FOUND' },
        );
        const other = await activatedTerminal(core);
        expect(await rejected(other.client.refund(facts.paymentId, { amount: cny(2_500) }))).toMatchObject({
          status: 404,
          code: 'NOT_FOUND',
        });
        const bad = await rejected(term.client.refund(facts.paymentId, { amount: cny(0) }));
        expect(bad).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
        expect(await balance(walletId)).toEqual(cny(7_500));
        expect(await term.client.query(facts.paymentId)).toMatchObject({ state: 'approved' });
      });
    });

    it('keeps the books balanced: every movement sums to zero, wallets match their entries', async () => {
      expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
    });
  });
});

/** Waits out the last 10 s of the wallet's day (UTC+8), so a test's steps fall on one day. */
async function clearOfWalletDayEnd(): Promise<void> {
  const now = Date.now();
  if (walletDay(new Date(now)) === walletDay(new Date(now + 10_000))) return;
  let end = now;
  while (walletDay(new Date(end)) === walletDay(new Date(now))) end += 1_000;
  await new Promise((resolve) => setTimeout(resolve, end - now + 100));
}
