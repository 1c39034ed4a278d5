/** `suanpan core ...`: the reference payment core and its operator commands. */
import { parseAmount } from '../../../sync/protocol/money.ts';
import { TerminalId } from '../../../sync/protocol/wire.ts';
import { openCoreAdmin, resolveCoreLocation, serveCore } from '../../core-host.ts';
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

async function withAdmin<T>(
  options: CoreOptions,
  io: CliIO,
  fn: (admin: Awaited<ReturnType<typeof openCoreAdmin>>) => Promise<T>,
) {
  const admin = await openCoreAdmin(
    resolveCoreLocation({ db: options.db, dataDir: options.dataDir, env: io.env }),
    quietLog(),
  );
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
  const log = createLogger({ level: 'info' });
  const core = await serveCore({
    location: resolveCoreLocation({ db: options.db, dataDir: options.dataDir, env: io.env }),
    host: options.host,
    port,
    log,
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
