/**
 * Tampering by someone who can write the SQLite file but has no key. Each change is made twice:
 * plainly, and with every later hash recomputed so the chain looks whole. `journal verify` must
 * catch each and point `firstBadSeq` at the first entry touched.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  changeAmount,
  type EntryRow,
  makeSigner,
  openJournal,
  payment,
  recomputeFrom,
  rehashOnly,
  type TestSigner,
} from './fixtures.ts';
import { identityOf, type VerifyOptions, verifyJournal } from './verify.ts';

// 3000 entries, past two signature checkpoints (1024, 2048): 1500 payments captured offline, each
// one entry in its own transaction (1–1500), then settled two to a transaction (1501–3000), an entry
// each (transitionMany): the MACs must name the entry within such a transaction. Written twice:
// with every transaction signed (`every`), and as a rush of payments at the counter is (`deferred`):
// one signature for all the captures of a signing window (here the first capture's), each batch of
// results signed.
const PAYMENTS = 1500;
const SETTLE_TXN = 2;
const SIGNING = { every: 0, deferred: 3_600_000 } as const;
type Signing = keyof typeof SIGNING;
const templates = {} as Record<Signing, string>;
let template: string;
let signer: TestSigner;
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-tamper-'));
  signer = makeSigner();
  for (const signing of Object.keys(SIGNING) as Signing[]) templates[signing] = writeTemplate(signing);
  template = templates.every;
});

function writeTemplate(signing: Signing): string {
  const dir = fs.mkdtempSync(path.join(work, `${signing}-`));
  const journal = openJournal(dir, signer, { signWithinMs: SIGNING[signing] });
  const captured = Array.from({ length: PAYMENTS }, (_, i) =>
    journal.capture(payment({ amount: `${1 + (i % 150)}.00` }), () => ({
      status: 'accepted_offline',
      mode: 'offline',
    })),
  );
  for (let i = 0; i < PAYMENTS; i += SETTLE_TXN) {
    journal.transitionMany(
      captured
        .slice(i, i + SETTLE_TXN)
        .map((p) => ({ paymentId: p.paymentId, decision: { status: 'settled' } })),
    );
  }
  journal.close();
  return path.join(dir, 'journal.sqlite');
}

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A copy of a template journal, opened raw, with our append-only triggers dropped. */
function tamperable(signing: Signing = 'every'): { db: Database.Database; file: string } {
  const dir = fs.mkdtempSync(path.join(work, 'case-'));
  const file = path.join(dir, 'journal.sqlite');
  fs.copyFileSync(templates[signing], file);
  const db = new Database(file);
  db.exec('DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;');
  return { db, file };
}

/** Moves entries at or after `from` by `delta` positions (renumbering as the tamperer would). */
function shift(db: Database.Database, from: number, delta: 1 | -1): void {
  const order = delta > 0 ? 'DESC' : 'ASC';
  const seqs = db
    .prepare(`SELECT entry_seq FROM entries WHERE entry_seq >= ? ORDER BY entry_seq ${order}`)
    .pluck()
    .all(from) as number[];
  const update = db.prepare('UPDATE entries SET entry_seq = ? WHERE entry_seq = ?');
  db.transaction(() => {
    for (const s of seqs) update.run(s + delta, s);
  })();
}

/**
 * The chain is walked in one thread, or in two halves at once as on a large journal (the second by a
 * worker thread, split at entry 1500: the cases touch both halves and the entries either side).
 */
const MODES = [
  { mode: 'walking the chain in one thread', parallelFrom: Number.POSITIVE_INFINITY },
  { mode: 'walking the chain in two threads', parallelFrom: 1 },
];

function deleteEntry(db: Database.Database, seq: number, renumber: boolean): void {
  db.prepare('DELETE FROM entries WHERE entry_seq = ?').run(seq);
  if (renumber) shift(db, seq + 1, -1);
}

function insertEntry(db: Database.Database, seq: number): void {
  shift(db, seq, 1);
  const body = JSON.stringify({ from: 'captured', mode: 'offline' });
  const fake = crypto.randomBytes(64);
  db.prepare(
    "INSERT INTO entries (entry_seq, kind, payment_id, at, body, prev_hash, hash, sig, mac) VALUES (?, 'voided', NULL, '2026-11-25T00:00:00.000Z', ?, ?, ?, ?, ?)",
  ).run(seq, body, Buffer.alloc(32), Buffer.alloc(32), fake, crypto.randomBytes(32));
}

function swapEntries(db: Database.Database, a: number, b: number): void {
  const get = db.prepare('SELECT kind, payment_id, at, body, sig FROM entries WHERE entry_seq = ?');
  const ra = get.get(a) as EntryRow;
  const rb = get.get(b) as EntryRow;
  const set = db.prepare(
    'UPDATE entries SET kind = ?, payment_id = ?, at = ?, body = ?, sig = ? WHERE entry_seq = ?',
  );
  set.run(rb.kind, rb.payment_id, rb.at, rb.body, rb.sig, a);
  set.run(ra.kind, ra.payment_id, ra.at, ra.body, ra.sig, b);
}

/** Changes when a state entry says it happened (no payment column records it). */
function changeTime(db: Database.Database, seq: number): void {
  db.prepare("UPDATE entries SET at = '2020-01-01T00:00:00.000Z' WHERE entry_seq = ?").run(seq);
}

const LAST = PAYMENTS * 2;
/**
 * The entry after the last signed one before `seq` in a template: as far as the public key alone
 * can locate a change at `seq` (with every transaction signed, the first entry of its transaction).
 */
function afterSignatureBefore(signing: Signing, seq: number): number {
  const db = new Database(templates[signing], { readonly: true });
  try {
    return db
      .prepare('SELECT coalesce(max(entry_seq), 0) + 1 FROM entries WHERE sig IS NOT NULL AND entry_seq < ?')
      .pluck()
      .get(seq) as number;
  } finally {
    db.close();
  }
}
const cases: { name: string; first: number; tamper: (db: Database.Database) => void }[] = [];
for (const recompute of [false, true]) {
  const suffix = recompute ? ', hashes recomputed' : '';
  const then = (from: number, f: (db: Database.Database) => void) => (db: Database.Database) => {
    f(db);
    if (recompute) recomputeFrom(db, from);
  };
  for (const captured of [1, 777, 1024, PAYMENTS]) {
    cases.push({
      name: `change an amount at entry ${captured}${suffix}`,
      first: captured,
      tamper: then(captured, (db) => changeAmount(db, captured)),
    });
  }
  for (const at of [1, 777, 2048, LAST]) {
    if (at === LAST && !recompute) continue; // the same change with or without: once is enough
    cases.push({
      name: `delete entry ${at}, renumbering the rest${suffix}`,
      first: at,
      tamper: then(at, (db) => deleteEntry(db, at, true)),
    });
  }
  // 1500 and 1501: either side of where a walk in two threads splits the chain.
  for (const at of [900, PAYMENTS, PAYMENTS + 1]) {
    cases.push({
      name: `delete entry ${at}, leaving a gap${suffix}`,
      first: at,
      tamper: then(at, (db) => deleteEntry(db, at, false)),
    });
  }
  cases.push({
    name: `insert an entry numbered 0${suffix}`,
    first: 1,
    tamper: then(0, (db) => insertEntry(db, 0)),
  });
  for (const at of [1, 1200, LAST + 1]) {
    cases.push({
      name: `insert an entry at ${at}${suffix}`,
      first: at,
      tamper: then(at, (db) => insertEntry(db, at)),
    });
  }
  for (const [a, b] of [
    [2, 3],
    [1030, 1036],
    [PAYMENTS, PAYMENTS + 1],
    [PAYMENTS + 1, PAYMENTS + 2],
    [LAST - 1, LAST],
  ] as const) {
    cases.push({
      name: `swap entries ${a} and ${b}${suffix}`,
      first: a,
      tamper: then(a, (db) => swapEntries(db, a, b)),
    });
  }
}

// A tamperer who rehashes only the entry changed: its hash matches its content and no later hash or
// signature changes, but the next entry still names the old hash. Only the chain's links catch it.
for (const [what, change, entries] of [
  ['an amount at', changeAmount, [777, 1024, PAYMENTS]],
  ['the time of', changeTime, [PAYMENTS + 1, LAST - 1]],
] as const) {
  for (const at of entries) {
    cases.push({
      name: `change ${what} entry ${at}, rehashing only that entry`,
      first: at,
      tamper: (db) => {
        change(db, at);
        rehashOnly(db, at);
      },
    });
  }
}

/**
 * As the terminal verifies (with its public key and its entry MAC), walking the chain in two threads
 * from `parallelFrom` entries; a worker thread that can't walk its half fails the test.
 */
function verifyWith(db: Database.Database, parallelFrom: number, options: Partial<VerifyOptions> = {}) {
  return verifyJournal(db, {
    publicKey: signer.publicKey,
    mac: signer.mac,
    parallelFrom,
    fileIdentity: identityOf(db.name),
    onSingleThread: (reason) => {
      throw new Error(`the worker thread did not walk its half: ${reason}`);
    },
    ...options,
  });
}

describe.each(
  MODES.flatMap((m) => (Object.keys(SIGNING) as Signing[]).map((signing) => ({ ...m, signing }))),
)(
  'journal verify against a tamperer without the key, $mode, signatures $signing',
  ({ parallelFrom, signing }) => {
    const verify = (db: Database.Database, options: Partial<VerifyOptions> = {}) =>
      verifyWith(db, parallelFrom, options);

    it('passes on the untouched journal', async () => {
      const { db } = tamperable(signing);
      // Signed: every transaction, or the first capture of the window and each batch of results.
      expect(db.prepare('SELECT count(*) FROM entries WHERE sig IS NOT NULL').pluck().get()).toBe(
        signing === 'every' ? PAYMENTS + PAYMENTS / SETTLE_TXN : 1 + PAYMENTS / SETTLE_TXN,
      );
      expect(await verify(db)).toMatchObject({ ok: true, entries: LAST });
      db.close();
    });

    it.each(cases)('detects: $name', async ({ tamper, first }) => {
      const { db } = tamperable(signing);
      tamper(db);
      const result = await verify(db);
      db.close();
      expect(result).toMatchObject({ ok: false, firstBadSeq: first });
    });

    it.each(cases)(
      'detects with the public key alone, located to the entries its signature covers: $name',
      async ({ tamper, first }) => {
        const { db } = tamperable(signing);
        tamper(db);
        const result = await verify(db, { mac: undefined });
        db.close();
        expect(result.ok).toBe(false);
        expect((result as { firstBadSeq: number }).firstBadSeq).toBeGreaterThanOrEqual(
          afterSignatureBefore(signing, first),
        );
        expect((result as { firstBadSeq: number }).firstBadSeq).toBeLessThanOrEqual(first);
      },
    );
  },
);

describe.each(MODES)('journal verify against a tamperer without the key, $mode', ({ parallelFrom }) => {
  const verify = (db: Database.Database, options: Partial<VerifyOptions> = {}) =>
    verifyWith(db, parallelFrom, options);

  it("detects a change to the payments table alone, pointing at the payment's entry", async () => {
    const { db } = tamperable();
    const p = db.prepare('SELECT payment_id FROM payments WHERE seq = 321').pluck().get() as string;
    db.prepare('UPDATE payments SET amount_minor = amount_minor + 100 WHERE payment_id = ?').run(p);
    expect(await verify(db)).toMatchObject({
      ok: false,
      firstBadSeq: 321,
      reason: expect.stringContaining('amount differs'),
    });
    db.prepare('UPDATE payments SET amount_minor = amount_minor - 100, status = ? WHERE payment_id = ?').run(
      'declined_after_sync',
      p,
    );
    // A changed status points at the payment's latest state entry.
    expect(await verify(db)).toMatchObject({
      ok: false,
      firstBadSeq: PAYMENTS + 321,
      reason: expect.stringContaining('status differs'),
    });
    db.close();
  });

  it('detects a journal re-signed with another key, whatever key it records', async () => {
    const { db } = tamperable();
    const other = makeSigner();
    db.prepare("UPDATE journal_meta SET value = ? WHERE key = 'public_key'").run(
      other.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    );
    const rows = db.prepare('SELECT entry_seq, hash FROM entries').all() as {
      entry_seq: number;
      hash: Buffer;
    }[];
    const update = db.prepare('UPDATE entries SET sig = ? WHERE entry_seq = ?');
    db.transaction(() => {
      for (const r of rows) update.run(other.sign(r.hash), r.entry_seq);
    })();
    expect(await verify(db)).toMatchObject({ ok: false, firstBadSeq: 0 });
    db.close();
  });

  it('checks the same signatures whichever way the chain is walked: the first signed at or after each multiple of the interval', async () => {
    // Every entry up to 1500 is signed, then every other one: with checkpoints every 667 entries, the
    // one for 2001 is the next signed entry, 2002, and the one after is 2668, not 2002 + 667.
    for (const [every, seq, atCheckpoint] of [
      [1024, 2048, true],
      [1024, 2524, false],
      [667, 2002, true],
      [667, 2668, true],
      [667, 2670, false],
    ] as const) {
      const { db } = tamperable();
      db.prepare('UPDATE entries SET sig = ? WHERE entry_seq = ?').run(crypto.randomBytes(64), seq);
      expect(await verify(db, { checkpointEvery: every })).toMatchObject(
        atCheckpoint ? { ok: false, firstBadSeq: seq } : { ok: true },
      );
      db.close();
    }
  });

  it('finds a bad signature on any entry with --all-signatures', async () => {
    const { db } = tamperable();
    // Entry 78 is payment 78's capture, signed as its transaction's last entry.
    db.prepare('UPDATE entries SET sig = ? WHERE entry_seq = 78').run(crypto.randomBytes(64));
    expect((await verify(db)).ok).toBe(true); // content is intact: later signatures vouch for it
    expect(await verify(db, { allSignatures: true })).toMatchObject({
      ok: false,
      firstBadSeq: 78,
    });
    db.close();
  });

  it('cannot see the last entries cut off: that is what anchoring the head at the core is for', async () => {
    const { db } = tamperable();
    // The last transaction settled the last two payments: the tamperer puts them back as stored
    // (the payments' triggers keep the totals).
    db.prepare('DELETE FROM entries WHERE entry_seq > ?').run(LAST - SETTLE_TXN);
    db.prepare("UPDATE payments SET status = 'accepted_offline', last_entry_seq = seq WHERE seq > ?").run(
      PAYMENTS - SETTLE_TXN,
    );
    expect(await verify(db)).toMatchObject({ ok: true, entries: LAST - SETTLE_TXN });
    db.close();
  });

  it('finds the end of the last transaction cut off: the entry left last is not marked as an end', async () => {
    // The transaction's last entry carries the signature and a MAC marked as its end; the one before,
    // an unmarked MAC. (A terminal stopped before signing leaves a marked, unsigned head: fine.)
    const { db } = tamperable();
    db.prepare('DELETE FROM entries WHERE entry_seq = ?').run(LAST);
    db.prepare("UPDATE payments SET status = 'accepted_offline', last_entry_seq = seq WHERE seq = ?").run(
      PAYMENTS,
    );
    expect(await verify(db)).toMatchObject({
      ok: false,
      firstBadSeq: LAST,
      reason: expect.stringContaining('not the end of its transaction'),
    });
    expect(await verify(db, { mac: undefined })).toMatchObject({ ok: false, firstBadSeq: LAST - 1 });
    db.close();
  });
});

describe('journal verify in two threads', () => {
  it('splits journals of any size, down to two entries, with the same answer as one thread', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'small-'));
    const journal = openJournal(dir, signer);
    const db = new Database(path.join(dir, 'journal.sqlite'));
    const both = (parallelFrom: number) => verifyWith(db, parallelFrom);
    for (let entries = 0; entries <= 5; entries++) {
      if (entries > 0) journal.capture(payment(), () => ({ status: 'accepted_offline', mode: 'offline' }));
      const alone = await both(Number.POSITIVE_INFINITY);
      expect(alone).toMatchObject({ ok: true, entries });
      expect(await both(1)).toEqual(alone);
    }
    db.close();
    journal.close();
  });

  /**
   * Changes entry 2048 in the open file, does `move` to whatever is at its path, then verifies with
   * the open connection in two threads, telling it which file it has open or not.
   */
  async function changedThenMoved(move: (file: string) => void, known: boolean) {
    const { db, file } = tamperable();
    const fileIdentity = known ? identityOf(file) : undefined;
    changeTime(db, 2048);
    // Into the file itself: a WAL left at the path would be read over whatever is put there.
    db.pragma('wal_checkpoint(TRUNCATE)');
    move(file);
    const fellBack: string[] = [];
    const result = await verifyJournal(db, {
      publicKey: signer.publicKey,
      mac: signer.mac,
      parallelFrom: 1,
      fileIdentity,
      onSingleThread: (reason) => fellBack.push(reason),
    });
    db.close();
    return { result, fellBack };
  }
  /** A genuine copy of the journal renamed over the changed one. */
  const swapInGenuine = (file: string) => {
    fs.copyFileSync(template, `${file}.genuine`);
    fs.renameSync(`${file}.genuine`, file);
  };

  it('walks the second half itself when a worker thread cannot read the file, with the same answer', async () => {
    // The open connection keeps reading the file; a second one, the worker's, can't find it.
    const { result, fellBack } = await changedThenMoved((file) => fs.renameSync(file, `${file}.moved`), true);
    expect(result).toMatchObject({ ok: false, firstBadSeq: 2048 });
    expect(fellBack).toEqual([expect.stringContaining('unable to open')]);
  });

  it('does not let a worker thread read a genuine copy swapped in over a changed journal', async () => {
    const { result, fellBack } = await changedThenMoved(swapInGenuine, true);
    expect(result).toMatchObject({ ok: false, firstBadSeq: 2048 });
    expect(fellBack).toEqual([expect.stringContaining('it was replaced')]);
  });

  it('walks in one thread when it does not know which file the connection has open', async () => {
    // A worker thread would read the genuine copy and find nothing; none is started.
    const { result, fellBack } = await changedThenMoved(swapInGenuine, false);
    expect(result).toMatchObject({ ok: false, firstBadSeq: 2048 });
    expect(fellBack).toEqual([]);
  });

  it('Journal.verify names its file, so a large journal is walked in two threads', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'journal-'));
    fs.copyFileSync(template, path.join(dir, 'journal.sqlite'));
    const journal = openJournal(dir, signer);
    const result = await journal.verify({
      publicKey: signer.publicKey,
      parallelFrom: 1,
      onSingleThread: (reason) => {
        throw new Error(`the worker thread did not walk its half: ${reason}`);
      },
    });
    journal.close();
    expect(result).toMatchObject({ ok: true, entries: LAST });
  });
});
