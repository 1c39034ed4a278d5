import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentityError, loadTerminalKey } from './terminal-key.ts';

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-key-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));
const keyFile = () => path.join(dataDir, 'keys', 'terminal.key');

describe('terminal key', () => {
  it('is created on first start with mode 0600 in a 0700 folder, and is the same key afterwards', () => {
    const first = loadTerminalKey(dataDir, { create: true });
    expect(fs.statSync(keyFile()).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(keyFile())).mode & 0o777).toBe(0o700);
    expect(first.terminalId).toMatch(/^sp-[0-9a-f]{16}$/);
    const again = loadTerminalKey(dataDir, { create: false });
    expect(again.terminalId).toBe(first.terminalId);
    const hash = crypto.randomBytes(32);
    expect(crypto.verify(null, hash, again.publicKey, first.sign(hash))).toBe(true);
    expect(again.mac(hash).equals(first.mac(hash))).toBe(true);
    expect(again.digestCode('281234567890123456').equals(first.digestCode('281234567890123456'))).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, 'keys', 'terminal.pub'), 'utf8')).toContain('BEGIN PUBLIC KEY');
  });

  it('derives the same code hashes and entry MACs from a key as every earlier version did', () => {
    // Journals written before keep verifying, and a code used before is still known as used.
    fs.mkdirSync(path.dirname(keyFile()), { recursive: true, mode: 0o700 });
    fs.writeFileSync(
      keyFile(),
      '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIEEk91BV5jbwMvJAiBIQ9yV0r0frgrKrmxXmrj+0Axlv\n-----END PRIVATE KEY-----\n',
      { mode: 0o600 },
    );
    const key = loadTerminalKey(dataDir, { create: false });
    expect(key.mac(Buffer.alloc(32)).toString('hex')).toBe(
      '995a96a3bfb894bd6565ec2272c3558710cd1d21cb6dfd760388972cdc54c3b8',
    );
    expect(key.digestCode('281234567890123456').toString('hex')).toBe(
      '191c8b7de07b439d530b55ecf9c9dc0e1876fb8add48409d1978e64279332c65',
    );
  });

  it.each([0o640, 0o644, 0o604, 0o660, 0o666])('refuses to start with a key of mode %s', (mode) => {
    loadTerminalKey(dataDir, { create: true });
    fs.chmodSync(keyFile(), mode);
    let error: unknown;
    try {
      loadTerminalKey(dataDir, { create: true });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(IdentityError);
    expect(error).toMatchObject({ code: 'KEY_PERMISSIONS', file: keyFile() });
    expect((error as Error).message).toContain(`chmod 600 ${keyFile()}`);
    expect(fs.statSync(keyFile()).mode & 0o777).toBe(mode); // never "fixed" silently
  });

  it('accepts a stricter mode (0400)', () => {
    const key = loadTerminalKey(dataDir, { create: true });
    fs.chmodSync(keyFile(), 0o400);
    expect(loadTerminalKey(dataDir, { create: false }).terminalId).toBe(key.terminalId);
  });

  it('never replaces a damaged or foreign key with a new one', () => {
    loadTerminalKey(dataDir, { create: true });
    fs.writeFileSync(keyFile(), 'not a key', { mode: 0o600 });
    expect(() => loadTerminalKey(dataDir, { create: true })).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    );
    expect(fs.readFileSync(keyFile(), 'utf8')).toBe('not a key');
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    fs.writeFileSync(keyFile(), rsa.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expect(() => loadTerminalKey(dataDir, { create: true })).toThrow(/not Ed25519/);
  });

  it('says how to proceed when there is no key and none may be created', () => {
    expect(() => loadTerminalKey(dataDir, { create: false })).toThrow(
      expect.objectContaining({ code: 'KEY_MISSING' }),
    );
    expect(fs.existsSync(keyFile())).toBe(false);
  });
});
