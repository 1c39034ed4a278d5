/**
 * Test fixtures for the journal: a temp folder, a signing key, an open journal, and a builder for
 * payments (`payment({ amount: '12.50' })`). They compose: tmpDir → signer → journal.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { test as base } from 'vitest';
import { parseAmount } from '../protocol/money.ts';
import { entryHash, GENESIS_HASH } from './entry.ts';
import { hmacSha256 } from './hmac.ts';
import { type CaptureInput, type EntrySigner, Journal, type JournalOptions } from './journal.ts';

export interface TestSigner extends EntrySigner {
  privateKey: crypto.KeyObject;
}

export function makeSigner(): TestSigner {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const macKey = crypto.randomBytes(32);
  return {
    privateKey,
    publicKey,
    sign: (hash) => crypto.sign(null, hash, privateKey),
    mac: hmacSha256(macKey),
  };
}

let codeCounter = 0;

/** A capture input with a fresh, valid-looking Alipay code unless one is given. */
export function payment(over: { amount?: string; code?: string; scheme?: string } = {}): CaptureInput {
  codeCounter += 1;
  const code =
    over.code ?? `28${String(Date.now() % 1e9).padStart(9, '0')}${String(codeCounter).padStart(7, '0')}`;
  return {
    amount: parseAmount(over.amount ?? '12.50'),
    scheme: over.scheme ?? 'alipay',
    code,
    codeHash: crypto.createHash('sha256').update(code).digest(),
    codeMasked: `${code.slice(0, 2)}************${code.slice(-4)}`,
  };
}

/**
 * Damages a closed journal file: overwrites `length` bytes with 0xff at `offset` in the root page
 * of the table or index `name` (offset 0: the page header; 8: a leaf's cell pointers).
 */
export function damageRootPage(file: string, name: string, offset: number, length: number): void {
  const db = new Database(file, { readonly: true });
  const { rootpage } = db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').get(name) as {
    rootpage: number;
  };
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(length, 0xff), 0, length, (rootpage - 1) * pageSize + offset);
  fs.closeSync(fd);
}

// --- tampering, as someone who can write the file but has no key (triggers dropped first) --------

/** An entry's columns as a tamperer reads them. */
export type EntryRow = {
  entry_seq: number;
  kind: string;
  payment_id: string | null;
  at: string;
  body: string;
  prev_hash: Buffer;
  sig: Buffer | null;
};

/** Lowers the amount of the payment entry `seq` is about to ¥0.01, in the payments table too. */
export function changeAmount(db: Database.Database, seq: number): void {
  const row = db.prepare('SELECT body, payment_id FROM entries WHERE entry_seq = ?').get(seq) as EntryRow;
  const body = JSON.parse(row.body);
  body.amount.minor = 1; // ¥0.01 instead of the real amount
  db.prepare('UPDATE entries SET body = ? WHERE entry_seq = ?').run(JSON.stringify(body), seq);
  // A careful tamperer keeps the payments table consistent too.
  db.prepare('UPDATE payments SET amount_minor = 1 WHERE payment_id = ?').run(row.payment_id);
}

/** Recomputes prev_hash and hash from entry `from` to the end, as a tamperer without the key would. */
export function recomputeFrom(db: Database.Database, from: number): void {
  const rows = db
    .prepare('SELECT * FROM entries WHERE entry_seq >= ? ORDER BY entry_seq')
    .all(from) as EntryRow[];
  const before = db.prepare('SELECT hash FROM entries WHERE entry_seq = ?').get(from - 1) as
    | { hash: Buffer }
    | undefined;
  let prev = before?.hash ?? GENESIS_HASH;
  const update = db.prepare('UPDATE entries SET prev_hash = ?, hash = ? WHERE entry_seq = ?');
  db.transaction(() => {
    for (const r of rows) {
      const hash = entryHash(prev, r.entry_seq, r.kind, r.payment_id, r.at, r.body);
      update.run(prev, hash, r.entry_seq);
      prev = hash;
    }
  })();
}

/** Recomputes entry `seq`'s own hash from its stored columns, leaving every other entry as it was. */
export function rehashOnly(db: Database.Database, seq: number): void {
  const r = db.prepare('SELECT * FROM entries WHERE entry_seq = ?').get(seq) as EntryRow;
  const hash = entryHash(r.prev_hash, r.entry_seq, r.kind, r.payment_id, r.at, r.body);
  db.prepare('UPDATE entries SET hash = ? WHERE entry_seq = ?').run(hash, seq);
}

export function openJournal(dir: string, signer: EntrySigner, over: Partial<JournalOptions> = {}): Journal {
  return Journal.open({ file: path.join(dir, 'journal.sqlite'), terminalId: 'sp-test', signer, ...over });
}

export const test = base.extend<{ tmpDir: string; signer: TestSigner; journal: Journal }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
  tmpDir: async ({}, use) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-test-'));
    await use(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  },
  // biome-ignore lint/correctness/noEmptyPattern: as above
  signer: async ({}, use) => {
    await use(makeSigner());
  },
  journal: async ({ tmpDir, signer }, use) => {
    const journal = openJournal(tmpDir, signer);
    await use(journal);
    journal.close();
  },
});
