/**
 * Running the reference core from the `suanpan` command: `core serve`, and the operator commands
 * (`core merchant create`, ...), which work while a server runs on the same database.
 *
 * With PostgreSQL (`--db URL` or DATABASE_URL) every process talks to the database itself. The
 * embedded PGlite database belongs to one process at a time (a lock file in its folder): while
 * `core serve` holds it, operator commands go to that server's loopback operator routes with the
 * token it wrote (mode 0600) beside the database.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { causeCode } from '../sync/client/errors.ts';
import { type CoreDb, openCoreDb } from '../sync/core/db.ts';
import { CoreError } from '../sync/core/errors.ts';
import { migrateCore } from '../sync/core/migrate.ts';
import { type RunningCore, startCore } from '../sync/core/server.ts';
import { type CorePayment, CoreService, type CoreTerminal } from '../sync/core/service.ts';
import { formatAmount, type Money } from '../sync/protocol/money.ts';
import { ErrorResponse } from '../sync/protocol/wire.ts';
import { pidAlive } from './pid-alive.ts';
import { SOFTWARE_VERSION } from './version.ts';

export const CORE_DIR = 'core';
const LOCK_FILE = 'pglite.lock';
const SERVE_FILE = 'serve.json';
/** How long an operator command waits for the running core's answer (a ledger query takes ms). */
export const ADMIN_TIMEOUT_MS = 30_000;

export class CoreHostError extends Error {
  constructor(
    readonly code: 'CORE_BUSY' | 'CORE_ADMIN_FAILED' | 'CORE_PORT_IN_USE' | 'CORE_NOT_ANSWERING',
    message: string,
  ) {
    super(message);
    this.name = 'CoreHostError';
  }
}

/** What operators do; the same whether it runs against the database or through a server. */
export interface CoreAdmin {
  createMerchant(name: string): Promise<{ merchantId: string }>;
  createActivationCode(merchantId: string): Promise<{ code: string; expiresAt: string }>;
  createWallet(balance: Money): Promise<{ walletId: string }>;
  issueWalletCode(walletId: string): Promise<{ code: string; issuedAt: string; expiresAt: string }>;
  wallet(walletId: string): Promise<{ walletId: string; balance: Money }>;
  payments(filter: { terminalId?: string; limit?: number }): Promise<CorePayment[]>;
  revokeTerminal(terminalId: string): Promise<{ terminalId: string; status: 'revoked' }>;
  /** Every terminal, or only `terminalId` (an empty list if the core doesn't know it). */
  terminals(filter: { terminalId?: string }): Promise<CoreTerminal[]>;
  ledgerCheck(): Promise<{ total: number; walletsMismatched: number }>;
  close(): Promise<void>;
}

export interface CoreLocation {
  /** postgres://... or undefined for the embedded database. */
  url?: string;
  dataDir: string;
}

export function resolveCoreLocation(options: {
  db?: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
}): CoreLocation {
  return {
    url: options.db ?? (options.env.DATABASE_URL || undefined),
    dataDir: path.join(options.dataDir, CORE_DIR),
  };
}

/**
 * A process as more than its pid, which is reused once it dies: this boot's id and the process's
 * start time in clock ticks since boot, from /proc (neither moves when the wall clock is set).
 * Null where /proc can't tell (not Linux).
 */
function processIdentity(pid: number): string | null {
  try {
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    // Fields after the command name (which may hold spaces): starttime is the 22nd field.
    const fields = (fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] as string).split(' ');
    return fields[19] ? `${boot}/${fields[19]}` : null;
  } catch {
    return null;
  }
}

/**
 * Whether the process that wrote a lock or serve.json still runs: its pid alive and, where the file
 * recorded its identity, still that process (not another one given the pid since).
 */
function holderAlive(pid: number, identity: string | undefined): boolean {
  if (!pidAlive(pid)) return false;
  if (!identity) return true; // written by an older version: the pid is all there is
  const now = processIdentity(pid);
  return now === null || now === identity;
}

/** Takes the embedded database's lock, or says who holds it. */
function lockEmbedded(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const me = processIdentity(process.pid);
      fs.writeFileSync(file, me ? `${process.pid} ${me}` : String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pidText, identity] = fs.readFileSync(file, 'utf8').trim().split(' ');
      const holder = Number(pidText);
      if (Number.isInteger(holder) && holder > 0 && holderAlive(holder, identity)) {
        throw new CoreHostError(
          'CORE_BUSY',
          `The embedded core database in ${dir} is in use by process ${holder}. Stop it, or use PostgreSQL (--db) to run several core processes.`,
        );
      }
      fs.rmSync(file, { force: true }); // left by a process that died
    }
  }
  throw new CoreHostError('CORE_BUSY', `Cannot lock the embedded core database in ${dir}.`);
}

async function openDb(location: CoreLocation): Promise<{ db: CoreDb; release: () => void }> {
  if (location.url) return { db: await openCoreDb({ url: location.url }), release: () => {} };
  const release = lockEmbedded(location.dataDir);
  try {
    return { db: await openCoreDb({ dataDir: path.join(location.dataDir, 'pglite') }), release };
  } catch (err) {
    release();
    throw err;
  }
}

export interface ServingCore extends RunningCore {
  db: CoreDb;
}

/** `core serve`: until `close()`. */
export async function serveCore(options: {
  location: CoreLocation;
  host: string;
  port: number;
  log: Logger;
}): Promise<ServingCore> {
  // Only a serve.json that names its process beyond the pid (an older core's may name a pid reused
  // since by another program): the lock below says the rest.
  const already = options.location.url ? null : liveServeFile(options.location.dataDir);
  if (already?.identity) {
    throw new CoreHostError(
      'CORE_BUSY',
      `A core already serves ${options.location.dataDir} (process ${already.pid}, at ${already.url}). Stop it first, or use PostgreSQL (--db) to run several core processes.`,
    );
  }
  const { db, release } = await openDb(options.location);
  const embedded = !options.location.url;
  const adminToken = embedded ? crypto.randomBytes(24).toString('base64url') : null;
  let running: RunningCore;
  try {
    const service = new CoreService({ db, log: options.log });
    running = await startCore({
      service,
      db,
      log: options.log,
      adminToken,
      version: SOFTWARE_VERSION,
      host: options.host,
      port: options.port,
    });
  } catch (err) {
    await db.close().catch(() => {});
    release();
    throw err;
  }
  const serveFile = path.join(options.location.dataDir, SERVE_FILE);
  if (embedded) {
    // The operator routes answer on loopback only, which --host may not be (see operatorAddress).
    const serving = {
      pid: process.pid,
      identity: processIdentity(process.pid) ?? undefined,
      url: running.url,
      adminUrl: running.operatorUrl,
      adminToken,
    };
    fs.writeFileSync(serveFile, JSON.stringify(serving), { mode: 0o600 });
  }
  return {
    ...running,
    db,
    close: async () => {
      await running.close();
      if (embedded) fs.rmSync(serveFile, { force: true });
      await db.close();
      release();
    },
  };
}

/** How long an operator command waits for a core that is starting, or another command, to let go. */
const BUSY_WAIT_MS = 30_000;

/** serve.json of a core that still runs, else null. */
function liveServeFile(dataDir: string): {
  pid: number;
  /** See processIdentity; absent when written by an older core. */
  identity?: string;
  url: string;
  /** Absent when written by an older core: its listen URL served the operator routes. */
  adminUrl?: string;
  adminToken: string;
} | null {
  let serving: { pid: number; identity?: string; url: string; adminUrl?: string; adminToken: string };
  try {
    serving = JSON.parse(fs.readFileSync(path.join(dataDir, SERVE_FILE), 'utf8'));
  } catch {
    return null; // none, or being written this very moment: looked at again
  }
  return holderAlive(serving.pid, serving.identity) ? serving : null;
}

/** Operator access, direct or through the running server (see the module comment). */
export async function openCoreAdmin(
  location: CoreLocation,
  log: Logger,
  options: { timeoutMs?: number; busyWaitMs?: number } = {},
): Promise<CoreAdmin> {
  // The embedded database's lock may be held by a core that is starting (opening PGlite takes
  // seconds) and has not written serve.json yet, or by another operator command for a moment:
  // wait for the one or the other rather than tell the operator to stop the core just started.
  const waitUntil = Date.now() + (options.busyWaitMs ?? BUSY_WAIT_MS);
  let opened: { db: CoreDb; release: () => void };
  for (;;) {
    const serving = location.url ? null : liveServeFile(location.dataDir);
    if (serving) {
      return adminOverHttp({
        url: serving.adminUrl ?? serving.url,
        token: serving.adminToken,
        pid: serving.pid,
        serveFile: path.join(location.dataDir, SERVE_FILE),
        lockFile: path.join(location.dataDir, LOCK_FILE),
        timeoutMs: options.timeoutMs ?? ADMIN_TIMEOUT_MS,
      });
    }
    try {
      opened = await openDb(location);
      break;
    } catch (err) {
      if (!(err instanceof CoreHostError && err.code === 'CORE_BUSY')) throw err;
      if (Date.now() >= waitUntil) {
        throw new CoreHostError(
          'CORE_BUSY',
          `${err.message.replace(/\. Stop it,.*$/, '')}, and has not started serving it in ${Math.round((options.busyWaitMs ?? BUSY_WAIT_MS) / 1000)} s (a core stuck starting?). If it is not a core you started, stop it; or use PostgreSQL (--db) to run several core processes.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const { db, release } = opened;
  try {
    await migrateCore(db);
  } catch (err) {
    await db.close();
    release();
    throw err;
  }
  const service = new CoreService({ db, log });
  return {
    createMerchant: (name) => service.createMerchant(name),
    createActivationCode: (merchantId) => service.createActivationCode(merchantId),
    createWallet: (balance) => service.createWallet(balance),
    issueWalletCode: (walletId) => service.issueWalletCode(walletId),
    wallet: (walletId) => service.wallet(walletId),
    payments: (filter) => service.payments(filter),
    revokeTerminal: (terminalId) => service.revokeTerminal(terminalId),
    terminals: (filter) => service.terminals(filter),
    ledgerCheck: () => service.ledgerCheck(),
    close: async () => {
      await db.close();
      release();
    },
  };
}

/**
 * The operator routes of the server recorded in serve.json. That file, and the database's lock, stay
 * behind a core that died; its process id may be another program's since, so the server recorded
 * may not answer at all: said so, with the two files to remove if no core is running.
 */
function adminOverHttp(server: {
  url: string;
  token: string;
  pid: number;
  serveFile: string;
  lockFile: string;
  timeoutMs: number;
}): CoreAdmin {
  const notAnswering = (why: string) =>
    new CoreHostError(
      'CORE_NOT_ANSWERING',
      `A core server is recorded at ${server.url} (process ${server.pid}, in ${server.serveFile}) but doesn't answer (${why}). If that core is running, check it and try again. If it isn't (it stopped without cleaning up, and process ${server.pid} is another program now), remove ${server.serveFile} and ${server.lockFile}: then this command opens the database itself, and \`suanpan core serve\` can start the core again.`,
    );
  // A process that takes the connection and never answers (a hung core, another program on the port).
  const noAnswer = `no answer in ${server.timeoutMs / 1000} s`;
  const timedOut = (err: unknown) => (err as Error)?.name === 'TimeoutError';
  const call = async <T>(method: 'GET' | 'POST', target: string, body?: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(new URL(target, server.url), {
        method,
        headers: {
          authorization: `Bearer ${server.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(server.timeoutMs),
      });
    } catch (err) {
      throw notAnswering(
        timedOut(err)
          ? noAnswer
          : (causeCode(err) ??
              ((err as Error).cause as Error | undefined)?.message ??
              (err as Error).message),
      );
    }
    let json: T & { error?: { code: string; message: string } };
    try {
      json = (await response.json()) as typeof json;
    } catch (err) {
      throw notAnswering(timedOut(err) ? noAnswer : `HTTP ${response.status}, not a core's answer`);
    }
    if (!response.ok) {
      // The core's own refusal (NOT_FOUND for an unknown wallet, ...) is passed on as the direct
      // path throws it; the operator guard's 401 means this command could not use the routes.
      const refusal = ErrorResponse.safeParse(json);
      if (refusal.success && response.status !== 401) {
        const { code, message, field } = refusal.data.error;
        throw new CoreError(response.status, code, message, field);
      }
      throw new CoreHostError(
        'CORE_ADMIN_FAILED',
        json.error?.message ?? `The core answered ${response.status}.`,
      );
    }
    return json;
  };
  return {
    createMerchant: (name) => call('POST', '/admin/v1/merchants', { name }),
    createActivationCode: (merchantId) => call('POST', '/admin/v1/activation-codes', { merchantId }),
    createWallet: (balance) =>
      call('POST', '/admin/v1/wallets', { balance: formatAmount(balance), currency: balance.currency }),
    issueWalletCode: (walletId) => call('POST', `/admin/v1/wallets/${walletId}/codes`),
    wallet: (walletId) => call('GET', `/admin/v1/wallets/${walletId}`),
    payments: (filter) =>
      call(
        'GET',
        `/admin/v1/payments?limit=${filter.limit ?? 100}${filter.terminalId ? `&terminal=${filter.terminalId}` : ''}`,
      ),
    revokeTerminal: (terminalId) => call('POST', `/admin/v1/terminals/${terminalId}/revoke`),
    terminals: (filter) =>
      call('GET', `/admin/v1/terminals${filter.terminalId ? `?terminal=${filter.terminalId}` : ''}`),
    ledgerCheck: () => call('GET', '/admin/v1/ledger'),
    close: async () => {},
  };
}
