/**
 * Fixtures for tests of the core: a fresh database on each backend (a new PostgreSQL database on
 * the local server, or a new PGlite folder), a running core on a free port, and a test terminal
 * (a key and a CoreClient; no journal) activated at it.
 *
 * PostgreSQL is expected at 127.0.0.1:5432 (user postgres, database test), as CI provides. Without
 * it a developer's run skips the PostgreSQL half, naming the package; with CI=true it fails.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { CoreClient } from '../client/core-client.ts';
import { type CoreDb, openCoreDb } from './db.ts';
import { migrateCore } from './migrate.ts';
import { type RunningCore, startCore } from './server.ts';
import { CoreService, terminalIdOfKey } from './service.ts';

export const PG_ADMIN_URL = process.env.SUANPAN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgChecked: boolean | undefined;

/** Whether the local PostgreSQL answers (CI: it must). */
export async function postgresAvailable(): Promise<boolean> {
  if (pgChecked !== undefined) return pgChecked;
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    pgChecked = true;
  } catch {
    pgChecked = process.env.CI === 'true'; // in CI, say it is there and let the test fail loudly
  }
  return pgChecked;
}

export const POSTGRES_SKIP_REASON = 'needs PostgreSQL at 127.0.0.1:5432 (package postgresql); runs in CI';

/** A new, empty PostgreSQL database; `drop` removes it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `suanpan_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type Backend = 'postgres' | 'pglite';
export const BACKENDS: Backend[] = ['postgres', 'pglite'];

export interface TestDb {
  db: CoreDb;
  /** The PostgreSQL URL (postgres backend only). */
  url?: string;
  cleanup: () => Promise<void>;
}

/**
 * A new database of that backend, migrated to the latest version, or to `migrateTo` (null: not
 * migrated at all, for the migrations' own tests).
 */
export async function openTestDb(
  backend: Backend,
  options: { migrateTo?: number | null } = {},
): Promise<TestDb> {
  const migrate = async (db: CoreDb) => {
    if (options.migrateTo !== null) await migrateCore(db, { to: options.migrateTo });
  };
  if (backend === 'postgres') {
    const { url, drop } = await createPostgresDatabase();
    const db = await openCoreDb({ url });
    await migrate(db);
    return {
      db,
      url,
      cleanup: async () => {
        await db.close();
        await drop();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-pglite-'));
  const db = await openCoreDb({ dataDir: dir });
  await migrate(db);
  return {
    db,
    cleanup: async () => {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const silentLog = () => pino({ level: 'silent' });

/** A clock tests can move. */
export class TestClock {
  offsetMs = 0;
  now = () => new Date(Date.now() + this.offsetMs);
}

export async function startTestCore(
  db: CoreDb,
  clock = new TestClock(),
  options: { adminToken?: string } = {},
): Promise<RunningCore & { clock: TestClock }> {
  const service = new CoreService({ db, log: silentLog(), now: clock.now });
  const core = await startCore({
    service,
    db,
    log: silentLog(),
    now: clock.now,
    adminToken: options.adminToken ?? null,
    version: 'test',
    host: '127.0.0.1',
    port: 0,
  });
  return { ...core, clock };
}

export interface TestTerminal {
  terminalId: string;
  privateKey: crypto.KeyObject;
  publicKeyB64: string;
  client: CoreClient;
  sign: (data: Buffer) => Buffer;
}

/** A key and a client for it; not activated yet. */
export function newTestTerminal(baseUrl: string, options: { localNow?: () => number } = {}): TestTerminal {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const terminalId = terminalIdOfKey(der);
  const sign = (data: Buffer) => crypto.sign(null, data, privateKey);
  return {
    terminalId,
    privateKey,
    publicKeyB64: der.toString('base64'),
    sign,
    client: new CoreClient({ baseUrl, terminalId, sign, localNow: options.localNow }),
  };
}

/** A merchant, an activation code, and a terminal activated with it. */
export async function activatedTerminal(core: RunningCore, options: { localNow?: () => number } = {}) {
  const { merchantId } = await core.service.createMerchant('Test Shop');
  const { code } = await core.service.createActivationCode(merchantId);
  const terminal = newTestTerminal(core.url, options);
  await terminal.client.activate({
    code,
    terminalId: terminal.terminalId,
    publicKey: terminal.publicKeyB64,
    softwareVersion: 'test',
  });
  return { ...terminal, merchantId };
}

export const cny = (minor: number) => ({ minor, currency: 'CNY' });

let facts = 0;
/** Payment facts with a fresh UUID and a code hash; `seq` is the caller's. */
export function paymentFacts(seq: number, minor = 1250) {
  facts += 1;
  return {
    paymentId: crypto.randomUUID(),
    seq,
    amount: cny(minor),
    scheme: 'alipay',
    codeHash: crypto.createHash('sha256').update(`code-${facts}-${Math.random()}`).digest('hex'),
    capturedAt: new Date().toISOString(),
  };
}
