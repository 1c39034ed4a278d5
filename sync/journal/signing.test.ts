/**
 * When the head is signed (see DEFAULT_SIGN_WITHIN_MS): a rush of payments shares one signature, the
 * head waits for its signature no longer than the window, a close, an anchor or the next open, and
 * nothing is ever signed over entries changed by someone without the key.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect } from 'vitest';
import { changeAmount, openJournal, payment, recomputeFrom, rehashOnly, test } from './fixtures.ts';
import { verifyJournal } from './verify.ts';

const accept = () => ({ status: 'accepted_offline' as const, mode: 'offline' as const });
/** A window no test outlasts: only the first payment's signature comes from it. */
const HOUR = 3_600_000;

function signedSeqs(file: string): number[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare('SELECT entry_seq FROM entries WHERE sig IS NOT NULL ORDER BY entry_seq')
      .pluck()
      .all() as number[];
  } finally {
    db.close();
  }
}

describe('signing the journal head', () => {
  test('a rush of payments shares one signature; anchoring, closing and the end of the window sign the head', async ({
    tmpDir,
    signer,
  }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    const journal = openJournal(tmpDir, signer, { signWithinMs: HOUR });
    for (let i = 0; i < 3; i++) journal.capture(payment(), accept);
    expect(signedSeqs(file)).toEqual([1]);
    // Sent to the core to anchor: signed first.
    const head = journal.signedHead();
    expect(head).toMatchObject({ entrySeq: 3, signature: expect.any(String) });
    expect(signedSeqs(file)).toEqual([1, 3]);
    journal.capture(payment(), accept);
    journal.close();
    expect(signedSeqs(file)).toEqual([1, 3, 4]);

    // A short window: the timer signs what it left unsigned.
    const again = openJournal(tmpDir, signer, { signWithinMs: 20 });
    again.capture(payment(), accept);
    again.capture(payment(), accept);
    for (let waited = 0; !signedSeqs(file).includes(6) && waited < 10_000; waited += 10)
      await new Promise((r) => setTimeout(r, 10));
    expect(signedSeqs(file)).toContain(6);
    expect(await again.verify({ publicKey: signer.publicKey })).toMatchObject({ ok: true, entries: 6 });
    again.close();
  });

  test('a head left unsigned by a process that stopped is checked by its MACs, then signed at the next open', async ({
    tmpDir,
    signer,
  }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    const stopped = openJournal(tmpDir, signer, { signWithinMs: HOUR });
    for (let i = 0; i < 3; i++) stopped.capture(payment(), accept);
    // Not closed: as after a crash or a power cut.
    expect(signedSeqs(file)).toEqual([1]);
    // Until then, the terminal's own check vouches for them by their MACs; the public key alone can't.
    const raw = new Database(file, { readonly: true });
    expect(await verifyJournal(raw, { publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: true,
      entries: 3,
    });
    expect(await verifyJournal(raw, { publicKey: signer.publicKey })).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      reason: expect.stringContaining('not signed yet'),
    });
    raw.close();
    const next = openJournal(tmpDir, signer);
    expect(signedSeqs(file)).toEqual([1, 3]);
    expect(await next.verify({ publicKey: signer.publicKey })).toMatchObject({ ok: true, entries: 3 });
    next.close();
    stopped.close();
  });

  test("housekeeping never fails on another process's write lock: the head waits for the next chance", async ({
    tmpDir,
    signer,
  }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    const journal = openJournal(tmpDir, signer, { signWithinMs: HOUR });
    journal.capture(payment(), accept);
    journal.capture(payment(), accept);
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    // Verify would sign the head first; the lock is held, so it checks entry 2 by its MAC instead.
    expect(await journal.verify({ publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: true,
      entries: 2,
    });
    expect(signedSeqs(file)).toEqual([1]);
    other.exec('ROLLBACK');
    other.close();
    journal.close();
    expect(signedSeqs(file)).toEqual([1, 2]);
  });

  test('entries written by another process of the terminal are signed over once their MACs check out', async ({
    tmpDir,
    signer,
  }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    const kiosk = openJournal(tmpDir, signer, { signWithinMs: HOUR });
    const cli = openJournal(tmpDir, signer, { signWithinMs: 0 });
    kiosk.capture(payment(), accept);
    kiosk.capture(payment(), accept);
    cli.capture(payment(), accept);
    expect(signedSeqs(file)).toEqual([1, 3]);
    expect(await cli.verify({ publicKey: signer.publicKey })).toMatchObject({ ok: true, entries: 3 });
    kiosk.close();
    cli.close();
  });

  test('never signs over entries changed without the key, so verify still finds the first one', async ({
    tmpDir,
    signer,
  }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    const journal = openJournal(tmpDir, signer, { signWithinMs: HOUR });
    for (let i = 0; i < 3; i++) journal.capture(payment({ amount: '100.00' }), accept);
    // Someone with the file but not the key lowers entry 2's amount and recomputes the hashes from
    // it on, as the chain would have them (the MACs can't be recomputed without the key).
    const raw = new Database(file);
    raw.exec('DROP TRIGGER entries_no_update');
    changeAmount(raw, 2);
    recomputeFrom(raw, 2);
    raw.close();

    // Anchoring it at the core would need a signature over the change: it goes unsigned, and why is told.
    expect(journal.signedHead()).toMatchObject({ entrySeq: 3, signature: null });
    expect(journal.unsignedHeadProblem()?.message).toMatch(
      /entry 3 that this terminal wrote was replaced.*journal verify/,
    );
    journal.close();
    // A later process, signing every payment at once, appends but signs nothing over the change.
    const later = openJournal(tmpDir, signer, { signWithinMs: 0 });
    later.capture(payment(), accept);
    expect(signedSeqs(file)).toEqual([1]);
    expect(await later.verify({ publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: false,
      firstBadSeq: 2,
    });
    later.close();
  });

  /** A connection to the file with the append-only triggers dropped, as someone without the key has. */
  function tamperer(file: string) {
    const db = new Database(file);
    db.exec('DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete');
    return {
      db,
      /** Lowers the amount in `seq` and recomputes its hash alone; its MAC stays. */
      lower(seq: number) {
        changeAmount(db, seq);
        rehashOnly(db, seq);
      },
      signed: () => signedSeqs(file),
    };
  }

  test('is not fooled by a made-up signature ending its walk back', async ({ tmpDir, signer }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    const kiosk = openJournal(tmpDir, signer, { signWithinMs: HOUR });
    kiosk.capture(payment({ amount: '100.00' }), accept);
    kiosk.capture(payment({ amount: '100.00' }), accept);
    const t = tamperer(file);
    t.lower(2);
    // The next payment, within the window, is built on the changed entry (and carries a true MAC).
    kiosk.capture(payment(), accept);
    t.db.prepare('UPDATE entries SET sig = randomblob(64) WHERE entry_seq = 3').run();
    // Another process signing at once walks back from entry 3: its signature is not the terminal's.
    const cli = openJournal(tmpDir, signer, { signWithinMs: 0 });
    cli.capture(payment(), accept);
    t.db.prepare('UPDATE entries SET sig = NULL WHERE entry_seq = 3').run();
    expect(t.signed()).toEqual([1]);
    expect(await cli.verify({ publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: false,
      firstBadSeq: 2,
    });
    t.db.close();
    cli.close();
    kiosk.close();
  });

  test('is not fooled by a changed entry moved out of the way while it walks back', async ({
    tmpDir,
    signer,
  }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    const kiosk = openJournal(tmpDir, signer, { signWithinMs: HOUR });
    kiosk.capture(payment({ amount: '100.00' }), accept);
    kiosk.capture(payment({ amount: '100.00' }), accept);
    const t = tamperer(file);
    t.lower(2);
    kiosk.capture(payment(), accept);
    t.db.prepare('UPDATE entries SET entry_seq = -2 WHERE entry_seq = 2').run();
    // Opening signs a head left unsigned, only on a chain that links up.
    openJournal(tmpDir, signer).close();
    t.db.prepare('UPDATE entries SET entry_seq = 2 WHERE entry_seq = -2').run();
    expect(t.signed()).toEqual([1]);
    t.db.close();
    kiosk.close();
    expect(signedSeqs(file)).toEqual([1]);
    const after = openJournal(tmpDir, signer);
    expect(await after.verify({ publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: false,
      firstBadSeq: 2,
    });
    after.close();
  });

  test('does not sign what is left of a batch cut short, and verify finds the cut', async ({
    tmpDir,
    signer,
  }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    const journal = openJournal(tmpDir, signer, { signWithinMs: 0 });
    const paid = [1, 2, 3].map(() => journal.capture(payment(), accept));
    journal.transitionMany(paid.map((p) => ({ paymentId: p.paymentId, decision: { status: 'settled' } })));
    journal.close();
    expect(signedSeqs(file)).toEqual([1, 2, 3, 6]);
    const t = tamperer(file);
    t.db.prepare('DELETE FROM entries WHERE entry_seq = 6').run();
    t.db.prepare("UPDATE payments SET status = 'accepted_offline', last_entry_seq = seq WHERE seq = 3").run();
    t.db.close();
    const reopened = openJournal(tmpDir, signer);
    expect(signedSeqs(file)).toEqual([1, 2, 3]);
    expect(await reopened.verify({ publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: false,
      firstBadSeq: 6,
      reason: expect.stringContaining('not the end of its transaction'),
    });
    reopened.close();
  });

  test('notices its own entries cut off while it runs, even grown back or all gone, and signs nothing after', ({
    tmpDir,
    signer,
  }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    const journal = openJournal(tmpDir, signer, { signWithinMs: HOUR });
    for (let i = 0; i < 3; i++) journal.capture(payment(), accept);
    const t = tamperer(file);
    t.db.prepare('DELETE FROM entries WHERE entry_seq = 3').run();
    expect(journal.signedHead()).toMatchObject({ entrySeq: 2, signature: null });
    expect(journal.unsignedHeadProblem()?.message).toMatch(
      /entries from 3 that this terminal wrote are gone/,
    );
    journal.close();
    expect(signedSeqs(file)).toEqual([1]);

    // Grown back: another entry 3 where this process's was.
    const again = openJournal(tmpDir, signer, { signWithinMs: HOUR });
    for (let i = 0; i < 2; i++) again.capture(payment(), accept);
    t.db.prepare('DELETE FROM entries WHERE entry_seq = 4').run();
    again.capture(payment(), accept);
    again.close();
    // Entry 2 was signed when this process opened the file (it checked out); the new 4 never is.
    expect(signedSeqs(file)).toEqual([1, 2]);

    // All gone: an empty journal is the start only to a process that wrote none of it.
    const third = openJournal(tmpDir, signer, { signWithinMs: 0 });
    third.capture(payment(), accept);
    t.db.exec('DELETE FROM entries; DELETE FROM payments');
    third.capture(payment(), accept);
    third.close();
    expect(signedSeqs(file)).toEqual([]);
    t.db.close();
  });

  test('does not sign over a batch cut short under entries appended since, and verify finds the cut', async ({
    tmpDir,
    signer,
  }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    const kiosk = openJournal(tmpDir, signer, { signWithinMs: 0 });
    const paid = [1, 2, 3].map(() => kiosk.capture(payment(), accept));
    kiosk.transitionMany(paid.map((p) => ({ paymentId: p.paymentId, decision: { status: 'settled' } })));
    const t = tamperer(file);
    t.db.prepare('DELETE FROM entries WHERE entry_seq = 6').run();
    t.db.prepare("UPDATE payments SET status = 'accepted_offline', last_entry_seq = seq WHERE seq = 3").run();
    t.db.close();
    // The same process appends on the cut batch, then another one opens the file and appends too.
    kiosk.capture(payment(), accept);
    kiosk.close();
    const next = openJournal(tmpDir, signer, { signWithinMs: 0 });
    next.capture(payment(), accept);
    expect(signedSeqs(file)).toEqual([1, 2, 3]);
    expect(next.unsignedHeadProblem()?.message).toMatch(/transaction of entry 5 was cut off/);
    expect(await next.verify({ publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: false,
      firstBadSeq: 6,
      reason: expect.stringContaining('does not follow on from entry 5'),
    });
    next.close();
  });

  test('verify names a signed entry whose MAC was changed, not the one after it', async ({
    tmpDir,
    signer,
  }) => {
    const file = path.join(tmpDir, 'journal.sqlite');
    const journal = openJournal(tmpDir, signer, { signWithinMs: HOUR });
    journal.capture(payment(), accept);
    journal.capture(payment(), accept);
    const t = tamperer(file);
    t.db.prepare('UPDATE entries SET mac = randomblob(32) WHERE entry_seq = 1').run();
    t.db.close();
    const raw = new Database(file, { readonly: true });
    expect(await verifyJournal(raw, { publicKey: signer.publicKey, mac: signer.mac })).toMatchObject({
      ok: false,
      firstBadSeq: 1,
      reason: expect.stringContaining("does not carry the terminal's MAC"),
    });
    raw.close();
    journal.close();
  });
});
