/**
 * The reference core over HTTP, the same suite against a real PostgreSQL server and against PGlite:
 * activation, device authentication (unsigned, tampered, replayed, stale, skewed clocks, revoked),
 * online payments (idempotent, conflicts, cancel), store and forward (seq order, balances, codes,
 * duplicates, conflicts, contiguity, anchoring), validation and the ledger; /healthz with the
 * database closed, dropped, or hung.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CoreRejectedError } from '../client/errors.ts';
import { contentDigest, signRequest } from '../protocol/signing.ts';
import type { UploadedPayment } from '../protocol/wire.ts';
import { openCoreDb } from './db.ts';
import { HEALTH_DB_TIMEOUT_MS, operatorAddress, type RunningCore } from './server.ts';
import {
  activatedTerminal,
  BACKENDS,
  type Backend,
  cny,
  createPostgresDatabase,
  newTestTerminal,
  openTestDb,
  POSTGRES_SKIP_REASON,
  paymentFacts,
  postgresAvailable,
  startTestCore,
  type TestClock,
  type TestDb,
} from './testing.ts';

const pgOk = await postgresAvailable();
/** Accepts any answer: for requests expected to be refused. */
const ErrorSchema = z.unknown();

async function rejected(p: Promise<unknown>): Promise<CoreRejectedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CoreRejectedError) return err;
    throw err;
  }
  throw new Error('expected the core to refuse');
}

describe('where the operator routes are reached (always on loopback)', () => {
  it.each([
    ['0.0.0.0', { host: '127.0.0.1', ownListener: false }],
    ['127.0.0.1', { host: '127.0.0.1', ownListener: false }],
    ['::', { host: '::1', ownListener: false }],
    ['::1', { host: '::1', ownListener: false }],
    // An interface's address, or another loopback alias: 127.0.0.1 reaches no listener there.
    ['192.0.2.2', { host: '127.0.0.1', ownListener: true }],
    ['fd00::2', { host: '127.0.0.1', ownListener: true }],
    ['127.0.0.2', { host: '127.0.0.1', ownListener: true }],
  ])('listening on %s', (address, expected) => {
    expect(operatorAddress(address)).toEqual(expected);
  });
});

describe.each(BACKENDS)('core on %s', (backend: Backend) => {
  const skip = backend === 'postgres' && !pgOk;
  let t: TestDb;
  let core: RunningCore & { clock: TestClock };

  beforeAll(async () => {
    if (skip) return;
    t = await openTestDb(backend);
    core = await startTestCore(t.db);
  }, 60_000);
  afterAll(async () => {
    if (skip) return;
    await core.close();
    await t.cleanup();
  });

  /** A wallet and a fresh code for it. */
  async function walletWithCode(minor: number) {
    const { walletId } = await core.service.createWallet(cny(minor));
    const { code } = await core.service.issueWalletCode(walletId);
    return { walletId, code };
  }

  describe.skipIf(skip)(`(${skip ? POSTGRES_SKIP_REASON : 'running'})`, () => {
    it('answers /healthz', async () => {
      const r = await fetch(`${core.url}/healthz`);
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ ok: true, database: backend });
    });

    describe('activation', () => {
      const activateWith = (x: ReturnType<typeof newTestTerminal>, code: string) =>
        x.client.activate({
          code,
          terminalId: x.terminalId,
          publicKey: x.publicKeyB64,
          softwareVersion: 't',
        });

      it('binds a terminal to the merchant of a code that works once', async () => {
        const { merchantId } = await core.service.createMerchant('Noodles');
        const { code, expiresAt } = await core.service.createActivationCode(merchantId);
        expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
        expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
        const a = newTestTerminal(core.url);
        const body = (x: typeof a) => ({
          code,
          terminalId: x.terminalId,
          publicKey: x.publicKeyB64,
          softwareVersion: 't',
        });
        expect(await a.client.activate(body(a))).toEqual({
          terminalId: a.terminalId,
          merchantId,
          merchantName: 'Noodles',
        });
        const b = newTestTerminal(core.url);
        expect((await rejected(b.client.activate(body(b)))).code).toBe('ACTIVATION_CODE_USED');
        expect((await rejected(b.client.activate({ ...body(b), code: 'AAAA-BBBB-CCCC' }))).code).toBe(
          'ACTIVATION_CODE_INVALID',
        );
      });

      it('answers the terminal that used a code again as the first time (its answer was lost), no other', async () => {
        const { merchantId } = await core.service.createMerchant('Dumplings');
        const { code } = await core.service.createActivationCode(merchantId);
        const a = newTestTerminal(core.url);
        const first = await activateWith(a, code);
        expect(first).toEqual({ terminalId: a.terminalId, merchantId, merchantName: 'Dumplings' });
        expect(await activateWith(a, code)).toEqual(first);
        const b = newTestTerminal(core.url);
        expect((await rejected(activateWith(b, code))).code).toBe('ACTIVATION_CODE_USED');
        // Once revoked, the same code doesn't bring it back.
        await core.service.revokeTerminal(a.terminalId);
        expect((await rejected(activateWith(a, code))).code).toBe('TERMINAL_REVOKED');
      });

      it('refuses an expired code, and a key that is not the terminal id', async () => {
        const { merchantId } = await core.service.createMerchant('Tea');
        const { code } = await core.service.createActivationCode(merchantId, -1);
        const a = newTestTerminal(core.url);
        const body = { code, terminalId: a.terminalId, publicKey: a.publicKeyB64, softwareVersion: 't' };
        expect((await rejected(a.client.activate(body))).code).toBe('ACTIVATION_CODE_EXPIRED');
        const other = newTestTerminal(core.url);
        const fresh = await core.service.createActivationCode(merchantId);
        const r = await rejected(
          a.client.activate({ ...body, code: fresh.code, publicKey: other.publicKeyB64 }),
        );
        expect(r.status).toBe(401); // signed by a's key, presenting another key
      });

      /** The terminal's row as the core holds it. */
      const terminalRow = async (terminalId: string) =>
        (
          await t.db.query<{ merchant_id: string; status: string; revoked_at: Date | null }>(
            'SELECT merchant_id, status, revoked_at FROM terminals WHERE terminal_id = $1',
            [terminalId],
          )
        ).rows[0];

      it('activates an active terminal again for its own merchant (a lost activation record)', async () => {
        const term = await activatedTerminal(core);
        const { code } = await core.service.createActivationCode(term.merchantId);
        expect(await activateWith(term, code)).toMatchObject({ merchantId: term.merchantId });
        expect(await terminalRow(term.terminalId)).toEqual({
          merchant_id: term.merchantId,
          status: 'active',
          revoked_at: null,
        });
        await term.client.syncState();
      });

      it('keeps a revoked terminal revoked: activation is refused and the code stays unused', async () => {
        const term = await activatedTerminal(core);
        await core.service.revokeTerminal(term.terminalId);
        const before = await terminalRow(term.terminalId);
        const { code } = await core.service.createActivationCode(term.merchantId);
        const r = await rejected(activateWith(term, code));
        expect(r).toMatchObject({ status: 401, code: 'TERMINAL_REVOKED' });
        expect(r.message).toMatch(/revoked by the operator.*new data folder with a new key/);
        expect(await terminalRow(term.terminalId)).toEqual(before);
        expect((await rejected(term.client.syncState())).code).toBe('TERMINAL_REVOKED');
        // The code was not used up: a terminal set up anew takes it.
        const anew = newTestTerminal(core.url);
        expect(await activateWith(anew, code)).toMatchObject({ merchantId: term.merchantId });
      });

      it('refuses to move a terminal to another merchant, and leaves the code unused', async () => {
        const term = await activatedTerminal(core);
        const { merchantId: other } = await core.service.createMerchant('Dumplings');
        const { code } = await core.service.createActivationCode(other);
        const r = await rejected(activateWith(term, code));
        expect(r).toMatchObject({ status: 409, code: 'CONFLICT' });
        expect(r.message).toContain(`belongs to merchant Test Shop (${term.merchantId})`);
        expect(r.message).toContain('new terminal in a new data folder');
        expect(await terminalRow(term.terminalId)).toMatchObject({
          merchant_id: term.merchantId,
          status: 'active',
        });
        // Payments it uploads are still its own merchant's; the code serves a new terminal.
        await term.client.syncState();
        const anew = newTestTerminal(core.url);
        expect(await activateWith(anew, code)).toMatchObject({ merchantId: other });
      });

      it('binds a new terminal activated twice at once, for two merchants, to one of them', async () => {
        const codes = await Promise.all(
          ['Rice', 'Buns'].map(async (name) => {
            const { merchantId } = await core.service.createMerchant(name);
            return { merchantId, ...(await core.service.createActivationCode(merchantId)) };
          }),
        );
        const term = newTestTerminal(core.url);
        const outcomes = await Promise.allSettled(codes.map((c) => activateWith(term, c.code)));
        const won = outcomes.findIndex((o) => o.status === 'fulfilled');
        const lost = outcomes[1 - won] as PromiseRejectedResult;
        expect(lost.reason).toMatchObject({ status: 409, code: 'CONFLICT' });
        expect((await terminalRow(term.terminalId))?.merchant_id).toBe(codes[won]?.merchantId);
        const anew = newTestTerminal(core.url);
        expect(await activateWith(anew, codes[1 - won]?.code as string)).toMatchObject({
          merchantId: codes[1 - won]?.merchantId,
        });
      });
    });

    describe('device authentication', () => {
      let term: Awaited<ReturnType<typeof activatedTerminal>>;
      beforeAll(async () => {
        term = await activatedTerminal(core);
      });

      /** A raw signed request, so each part can be tampered with after signing. */
      function signed(
        method: string,
        target: string,
        body: string,
        over: { now?: number; nonce?: string; as?: Pick<typeof term, 'terminalId' | 'sign'> } = {},
      ) {
        const as = over.as ?? term;
        return signRequest({
          method,
          target,
          body,
          keyid: as.terminalId,
          sign: as.sign,
          now: over.now ?? Date.now(),
          localNow: Date.now(),
          ...(over.nonce ? { nonce: over.nonce } : {}),
        });
      }
      async function send(method: string, target: string, body: string, headers: Record<string, string>) {
        const r = await fetch(`${core.url}${target}`, {
          method,
          headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body || undefined,
        });
        return { status: r.status, json: (await r.json()) as { error?: { code: string; message: string } } };
      }

      it('accepts a well-signed request', async () => {
        const r = await send('GET', '/v1/sync/state', '', signed('GET', '/v1/sync/state', ''));
        expect(r.status).toBe(200);
      });

      it('refuses unsigned requests with 401 and a reason', async () => {
        const r = await send('GET', '/v1/sync/state', '', {});
        expect(r).toMatchObject({ status: 401, json: { error: { code: 'UNAUTHENTICATED' } } });
        expect(r.json.error?.message).toContain('not signed');
      });

      it('refuses a request whose signed parts were tampered with, each one', async () => {
        const body = JSON.stringify({ paymentId: crypto.randomUUID() });
        const base = () => signed('POST', '/v1/payments/authorise', body);
        const cases: [string, () => Promise<{ status: number; json: { error?: { code: string } } }>][] = [
          ['method', () => send('PUT', '/v1/payments/authorise', body, base())],
          ['path', () => send('POST', '/v1/sync/upload', body, base())],
          ['query', () => send('POST', '/v1/payments/authorise?x=1', body, base())],
          ['body', () => send('POST', '/v1/payments/authorise', body.replace('"}', 'f"}'), base())],
          [
            'content-digest',
            () =>
              send('POST', '/v1/payments/authorise', body, {
                ...base(),
                'content-digest': contentDigest('{}'),
              }),
          ],
          [
            'local time',
            () => send('POST', '/v1/payments/authorise', body, { ...base(), 'suanpan-local-time': '1' }),
          ],
          [
            'created',
            () => {
              const h = base();
              return send('POST', '/v1/payments/authorise', body, {
                ...h,
                'signature-input': h['signature-input']?.replace(
                  /created=(\d+)/,
                  (_, c) => `created=${Number(c) - 1}`,
                ) as string,
              });
            },
          ],
          [
            'nonce',
            () => {
              const h = base();
              return send('POST', '/v1/payments/authorise', body, {
                ...h,
                'signature-input': h['signature-input']?.replace(
                  /nonce="([^"]+)"/,
                  'nonce="AAAAAAAAAAAAAAAAAAAAAA"',
                ) as string,
              });
            },
          ],
          [
            'signature',
            () => {
              const h = base();
              const sig = Buffer.from(h.signature?.slice(4, -1) as string, 'base64');
              sig[0] = (sig[0] as number) ^ 1;
              return send('POST', '/v1/payments/authorise', body, {
                ...h,
                signature: `sp=:${sig.toString('base64')}:`,
              });
            },
          ],
        ];
        for (const [part, attempt] of cases) {
          const r = await attempt();
          expect(r.status, part).toBe(part === 'method' ? 404 : 401);
          if (part !== 'method') expect(r.json.error?.code, part).toBe('BAD_SIGNATURE');
        }
        // A method the route doesn't have never gets as far as the signature: PUT is 404. Tamper it
        // onto a route that has both: a signed GET replayed as POST.
        const h = signed('GET', '/v1/sync/state', '');
        const r = await send('POST', '/v1/sync/state', '', h);
        expect(r.status).toBe(404);
      });

      it('refuses a replayed request: the same nonce is accepted once', async () => {
        const h = signed('GET', '/v1/sync/state', '');
        expect((await send('GET', '/v1/sync/state', '', h)).status).toBe(200);
        const again = await send('GET', '/v1/sync/state', '', h);
        expect(again).toMatchObject({ status: 401, json: { error: { code: 'REPLAYED_REQUEST' } } });
      });

      // An online payment is admitted in its own transaction (CoreService.authorise): the same rules.
      it('refuses a replayed online payment, approved or refused as a conflict the first time', async () => {
        const { walletId, code } = await walletWithCode(10_000);
        const req = { ...paymentFacts(900_001, 1_000), code };
        const body = JSON.stringify(req);
        const h = signed('POST', '/v1/payments/authorise', body);
        expect((await send('POST', '/v1/payments/authorise', body, h)).status).toBe(200);
        const again = await send('POST', '/v1/payments/authorise', body, h);
        expect(again).toMatchObject({ status: 401, json: { error: { code: 'REPLAYED_REQUEST' } } });

        const other = JSON.stringify({ ...req, amount: cny(5) });
        const h2 = signed('POST', '/v1/payments/authorise', other);
        const first = await send('POST', '/v1/payments/authorise', other, h2);
        expect(first).toMatchObject({ status: 409, json: { error: { code: 'CONFLICT' } } });
        const replayed = await send('POST', '/v1/payments/authorise', other, h2);
        expect(replayed).toMatchObject({ status: 401, json: { error: { code: 'REPLAYED_REQUEST' } } });

        // A bad body uses its nonce up too, and a replay of it is refused as replayed.
        const bad = JSON.stringify({ ...req, amount: { minor: -1, currency: 'CNY' } });
        const h3 = signed('POST', '/v1/payments/authorise', bad);
        expect((await send('POST', '/v1/payments/authorise', bad, h3)).status).toBe(400);
        const badAgain = await send('POST', '/v1/payments/authorise', bad, h3);
        expect(badAgain).toMatchObject({ status: 401, json: { error: { code: 'REPLAYED_REQUEST' } } });
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(9_000));
      });

      // An upload is admitted before its transaction, which may be refused and rolled back: the same rules.
      it('refuses a replayed upload, taken or refused the first time', async () => {
        const other = await activatedTerminal(core);
        const { walletId, code } = await walletWithCode(10_000);
        const target = '/v1/sync/upload';
        const upload = (payments: unknown[], head = { entrySeq: 0, hash: '0'.repeat(64), signature: null }) =>
          JSON.stringify({ payments, head, atAnchor: null, queueDepth: 0, softwareVersion: 't' });
        const twice = async (body: string) => {
          const h = signed('POST', target, body, { as: other });
          const first = await send('POST', target, body, h);
          const again = await send('POST', target, body, h);
          expect(again).toMatchObject({ status: 401, json: { error: { code: 'REPLAYED_REQUEST' } } });
          return first;
        };

        const taken = await twice(upload([{ ...paymentFacts(1, 1_000), state: 'accepted_offline', code }]));
        expect(taken.status).toBe(200);
        // Refused inside its transaction (a head past entry 0 without a signature), rolled back:
        // its nonce was used up before it.
        const unsigned = await twice(upload([], { entrySeq: 5, hash: 'ab'.repeat(32), signature: null }));
        expect(unsigned).toMatchObject({ status: 400, json: { error: { code: 'BAD_REQUEST' } } });
        // A bad body, refused before the transaction.
        const bad = await twice(upload([{ ...paymentFacts(2, -1), state: 'accepted_offline', code }]));
        expect(bad.status).toBe(400);
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(9_000));
      });

      it('refuses an online payment from a revoked terminal, before judging its body', async () => {
        const other = await activatedTerminal(core);
        const { walletId, code } = await walletWithCode(10_000);
        await core.service.revokeTerminal(other.terminalId);
        const paid = await rejected(other.client.authorise({ ...paymentFacts(1, 1_000), code }));
        expect(paid).toMatchObject({ status: 401, code: 'TERMINAL_REVOKED' });
        const bad = await rejected(other.client.authorise({ ...paymentFacts(2, 1_000), code: 'x' }));
        expect(bad).toMatchObject({ status: 401, code: 'TERMINAL_REVOKED' });
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(10_000));
      });

      it('refuses stale requests, outside ±300 s of the core clock', async () => {
        for (const skew of [-301_000, 301_000]) {
          const r = await send(
            'GET',
            '/v1/sync/state',
            '',
            signed('GET', '/v1/sync/state', '', { now: Date.now() + skew }),
          );
          expect(r).toMatchObject({ status: 401, json: { error: { code: 'STALE_REQUEST' } } });
        }
        const ok = await send(
          'GET',
          '/v1/sync/state',
          '',
          signed('GET', '/v1/sync/state', '', { now: Date.now() - 250_000 }),
        );
        expect(ok.status).toBe(200);
      });

      it("learns a terminal's clock offset from when a request arrived, not from when its body ended", async () => {
        // A batch on a slow rural link: the headers come at once, the body over seconds. Counting
        // the transfer as clock error makes every offline code it carries look that much older.
        const body = JSON.stringify({ payments: [] });
        const headers = signed('POST', '/v1/sync/upload', body);
        const { hostname, port } = new URL(core.url);
        const status = await new Promise<number>((resolve, reject) => {
          const socket = net.connect(Number(port), hostname, () => {
            socket.write(
              `POST /v1/sync/upload HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n` +
                `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n` +
                `${Object.entries(headers)
                  .map(([k, v]) => `${k}: ${v}\r\n`)
                  .join('')}\r\n${body.slice(0, 1)}`,
            );
            setTimeout(() => socket.write(body.slice(1)), 1_500);
          });
          let answer = '';
          socket.on('data', (d) => {
            answer += d;
          });
          socket.on('end', () => resolve(Number(answer.split(' ')[1])));
          socket.on('error', reject);
        });
        expect(status).not.toBe(401);
        const rows = await t.db.query<{ clock_offset_ms: string }>(
          'SELECT clock_offset_ms FROM terminals WHERE terminal_id = $1',
          [term.terminalId],
        );
        expect(Math.abs(Number(rows.rows[0]?.clock_offset_ms))).toBeLessThan(1_000);
      });

      it.each([-1, 1])(
        'a terminal whose clock is %i day off corrects itself from the Date header',
        async (days) => {
          const skewed = await activatedTerminal(core, { localNow: () => Date.now() + days * 86_400_000 });
          // First call: signed a day off, refused as stale, the offset learned from Date, signed again.
          const state = await skewed.client.syncState();
          expect(state.terminalId).toBe(skewed.terminalId);
          expect(Math.abs(skewed.client.clockOffsetMs + days * 86_400_000)).toBeLessThan(2_000);
          // The core learned the terminal's clock offset too (for judging offline capture times).
          const rows = await t.db.query<{ clock_offset_ms: number }>(
            'SELECT clock_offset_ms FROM terminals WHERE terminal_id = $1',
            [skewed.terminalId],
          );
          expect(Math.abs((rows.rows[0]?.clock_offset_ms ?? 0) + days * 86_400_000)).toBeLessThan(2_000);
        },
      );

      it('refuses a revoked terminal, and an unknown one', async () => {
        const other = await activatedTerminal(core);
        await other.client.syncState();
        await core.service.revokeTerminal(other.terminalId);
        expect((await rejected(other.client.syncState())).code).toBe('TERMINAL_REVOKED');
        const stranger = newTestTerminal(core.url);
        expect((await rejected(stranger.client.syncState())).code).toBe('UNKNOWN_TERMINAL');
      });
    });

    describe('online payments', () => {
      let term: Awaited<ReturnType<typeof activatedTerminal>>;
      let seq = 0;
      beforeAll(async () => {
        term = await activatedTerminal(core);
      });

      it('approves within the balance, debits the wallet, and answers a retry the same way', async () => {
        const { walletId, code } = await walletWithCode(10_000);
        const req = { ...paymentFacts(++seq, 2_500), code };
        expect(await term.client.authorise(req)).toEqual({
          paymentId: req.paymentId,
          outcome: 'approved',
          duplicate: false,
        });
        expect(await term.client.authorise(req)).toEqual({
          paymentId: req.paymentId,
          outcome: 'approved',
          duplicate: true,
        });
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(7_500));
        expect(await term.client.query(req.paymentId)).toEqual({
          paymentId: req.paymentId,
          state: 'approved',
        });
      });

      it('declines: insufficient balance, code reused, code expired, unknown code', async () => {
        const poor = await walletWithCode(100);
        const r1 = await term.client.authorise({ ...paymentFacts(++seq, 200), code: poor.code });
        expect(r1).toMatchObject({ outcome: 'declined', reason: 'insufficient balance' });
        // The code is used up even though the payment failed.
        const r2 = await term.client.authorise({ ...paymentFacts(++seq, 50), code: poor.code });
        expect(r2).toMatchObject({ outcome: 'declined', reason: 'payment code already used' });
        const rich = await walletWithCode(10_000);
        core.clock.offsetMs = 61_000;
        try {
          const r3 = await term.client.authorise({ ...paymentFacts(++seq, 50), code: rich.code });
          expect(r3).toMatchObject({ outcome: 'declined', reason: 'payment code expired' });
        } finally {
          core.clock.offsetMs = 0;
        }
        const r4 = await term.client.authorise({ ...paymentFacts(++seq, 50), code: '280000000000000000' });
        expect(r4).toMatchObject({ outcome: 'declined', reason: 'unknown payment code' });
      });

      it('the same paymentId with a different amount or code is a conflict, never an overwrite', async () => {
        const { walletId, code } = await walletWithCode(10_000);
        const req = { ...paymentFacts(++seq, 1_000), code };
        await term.client.authorise(req);
        const amount = await rejected(term.client.authorise({ ...req, amount: cny(1) }));
        expect(amount).toMatchObject({ status: 409, code: 'CONFLICT' });
        expect(amount.message).toContain('amount 1000 CNY ≠ 1 CNY');
        const codeHash = crypto.createHash('sha256').update('other').digest('hex');
        expect((await rejected(term.client.authorise({ ...req, codeHash }))).code).toBe('CONFLICT');
        // Same hash, another code: the core knows the code this payment used, so it sees the difference.
        const other = await core.service.issueWalletCode(walletId);
        const recoded = await rejected(term.client.authorise({ ...req, code: other.code }));
        expect(recoded).toMatchObject({ status: 409, code: 'CONFLICT' });
        expect(recoded.message).toContain('payment code differs');
        expect((await core.service.terminals({ terminalId: term.terminalId }))[0]?.integrityAlert).toBeNull();
        // Another payment at a seq the core holds: two journals under one key (a copied data folder).
        // Refused as in an upload, and the terminal flagged for the operator.
        const atSeq = paymentFacts(req.seq, 5);
        const seqTaken = await rejected(term.client.authorise({ ...atSeq, code }));
        expect(seqTaken).toMatchObject({ status: 409, code: 'JOURNAL_DIVERGED' });
        expect(seqTaken.message).toContain(
          `payment ${atSeq.paymentId} at seq ${req.seq}, which the core holds as payment ${req.paymentId}`,
        );
        const [flagged] = await core.service.terminals({ terminalId: term.terminalId });
        expect(flagged?.integrityAlert).toBe(seqTaken.message);
        // Its cancel (the copy's payment in doubt) finds the same.
        const { paymentId: otherId, ...otherFacts } = atSeq;
        expect(await rejected(term.client.cancel(otherId, otherFacts))).toMatchObject({
          status: 409,
          code: 'JOURNAL_DIVERGED',
        });
        await t.db.query('UPDATE terminals SET integrity_alert = NULL WHERE terminal_id = $1', [
          term.terminalId,
        ]);
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(9_000));
      });

      it('cancel: a payment the core never saw is refused for good; one approved today is reversed', async () => {
        const unseen = paymentFacts(++seq, 700);
        const { paymentId, ...facts } = unseen;
        expect(await term.client.cancel(paymentId, facts)).toMatchObject({
          outcome: 'cancelled',
          state: 'cancelled',
        });
        // The late original arrives after the cancel: it gets the cancellation, nothing is charged.
        const { walletId, code } = await walletWithCode(10_000);
        expect(await term.client.authorise({ ...unseen, code })).toMatchObject({
          outcome: 'declined',
          duplicate: true,
        });
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(10_000));

        const paid = {
          ...paymentFacts(++seq, 900),
          code: (await core.service.issueWalletCode(walletId)).code,
        };
        await term.client.authorise(paid);
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(9_100));
        const { paymentId: pid, code: _c, ...paidFacts } = paid;
        expect(await term.client.cancel(pid, paidFacts)).toMatchObject({
          outcome: 'cancelled',
          state: 'cancelled',
        });
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(10_000));
        expect(await term.client.query(pid)).toMatchObject({ state: 'cancelled' });
      });

      it('two cancels at once reverse a payment once', async () => {
        const { walletId, code } = await walletWithCode(10_000);
        const paid = { ...paymentFacts(++seq, 1_000), code };
        await term.client.authorise(paid);
        const { paymentId, code: _c, ...facts } = paid;
        const answers = await Promise.all(
          Array.from({ length: 4 }, () => term.client.cancel(paymentId, facts)),
        );
        expect(answers.map((a) => a.state)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(10_000));
        expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
      });

      it('refuses unknown fields and wrong types with 400 naming the field', async () => {
        const { code } = await walletWithCode(100);
        const extra = await rejected(
          term.client.call(
            'POST',
            '/v1/payments/authorise',
            { ...paymentFacts(++seq), code, tip: 1 },
            ErrorSchema,
          ),
        );
        expect(extra).toMatchObject({ status: 400, code: 'BAD_REQUEST', field: 'tip' });
        const wrong = await rejected(
          term.client.call(
            'POST',
            '/v1/payments/authorise',
            { ...paymentFacts(++seq), code, amount: { minor: '12.50', currency: 'CNY' } },
            ErrorSchema,
          ),
        );
        expect(wrong).toMatchObject({ status: 400, field: 'amount.minor' });
        const float = await rejected(
          term.client.call(
            'POST',
            '/v1/payments/authorise',
            { ...paymentFacts(++seq), code, amount: { minor: 12.5, currency: 'CNY' } },
            ErrorSchema,
          ),
        );
        expect(float.field).toBe('amount.minor');
      });
    });

    describe('store and forward', () => {
      it('judges stored payments in seq order: codes, capture time, balance; duplicates and conflicts', async () => {
        const term = await activatedTerminal(core);
        const { walletId } = await core.service.createWallet(cny(3_000));
        const codes = await Promise.all([1, 2, 3, 4].map(() => core.service.issueWalletCode(walletId)));
        const offline = (
          seq: number,
          minor: number,
          code: string,
          capturedAt = new Date().toISOString(),
        ): UploadedPayment => ({
          ...paymentFacts(seq, minor),
          capturedAt,
          state: 'accepted_offline',
          code,
        });
        const payments: UploadedPayment[] = [
          offline(1, 1_000, codes[0]?.code as string),
          offline(2, 1_500, codes[1]?.code as string),
          offline(3, 1_000, codes[2]?.code as string), // balance runs out here
          offline(4, 100, codes[3]?.code as string, new Date(Date.now() + 120_000).toISOString()), // captured after expiry
          {
            ...paymentFacts(5, 99_999),
            state: 'declined',
            mode: 'offline',
            reason: 'over the offline limit, by ¥0.01 "per payment"',
          },
          offline(6, 100, codes[0]?.code as string), // a code already used (by seq 1)
        ];
        const head = { entrySeq: 0, hash: '0'.repeat(64), signature: null };
        const request = { payments, head, atAnchor: null, queueDepth: 4, softwareVersion: 't' };
        const first = await term.client.upload(request);
        expect(first.results.map((r) => [r.seq, r.state, r.reason ?? null, r.duplicate])).toEqual([
          [1, 'settled', null, false],
          [2, 'settled', null, false],
          [3, 'declined_after_sync', 'insufficient balance', false],
          [4, 'declined_after_sync', 'payment code expired', false],
          [5, 'declined', 'over the offline limit, by ¥0.01 "per payment"', false],
          [6, 'declined_after_sync', 'payment code already used', false],
        ]);
        expect(first.highestContiguousSeq).toBe(6);
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(500));

        // The same batch again (a lost answer): the same results, read back from what the core
        // stored (reasons with their commas and quotes), nothing applied twice.
        const again = await term.client.upload(request);
        expect(again.results.map((r) => [r.seq, r.state, r.reason ?? null, r.duplicate])).toEqual(
          first.results.map((r) => [r.seq, r.state, r.reason ?? null, true]),
        );
        const stored = await t.db.query(
          `SELECT seq::int, amount_minor::int, currency, scheme, encode(code_hash, 'hex') AS hash, captured_at, mode,
                  state, reason, wallet_id, wallet_code FROM payments WHERE terminal_id = $1 ORDER BY seq`,
          [term.terminalId],
        );
        expect(stored.rows).toEqual(
          payments.map((p, i) => ({
            seq: p.seq,
            amount_minor: p.amount.minor,
            currency: 'CNY',
            scheme: p.scheme,
            hash: p.codeHash,
            captured_at: new Date(p.capturedAt),
            mode: 'offline',
            state: first.results[i]?.state,
            reason: first.results[i]?.reason ?? null,
            // Seq 5 was declined at the terminal: no code, no wallet. Seq 6's code is seq 1's.
            wallet_id: p.seq === 5 ? null : walletId,
            wallet_code: p.seq === 5 || p.seq === 6 ? null : (p as { code: string }).code,
          })),
        );
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(500));

        // Other facts under a known id: a conflict, never an overwrite.
        const changed = { ...(payments[0] as UploadedPayment), amount: cny(1) };
        const c = await term.client.upload({ ...request, payments: [changed] });
        expect(c.results).toEqual([]);
        expect(c.conflicts.map((x) => x.seq)).toEqual([1]);
        expect(c.conflicts[0]?.reason).toContain('amount');
        // Another payment at a known seq: another journal under this key; the upload is refused whole.
        const otherAtSeq = offline(2, 100, '281111111111111111');
        const taken = await rejected(term.client.upload({ ...request, payments: [otherAtSeq] }));
        expect(taken).toMatchObject({ status: 409, code: 'JOURNAL_DIVERGED' });
        // The same facts and hash with another raw code than the one the core took: a conflict too.
        const recoded = { ...(payments[0] as UploadedPayment), code: '281111111111111111' };
        const rc = await term.client.upload({ ...request, payments: [recoded] });
        expect(rc.results).toEqual([]);
        expect(rc.conflicts).toEqual([
          { paymentId: recoded.paymentId, seq: 1, reason: expect.stringContaining('payment code differs') },
        ]);
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(500));
        // A later batch with a code an earlier batch used (seq 2's): found used as the core reads it
        // back, not as this batch marks it; beside it a fresh code, taken.
        const fresh = await core.service.issueWalletCode(walletId);
        const later = await term.client.upload({
          ...request,
          payments: [offline(7, 100, codes[1]?.code as string), offline(8, 100, fresh.code)],
        });
        expect(later.results.map((r) => [r.seq, r.state, r.reason ?? null])).toEqual([
          [7, 'declined_after_sync', 'payment code already used'],
          [8, 'settled', null],
        ]);
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(400));
        expect((await core.service.ledgerCheck()).total).toBe(0);
      });

      it('finds a known payment sent again at a new seq, past every seq held: a conflict, and the rest taken', async () => {
        // A batch wholly past the terminal's last seq is taken without looking up what the core holds
        // (lockTerminal): the payment's row is refused by its key, and the batch is judged again.
        const term = await activatedTerminal(core);
        const { walletId } = await core.service.createWallet(cny(1_000));
        const [a, b] = await Promise.all([1, 2].map(() => core.service.issueWalletCode(walletId)));
        const offline = (seq: number, minor: number, code: string): UploadedPayment => ({
          ...paymentFacts(seq, minor),
          state: 'accepted_offline',
          code,
        });
        const head = { entrySeq: 0, hash: '0'.repeat(64), signature: null };
        const upload = (payments: UploadedPayment[]) =>
          term.client.upload({ payments, head, atAnchor: null, queueDepth: 0, softwareVersion: 't' });
        const first = offline(1, 100, a?.code as string);
        expect((await upload([first])).results.map((r) => r.state)).toEqual(['settled']);

        const renumbered = { ...first, seq: 2 };
        const r = await upload([renumbered, offline(3, 200, b?.code as string)]);
        expect(r.results.map((x) => [x.seq, x.state, x.duplicate])).toEqual([[3, 'settled', false]]);
        expect(r.conflicts).toEqual([
          { paymentId: first.paymentId, seq: 2, reason: 'held with other facts: seq 1 ≠ 2' },
        ]);
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(700));
        const held = await core.service.payments({ terminalId: term.terminalId });
        expect(held.map((p) => p.seq).sort()).toEqual([1, 3]);

        // As a record of a settled payment (never inserted: the core only settles what it judged),
        // the conflict is the same: the look-up finds it held at seq 1.
        const { paymentId, amount, scheme, codeHash, capturedAt } = first;
        const settled = { paymentId, seq: 4, amount, scheme, codeHash, capturedAt, state: 'settled' };
        const claimed = await upload([{ ...settled, mode: 'offline' } as UploadedPayment]);
        expect(claimed.conflicts).toEqual([
          { paymentId: first.paymentId, seq: 4, reason: 'held with other facts: seq 1 ≠ 4' },
        ]);
        expect((await core.service.wallet(walletId)).balance).toEqual(cny(700));
        expect((await core.service.ledgerCheck()).total).toBe(0);
      });

      it('judges an offline capture time by the terminal clock offset it learned', async () => {
        const behind = 3_600_000; // the terminal clock is an hour slow
        const term = await activatedTerminal(core, { localNow: () => Date.now() - behind });
        await term.client.syncState(); // offset learned (both ways)
        const { walletId } = await core.service.createWallet(cny(1_000));
        const { code } = await core.service.issueWalletCode(walletId);
        const capturedByTerminalClock = new Date(Date.now() - behind).toISOString();
        const r = await term.client.upload({
          payments: [
            { ...paymentFacts(1, 100), capturedAt: capturedByTerminalClock, state: 'accepted_offline', code },
          ],
          head: { entrySeq: 0, hash: '0'.repeat(64), signature: null },
          atAnchor: null,
          queueDepth: 1,
          softwareVersion: 't',
        });
        expect(r.results[0]?.state).toBe('settled');
      });

      it('judges by the clock offset a payment carries: the one the terminal knew when it captured', async () => {
        // The terminal's clock was an hour slow when it captured two payments offline, and has been
        // set right since: the offset the core measures now is about 0.
        const term = await activatedTerminal(core);
        await term.client.syncState();
        const { walletId } = await core.service.createWallet(cny(1_000));
        const behind = 3_600_000;
        const capturedByTerminalClock = new Date(Date.now() - behind).toISOString();
        const payment = async (seq: number, clockOffsetMs?: number): Promise<UploadedPayment> => ({
          ...paymentFacts(seq, 100),
          capturedAt: capturedByTerminalClock,
          state: 'accepted_offline',
          code: (await core.service.issueWalletCode(walletId)).code,
          ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }),
        });
        const r = await term.client.upload({
          payments: [await payment(1, behind), await payment(2)],
          head: { entrySeq: 0, hash: '0'.repeat(64), signature: null },
          atAnchor: null,
          queueDepth: 2,
          softwareVersion: 't',
        });
        // With the offset it carries, the first is judged at the moment it was captured; the second,
        // by today's offset, an hour before its code was issued.
        expect(r.results.map((x) => [x.seq, x.state, x.reason])).toEqual([
          [1, 'settled', undefined],
          [2, 'declined_after_sync', 'payment code expired'],
        ]);
      });

      it('reports the highest contiguous seq, so gaps show', async () => {
        const term = await activatedTerminal(core);
        const head = { entrySeq: 0, hash: '0'.repeat(64), signature: null };
        const rec = (seq: number): UploadedPayment => ({
          ...paymentFacts(seq),
          state: 'declined',
          mode: 'offline',
        });
        const r1 = await term.client.upload({
          payments: [rec(1), rec(2), rec(4)],
          head,
          atAnchor: null,
          queueDepth: 0,
          softwareVersion: 't',
        });
        expect(r1.highestContiguousSeq).toBe(2);
        const r2 = await term.client.upload({
          payments: [rec(3)],
          head,
          atAnchor: null,
          queueDepth: 0,
          softwareVersion: 't',
        });
        expect(r2.highestContiguousSeq).toBe(4);
        expect((await term.client.syncState()).highestContiguousSeq).toBe(4);
      });

      it('takes a batch only in seq order, and never a record of an approval the core did not make', async () => {
        const term = await activatedTerminal(core);
        const head = { entrySeq: 0, hash: '0'.repeat(64), signature: null };
        const rec = (seq: number, state: 'declined' | 'approved' | 'settled' = 'declined') =>
          ({ ...paymentFacts(seq), state, mode: 'offline' }) as UploadedPayment;
        const upload = (payments: UploadedPayment[]) =>
          term.client.upload({ payments, head, atAnchor: null, queueDepth: 0, softwareVersion: 't' });
        const unordered = await rejected(upload([rec(2), rec(1)]));
        expect(unordered).toMatchObject({ status: 400, code: 'BAD_REQUEST', field: 'payments.1.seq' });
        const twice = await rejected(upload([rec(1), rec(1)]));
        expect(twice).toMatchObject({ status: 400, field: 'payments.1.seq' });
        expect((await core.service.payments({ terminalId: term.terminalId })).length).toBe(0);

        const claimed = await upload([rec(1, 'approved'), rec(2, 'settled'), rec(3)]);
        expect(claimed.results.map((r) => [r.seq, r.state])).toEqual([[3, 'declined']]);
        expect(claimed.conflicts.map((c) => [c.seq, c.reason])).toEqual([
          [1, 'the terminal says approved, but the core never approved this payment'],
          [2, 'the terminal says settled, but the core never approved this payment'],
        ]);
        expect((await core.service.ledgerCheck()).total).toBe(0);
      });

      it('anchors the signed journal head and refuses a journal that was cut or rewritten', async () => {
        const term = await activatedTerminal(core);
        const hashes = Array.from({ length: 12 }, (_, i) =>
          crypto.createHash('sha256').update(`entry ${i}`).digest(),
        );
        const headAt = (n: number) => ({
          entrySeq: n,
          hash: (hashes[n] as Buffer).toString('hex'),
          signature: term.sign(hashes[n] as Buffer).toString('base64'),
        });
        const upload = (
          head: ReturnType<typeof headAt>,
          atAnchor: { entrySeq: number; hash: string | null } | null,
        ) => term.client.upload({ payments: [], head, atAnchor, queueDepth: 0, softwareVersion: 't' });

        expect((await upload(headAt(5), null)).anchor).toEqual({ entrySeq: 5, hash: headAt(5).hash });
        const ok = await upload(headAt(9), { entrySeq: 5, hash: headAt(5).hash });
        expect(ok.anchor?.entrySeq).toBe(9);
        // A late copy of the first sync is recognised, not taken for a cut journal.
        expect((await upload(headAt(5), null)).anchor?.entrySeq).toBe(9);
        expect((await upload(headAt(9), { entrySeq: 5, hash: headAt(5).hash })).anchor?.entrySeq).toBe(9);
        // A new head must repeat an anchored entry.
        expect((await rejected(upload(headAt(10), null))).code).toBe('JOURNAL_DIVERGED');

        // A journal restored from a backup taken at an earlier anchored head: it no longer has entry 9.
        const restored = await rejected(upload(headAt(5), { entrySeq: 9, hash: null }));
        expect(restored.code).toBe('JOURNAL_DIVERGED');
        const cut = await rejected(upload(headAt(7), { entrySeq: 9, hash: null }));
        expect(cut).toMatchObject({ status: 409, code: 'JOURNAL_DIVERGED' });
        expect(cut.message).toContain('no longer has anchored entry 9');
        const rewritten = await rejected(upload(headAt(11), { entrySeq: 9, hash: headAt(8).hash }));
        expect(rewritten.message).toContain('anchored entry 9 was changed');
        const forged = await rejected(
          upload(
            { ...headAt(11), signature: Buffer.alloc(64).toString('base64') },
            { entrySeq: 9, hash: headAt(9).hash },
          ),
        );
        expect(forged.code).toBe('JOURNAL_DIVERGED');
        const alert = await t.db.query<{ integrity_alert: string | null }>(
          'SELECT integrity_alert FROM terminals WHERE terminal_id = $1',
          [term.terminalId],
        );
        expect(alert.rows[0]?.integrity_alert).toContain('disagrees');
      });

      it('refuses an upload with a payment at a seq held as another (a copied journal) whole, and flags the terminal', async () => {
        const term = await activatedTerminal(core);
        const headAt = (n: number) => {
          const hash = crypto.createHash('sha256').update(`copied ${n}`).digest();
          return { entrySeq: n, hash: hash.toString('hex'), signature: term.sign(hash).toString('base64') };
        };
        const rec = (seq: number): UploadedPayment => ({
          ...paymentFacts(seq),
          state: 'declined',
          mode: 'offline',
        });
        const alertOf = async () =>
          (
            await t.db.query<{ integrity_alert: string | null }>(
              'SELECT integrity_alert FROM terminals WHERE terminal_id = $1',
              [term.terminalId],
            )
          ).rows[0]?.integrity_alert;
        const held = rec(1);
        const first = await term.client.upload({
          payments: [held],
          head: headAt(2),
          atAnchor: null,
          queueDepth: 0,
          softwareVersion: 't',
        });
        expect(first.anchor).toEqual({ entrySeq: 2, hash: headAt(2).hash });
        expect(await alertOf()).toBeNull();
        // The copy's head extends the anchored one, but its seq 1 is another payment.
        const copied = rec(1);
        const refused = await rejected(
          term.client.upload({
            payments: [copied, rec(2)],
            head: headAt(4),
            atAnchor: { entrySeq: 2, hash: headAt(2).hash },
            queueDepth: 0,
            softwareVersion: 't',
          }),
        );
        expect(refused).toMatchObject({ status: 409, code: 'JOURNAL_DIVERGED' });
        expect(refused.message).toContain(`It sent payment ${copied.paymentId} at seq 1`);
        expect((await term.client.syncState()).anchor).toEqual(first.anchor);
        expect(await alertOf()).toContain(
          `It sent payment ${copied.paymentId} at seq 1, which the core holds as payment ${held.paymentId}`,
        );
        // Nothing of it applied: not the clash, not seq 2 with it; the copy's head not anchored.
        expect(
          (await core.service.payments({ terminalId: term.terminalId })).map((p) => p.paymentId),
        ).toEqual([held.paymentId]);
      });
    });

    it('keeps the books balanced: every ledger movement sums to zero, wallets match their entries', async () => {
      expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
    });

    it('the books check finds a wallet that parted from its entries, and entries that do not balance', async () => {
      const { walletId } = await core.service.createWallet(cny(500));
      await t.db.query('UPDATE wallets SET balance_minor = balance_minor + 1 WHERE wallet_id = $1', [
        walletId,
      ]);
      expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 1 });
      await t.db.query(
        `INSERT INTO ledger_entries (account, amount_minor, currency, kind) VALUES ('wallet:' || $1::text, 1, 'CNY', 'funding')`,
        [walletId],
      );
      expect(await core.service.ledgerCheck()).toEqual({ total: 1, walletsMismatched: 0 });
      // Put right, for whatever runs after.
      await t.db.query(
        `INSERT INTO ledger_entries (account, amount_minor, currency, kind) VALUES ('funding', -1, 'CNY', 'funding')`,
      );
      expect(await core.service.ledgerCheck()).toEqual({ total: 0, walletsMismatched: 0 });
    });
  });
});

/**
 * A TCP relay to PostgreSQL that can stall: from `stall()` on, no byte goes either way and new
 * connections are held unanswered, as with a hung server or a dead network path.
 */
async function stallableRelay(target: URL) {
  const sockets = new Set<net.Socket>();
  let stalled = false;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => {});
    if (stalled) return;
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (d) => !stalled && upstream.write(d));
    upstream.on('data', (d) => !stalled && client.write(d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    stall: () => {
      stalled = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(BACKENDS)('/healthz of a core on %s whose database is gone', (backend: Backend) => {
  const skip = backend === 'postgres' && !pgOk;
  const health = async (url: string) => {
    const r = await fetch(`${url}/healthz`);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it.skipIf(skip)('answers 503 with ok: false once the core has closed its database', async () => {
    const t = await openTestDb(backend);
    const close = t.db.close.bind(t.db);
    let closing: Promise<void> | undefined;
    t.db.close = () => (closing ??= close()); // closed here first, then again by cleanup
    const core = await startTestCore(t.db);
    try {
      expect(await health(core.url)).toEqual({
        status: 200,
        body: { ok: true, service: 'suanpan-core', version: 'test', database: backend },
      });
      await t.db.close();
      const { status, body } = await health(core.url);
      expect(status).toBe(503);
      expect(body).toMatchObject({ ok: false, service: 'suanpan-core', version: 'test', database: backend });
      expect(body.error).toMatch(new RegExp(`^The core's database \\(${backend}\\) failed a check`));
    } finally {
      await core.close();
      await t.cleanup();
    }
  });
});

describe.skipIf(!pgOk)(
  `/healthz of a core on PostgreSQL whose server fails (${pgOk ? 'running' : POSTGRES_SKIP_REASON})`,
  () => {
    const health = async (url: string) => {
      const r = await fetch(`${url}/healthz`);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };

    it('answers 503 when its PostgreSQL database is dropped under it, connections terminated', async () => {
      const { url, drop } = await createPostgresDatabase();
      const db = await openCoreDb({ url });
      const core = await startTestCore(db);
      try {
        expect((await health(core.url)).status).toBe(200);
        await drop(); // WITH (FORCE): terminates the core's connections
        const { status, body } = await health(core.url);
        expect(status).toBe(503);
        expect(body).toMatchObject({ ok: false, database: 'postgres' });
        expect(body.error).toContain('Check that PostgreSQL runs');
        expect(body.error).not.toContain('suanpan_test_'); // the driver's text stays in the log
      } finally {
        await core.close();
        await db.close();
        await drop();
      }
    });

    it('answers 503 after its timeout when PostgreSQL hangs, rather than hanging too', async () => {
      const { url, drop } = await createPostgresDatabase();
      const relay = await stallableRelay(new URL(url));
      const db = await openCoreDb({ url: relay.url });
      const core = await startTestCore(db);
      try {
        expect((await health(core.url)).status).toBe(200);
        relay.stall();
        const { status, body } = await health(core.url);
        expect(status).toBe(503);
        expect(body.error).toBe(
          `The core's database (postgres) did not answer within ${HEALTH_DB_TIMEOUT_MS / 1000} s. Check that PostgreSQL runs and the core can reach it; the core reconnects by itself.`,
        );
      } finally {
        await core.close();
        await relay.close();
        await db.close().catch(() => {}); // its connections were cut by the relay
        await drop();
      }
    });
  },
);

describe('openCoreDb', () => {
  it('refuses a URL that is not PostgreSQL before connecting, its password masked', async () => {
    // pg would read it as a URL relative to postgres://base and look up the host "base".
    await expect(openCoreDb({ url: 'root:s3cret@db.example/shop' })).rejects.toThrow(
      'The core database URL root:***@db.example/shop is not a PostgreSQL URL: use postgres://user:password@host:5432/database (or postgresql://...).',
    );
  });
});
