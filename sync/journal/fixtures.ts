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
    mac: (hash) => crypto.createHmac('sha256', macKey).update(hash).digest(),
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
