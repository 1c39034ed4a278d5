/**
 * The terminal's identity: an Ed25519 key pair made on first start. The private key file is created
 * with mode 0600 in a 0700 folder, written atomically (temp file, fsync, rename), and refused if its
 * permissions are ever wider. The terminal id is derived from the public key, so it can't drift from it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hmacSha256 } from '../../sync/journal/hmac.ts';
import type { EntrySigner } from '../../sync/journal/journal.ts';
import { writeFileAtomically } from '../json-file.ts';

export const KEY_DIR = 'keys';
export const PRIVATE_KEY_FILE = 'terminal.key';
export const PUBLIC_KEY_FILE = 'terminal.pub';

export type IdentityErrorCode = 'KEY_PERMISSIONS' | 'KEY_INVALID' | 'KEY_MISSING' | 'KEY_UNWRITABLE';

export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IdentityError';
  }
}

export interface TerminalKey extends EntrySigner {
  /** `sp-` and 16 hex digits of SHA-256 over the public key (SPKI DER). */
  readonly terminalId: string;
  readonly publicKeyPem: string;
  /** Keyed hash (HMAC-SHA256) of a payment code: what the journal keeps instead of the code. */
  digestCode(code: string): Buffer;
}

export function terminalIdOf(publicKey: crypto.KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `sp-${crypto.createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
}

/**
 * Loads the key from `<dataDir>/keys/`, creating it when `create` is true and there is none.
 * Throws IdentityError (never creates a new key over an unreadable one: that would orphan the journal).
 */
export function loadTerminalKey(dataDir: string, options: { create: boolean }): TerminalKey {
  const dir = path.join(dataDir, KEY_DIR);
  const file = path.join(dir, PRIVATE_KEY_FILE);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(file, err);
  }
  if (!stat) {
    if (!options.create) {
      throw new IdentityError(
        'KEY_MISSING',
        `The terminal's key ${file} is missing. This terminal's journal is signed with it, so Suanpan will not make a new one: restore keys/terminal.key (mode 0600) from the terminal's backup, or point --data-dir at the terminal's data folder.`,
        file,
      );
    }
    createKey(dir, file);
    stat = fs.lstatSync(file);
  }
  if (!stat.isFile()) {
    throw new IdentityError('KEY_INVALID', `The terminal key ${file} is not a regular file.`, file);
  }
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new IdentityError(
      'KEY_PERMISSIONS',
      `The terminal's private key ${file} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}). ` +
        `Suanpan will not start with it: run \`chmod 600 ${file}\`, check who else could have read it, then start again.`,
      file,
    );
  }
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(fs.readFileSync(file));
  } catch (err) {
    throw new IdentityError(
      'KEY_INVALID',
      `The terminal key ${file} cannot be read as a private key (${(err as Error).message}). Restore it from the terminal's backup; don't replace it, or the journal can no longer be verified.`,
      file,
      { cause: err },
    );
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new IdentityError(
      'KEY_INVALID',
      `The terminal key ${file} is ${privateKey.asymmetricKeyType}, not Ed25519.`,
      file,
    );
  }
  const publicKey = crypto.createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const pubFile = path.join(dir, PUBLIC_KEY_FILE);
  if (!fs.existsSync(pubFile)) writeFileAtomically(pubFile, publicKeyPem, 0o644);
  // Separate keys for code hashes and entry MACs, derived so that they need no file of their own.
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
  // MACs under a fixed key without createHmac's key setup per call (see hmac.ts): paid once per
  // payment for its code and once per entry for its MAC.
  const digestCode = hmacSha256(
    Buffer.from(crypto.hkdfSync('sha256', seed, 'suanpan', 'payment-code-hash/1', 32)),
  );
  const mac = hmacSha256(Buffer.from(crypto.hkdfSync('sha256', seed, 'suanpan', 'journal-entry-mac/1', 32)));
  return {
    terminalId: terminalIdOf(publicKey),
    publicKey,
    publicKeyPem,
    sign: (hash) => crypto.sign(null, hash, privateKey),
    mac,
    digestCode,
  };
}

function createKey(dir: string, file: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    // Exclusive: if two processes start at once, both end up with the first one's key.
    writeFileAtomically(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600, {
      exclusive: true,
    });
  } catch (err) {
    throw new IdentityError(
      'KEY_UNWRITABLE',
      `Cannot create the terminal key ${file} (${(err as Error).message}). Check that the data folder is writable.`,
      file,
      { cause: err },
    );
  }
}

function unreadable(file: string, err: unknown): IdentityError {
  return new IdentityError(
    'KEY_INVALID',
    `Cannot read the terminal key ${file} (${(err as Error).message}).`,
    file,
    { cause: err },
  );
}
