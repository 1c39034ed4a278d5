/**
 * The `suanpan` command. Every subcommand takes --data-dir and --json and exits 0 on success,
 * 1 when the operation was refused or failed, 2 on bad usage or input.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { resolveDataDir } from '../data-dir.ts';
import { configShow } from './commands/config.ts';
import { demo } from './commands/demo.ts';
import { init } from './commands/init.ts';
import { exportJournal, verify } from './commands/journal.ts';
import { pay } from './commands/pay.ts';
import { payments } from './commands/payments.ts';
import { queue } from './commands/queue.ts';
import { shiftClose } from './commands/shift.ts';
import { type CliIO, type CommandResult, classifyCliError, EXIT_OK, EXIT_USAGE, jsonLine } from './output.ts';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

interface Common {
  dataDir?: string;
  json?: boolean;
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let exitCode = EXIT_OK;
  let json = false;

  const program = new Command('suanpan')
    .description('Suanpan (算盘): offline-first payment terminal for merchant counters.')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride();

  /** Adds --data-dir and --json, and runs the action with the result printed and errors mapped. */
  const command = (parent: Command, name: string, description: string) =>
    parent
      .command(name)
      .description(description)
      .option(
        '--data-dir <dir>',
        'terminal data folder (default: $SUANPAN_DATA_DIR or $XDG_DATA_HOME/suanpan)',
      )
      .option('--json', 'print machine-readable JSON')
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });

  const run =
    <O extends Common>(
      action: (
        options: O & { dataDir: string; dataDirGiven?: string },
      ) => CommandResult | Promise<CommandResult>,
    ) =>
    async (options: O) => {
      json = options.json === true;
      const dataDir = resolveDataDir(options.dataDir, io.env);
      const result = await action({ ...options, dataDir, dataDirGiven: options.dataDir });
      if (json && result.json !== undefined) io.stdout(jsonLine(result.json));
      else if (!json && result.text) io.stdout(`${result.text}\n`);
      exitCode = result.exitCode ?? EXIT_OK;
    };

  command(
    program,
    'init',
    'set up the terminal in the data folder (key and journal), or show the one there',
  ).action(run((o) => init(o, io)));

  command(program, 'pay', "take a payment: amount and the customer's payment code (付款码)")
    .requiredOption('--amount <amount>', 'amount, e.g. 12.50')
    .requiredOption('--code <code>', "payment code scanned from the customer's wallet")
    .option('--currency <code>', 'ISO 4217 currency (default: the terminal currency, CNY)')
    .action(run<Common & { amount: string; code: string; currency?: string }>((o) => pay(o, io)));

  command(program, 'queue', 'show payments stored offline and the offline room left').action(
    run((o) => queue(o, io)),
  );

  command(program, 'payments', 'list the latest payments with their current state')
    .option('--status <status>', 'only payments in this state (e.g. accepted_offline, declined_after_sync)')
    .option('--limit <n>', 'how many (default 20)')
    .action(run<Common & { status?: string; limit?: string }>((o) => payments(o, io)));

  const journal = program.command('journal').description('check and export the payment journal');
  command(journal, 'verify', 'check the hash chain, the signatures and the payments table')
    .option('--all-signatures', "check every entry's signature, not only checkpoints (slower)")
    .action(run<Common & { allSignatures?: boolean }>((o) => verify(o, io)));
  command(journal, 'export', 'write every entry as JSON lines or CSV, payment codes masked')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--out <file>', 'write to this file instead of standard output')
    .action(run<Common & { format?: string; out?: string }>((o) => exportJournal(o, io)));

  const config = program.command('config').description('terminal settings');
  command(config, 'show', 'print the effective settings and where each came from').action(
    run((o) => configShow(o, io)),
  );

  const shift = program.command('shift').description('cashier shifts');
  command(shift, 'close', 'close the shift: record it in the journal and print its report').action(
    run((o) => shiftClose(o, io)),
  );

  command(
    program,
    'demo',
    'headless demo of offline checkout in a new data folder (what `npm start` runs)',
  ).action(run<Common>((o) => demo({ dataDir: o.dataDirGiven }, io)));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      ) {
        return EXIT_OK;
      }
      // commander has printed its message already.
      return EXIT_USAGE;
    }
    const classified = classifyCliError(err);
    if (json)
      io.stdout(jsonLine({ ok: false, error: { code: classified.code, message: classified.message } }));
    else io.stderr(`suanpan: ${classified.message}\n`);
    if (classified.code === 'INTERNAL') io.stderr(`${(err as Error)?.stack ?? ''}\n`);
    return classified.exitCode;
  }
}
