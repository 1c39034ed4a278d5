/** `suanpan core ...`: the reference payment core and its operator commands. */
import { isPostgresUrl, POSTGRES_URL_FORM, redactDatabaseUrl } from '../../../sync/core/db.ts';
import { notFound } from '../../../sync/core/errors.ts';
import type { CoreTerminal } from '../../../sync/core/service.ts';
import { parseAmount } from '../../../sync/protocol/money.ts';
import { TerminalId } from '../../../sync/protocol/wire.ts';
import {
  CoreHostError,
  type CoreLocation,
  openCoreAdmin,
  resolveCoreLocation,
  serveCore,
} from '../../core-host.ts';
import { createLogger } from '../../log.ts';
import { moneyText, table } from '../format.ts';
import { type CliIO, type CommandResult, UsageError } from '../output.ts';

interface CoreOptions {
  dataDir: string;
  db?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
function uuid(value: string, what: string): string {
  if (!UUID.test(value))
    throw new UsageError(`Invalid ${what} "${value}": it is a UUID, as printed when it was created.`);
  return value;
}

const quietLog = () => createLogger({ level: 'warn' });

/** Where the core's database is: --db, else DATABASE_URL, else embedded in the data folder. */
function coreLocation(options: CoreOptions, io: CliIO): CoreLocation {
  const location = resolveCoreLocation({ db: options.db, dataDir: options.dataDir, env: io.env });
  // An empty --db is refused too: read as unset, it put the core on the embedded database unasked.
  // An empty DATABASE_URL is unset, as environment variables usually are.
  const given = options.db ?? location.url;
  if (given !== undefined && !isPostgresUrl(given)) {
    const option = options.db !== undefined ? '--db' : 'DATABASE_URL';
    throw new UsageError(
      `Invalid ${option} "${redactDatabaseUrl(given)}": the core's database is a PostgreSQL URL, ${POSTGRES_URL_FORM}. Leave --db and DATABASE_URL unset for the embedded database in the data folder.`,
    );
  }
  return location;
}

/**
 * Why `core serve` could not listen on --host and --port, said with those options; undefined for
 * any other failure. Node reports a name it can't resolve from getaddrinfo, an address that is not
 * this machine's, or a port taken, from listen.
 */
function listenProblem(err: unknown, host: string, port: number): Error | undefined {
  const e = err as (NodeJS.ErrnoException & { hostname?: string }) | undefined;
  const at = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (e?.syscall === 'listen' && e.code === 'EADDRINUSE') {
    return new CoreHostError(
      'CORE_PORT_IN_USE',
      `Cannot listen on ${at}: another process (perhaps another core) already uses that port. Stop it, or choose another port with --port.`,
    );
  }
  const notHere = e?.syscall === 'listen' && e.code === 'EADDRNOTAVAIL';
  const unknown = e?.syscall === 'getaddrinfo' && e.hostname === host;
  if (notHere || unknown) {
    return new UsageError(
      `Invalid --host "${host}": ${notHere ? 'it is not an address of this machine' : 'no address has that name'} (${e?.code}). Use an address of one of this machine's interfaces, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).`,
    );
  }
  return undefined;
}

async function withAdmin<T>(
  options: CoreOptions,
  io: CliIO,
  fn: (admin: Awaited<ReturnType<typeof openCoreAdmin>>) => Promise<T>,
) {
  const admin = await openCoreAdmin(coreLocation(options, io), quietLog());
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

export async function coreServe(
  options: CoreOptions & { host: string; port: string },
  io: CliIO,
): Promise<CommandResult> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`Invalid --port "${options.port}": use 0–65535.`);
  const location = coreLocation(options, io);
  const log = createLogger({ level: 'info' });
  const core = await serveCore({ location, host: options.host, port, log }).catch((err: unknown) => {
    throw listenProblem(err, options.host, port) ?? err;
  });
  io.stdout(
    `Suanpan core listening on ${core.url} (database: ${core.db.kind} ${core.db.location}). Ctrl-C stops it.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await core.close();
  return { json: { stopped: true }, text: 'Core stopped.' };
}

export async function merchantCreate(
  options: CoreOptions & { name: string },
  io: CliIO,
): Promise<CommandResult> {
  const name = options.name.trim();
  if (name.length === 0 || name.length > 200) throw new UsageError('A merchant name is 1 to 200 characters.');
  const r = await withAdmin(options, io, (a) => a.createMerchant(name));
  return { json: r, text: `Merchant ${name}: ${r.merchantId}` };
}

export async function activationCreate(
  options: CoreOptions & { merchant: string },
  io: CliIO,
): Promise<CommandResult> {
  const r = await withAdmin(options, io, (a) =>
    a.createActivationCode(uuid(options.merchant, 'merchant id')),
  );
  return { json: r, text: `Activation code ${r.code} (works once, until ${r.expiresAt})` };
}

export async function walletCreate(
  options: CoreOptions & { balance: string; currency?: string },
  io: CliIO,
): Promise<CommandResult> {
  const balance = parseAmount(options.balance, options.currency ?? 'CNY');
  const r = await withAdmin(options, io, (a) => a.createWallet(balance));
  return { json: r, text: `Demo wallet ${r.walletId} with ${moneyText(balance)}` };
}

export async function walletCode(
  options: CoreOptions & { wallet: string },
  io: CliIO,
): Promise<CommandResult> {
  const r = await withAdmin(options, io, (a) => a.issueWalletCode(uuid(options.wallet, 'wallet id')));
  return {
    json: { code: r.code, issuedAt: r.issuedAt, expiresAt: r.expiresAt },
    text: `${r.code}  (single use, valid until ${r.expiresAt})`,
  };
}

export async function walletShow(
  options: CoreOptions & { wallet: string },
  io: CliIO,
): Promise<CommandResult> {
  const r = await withAdmin(options, io, (a) => a.wallet(uuid(options.wallet, 'wallet id')));
  return { json: { balance: r.balance }, text: `Wallet ${r.walletId}: ${moneyText(r.balance)}` };
}

export async function corePayments(
  options: CoreOptions & { terminal?: string; limit?: string },
  io: CliIO,
): Promise<CommandResult> {
  if (options.terminal && !TerminalId.safeParse(options.terminal).success) {
    throw new UsageError(`Invalid --terminal "${options.terminal}": a terminal id is sp- and 16 hex digits.`);
  }
  const limit = options.limit === undefined ? 100 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new UsageError(`Invalid --limit "${options.limit}": use 1 to 10000.`);
  const list = await withAdmin(options, io, (a) => a.payments({ terminalId: options.terminal, limit }));
  return {
    json: list,
    text:
      list.length === 0
        ? 'The core holds no payments.'
        : table(
            ['terminal', 'seq', 'amount', 'mode', 'state', 'reason'],
            list.map((p) => [
              p.terminalId,
              String(p.seq),
              moneyText(p.amount),
              p.mode,
              p.state,
              p.reason ?? '',
            ]),
          ),
  };
}

export async function coreRevoke(
  options: CoreOptions & { terminal: string },
  io: CliIO,
): Promise<CommandResult> {
  if (!TerminalId.safeParse(options.terminal).success) {
    throw new UsageError(`Invalid --terminal "${options.terminal}": a terminal id is sp- and 16 hex digits.`);
  }
  const r = await withAdmin(options, io, (a) => a.revokeTerminal(options.terminal));
  return { json: r, text: `Terminal ${r.terminalId} revoked: the core refuses its requests from now on.` };
}

/** A time in a table, to the second: milliseconds only widen the columns. */
function when(iso: string | null): string {
  return iso === null ? '' : iso.replace(/\.\d{3}Z$/, 'Z');
}

/** What an integrity alert means and what the operator does about it, for people. */
function integrityAlertText(t: CoreTerminal): string {
  const trust =
    t.status === 'revoked'
      ? 'It is revoked already: set it up anew, in a new data folder with a new key.'
      : `A terminal that can't be trusted is revoked with \`suanpan core revoke --terminal ${t.terminalId}\` and set up anew, in a new data folder with a new key.`;
  return [
    `INTEGRITY ALERT ${t.terminalId}: ${t.integrityAlert}`,
    `  Its journal is not the one this core knew: a restored backup, a copied or altered data folder. The core refused its sync. Keep its data folder as it is (don't delete, restore or activate it again) and find out what happened. ${trust}`,
  ].join('\n');
}

export async function coreTerminals(
  options: CoreOptions & { terminal?: string },
  io: CliIO,
): Promise<CommandResult> {
  if (options.terminal !== undefined && !TerminalId.safeParse(options.terminal).success) {
    throw new UsageError(`Invalid --terminal "${options.terminal}": a terminal id is sp- and 16 hex digits.`);
  }
  const list = await withAdmin(options, io, (a) => a.terminals({ terminalId: options.terminal }));
  if (options.terminal !== undefined && list.length === 0) {
    throw notFound(
      `No terminal ${options.terminal} at this core: check the id (\`suanpan core terminals\` lists the terminals it knows), and that --db, DATABASE_URL or --data-dir names this core's database.`,
    );
  }
  if (list.length === 0) {
    return {
      json: list,
      text: 'The core knows no terminals yet: one is added when it activates with a code from `suanpan core activation create`.',
    };
  }
  const rows = table(
    [
      'terminal',
      'merchant',
      'status',
      'version',
      'last seen',
      'queue',
      'held to seq',
      'anchored head',
      'alert',
    ],
    list.map((t) => [
      t.terminalId,
      `${t.merchantName} (${t.merchantId})`,
      t.revokedAt ? `revoked ${when(t.revokedAt)}` : t.status,
      t.softwareVersion ?? '',
      when(t.lastSeenAt),
      String(t.queueDepth),
      String(t.highestContiguousSeq),
      t.anchor ? `${t.anchor.entrySeq} (${t.anchor.hash.slice(0, 12)})` : '',
      t.integrityAlert === null ? '' : 'INTEGRITY',
    ]),
  );
  const alerts = list.filter((t) => t.integrityAlert !== null).map(integrityAlertText);
  return { json: list, text: [rows, ...(alerts.length > 0 ? ['', ...alerts] : [])].join('\n') };
}
