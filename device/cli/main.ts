/**
 * The `suanpan` command. Every subcommand takes --data-dir and --json and exits 0 on success,
 * 1 when the operation was refused or failed, 2 on bad usage or input.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { resolveDataDir } from '../data-dir.ts';
import {
  type CliIO,
  type CommandResult,
  classifyCliError,
  EXIT_OK,
  EXIT_USAGE,
  jsonLine,
  UsageError,
} from './output.ts';

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
  const command = (
    parent: Command,
    name: string,
    description: string,
    dataDirHelp = 'terminal data folder (default: $SUANPAN_DATA_DIR, else $XDG_DATA_HOME/suanpan, else ~/.local/share/suanpan)',
  ) =>
    parent
      .command(name)
      .description(description)
      .option('--data-dir <dir>', dataDirHelp)
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
      // An empty --data-dir (an unset shell variable) is not "the default folder": a payment
      // taken there would land in another terminal's journal.
      if (options.dataDir?.trim() === '')
        throw new UsageError(
          "--data-dir is empty: name the terminal's data folder, or leave the option out.",
        );
      // `--data-dir --json` (the folder's variable unset, unquoted) would make a terminal in a
      // folder named after the next option.
      if (options.dataDir?.startsWith('-'))
        throw new UsageError(
          `--data-dir ${options.dataDir} looks like an option, not a folder: name the terminal's data folder (a folder whose name starts with "-" can be given as ./${options.dataDir}).`,
        );
      const dataDir = resolveDataDir(options.dataDir, io.env);
      let found: fs.Stats | undefined;
      try {
        found = fs.statSync(dataDir, { throwIfNoEntry: false });
      } catch (err) {
        // ENAMETOOLONG, ENOTDIR (a file on the way), ELOOP: no folder can be there.
        throw new UsageError(
          `--data-dir ${dataDir.length > 120 ? `${dataDir.slice(0, 120)}…` : dataDir} can't be a folder (${(err as NodeJS.ErrnoException).code}): name the terminal's data folder.`,
        );
      }
      if (found?.isDirectory() === false)
        throw new UsageError(
          `The data folder ${dataDir} is a file, not a folder: name the terminal's data folder.`,
        );
      const result = await action({ ...options, dataDir, dataDirGiven: options.dataDir });
      if (json && result.json !== undefined) io.stdout(jsonLine(result.json));
      else if (!json && result.text) io.stdout(`${result.text}\n`);
      exitCode = result.exitCode ?? EXIT_OK;
    };

  command(
    program,
    'init',
    'set up the terminal in the data folder (key and journal), or show the one there',
  ).action(run(async (o) => (await import('./commands/init.ts')).init(o, io)));

  command(program, 'pay', "take a payment: amount and the customer's payment code (付款码)")
    .requiredOption('--amount <amount>', 'amount, e.g. 12.50')
    .requiredOption('--code <code>', "payment code scanned from the customer's wallet")
    .option('--currency <code>', 'ISO 4217 currency (default: the terminal currency, CNY)')
    .action(
      run<Common & { amount: string; code: string; currency?: string }>(async (o) =>
        (await import('./commands/pay.ts')).pay(o, io),
      ),
    );

  command(program, 'queue', 'show payments stored offline and the offline room left').action(
    run(async (o) => (await import('./commands/queue.ts')).queue(o, io)),
  );

  command(program, 'payments', 'list the latest payments with their current state')
    .option('--status <status>', 'only payments in this state (e.g. accepted_offline, declined_after_sync)')
    .option('--limit <n>', 'how many (default 20)')
    .action(
      run<Common & { status?: string; limit?: string }>(async (o) =>
        (await import('./commands/payments.ts')).payments(o, io),
      ),
    );

  command(program, 'activate', 'bind this terminal to a merchant at a payment core, with a one-time code')
    .requiredOption('--core <url>', 'the core, e.g. http://127.0.0.1:7430')
    .requiredOption('--code <code>', 'activation code from the operator, e.g. K7QM-2XWP-9HRT')
    .action(
      run<Common & { core: string; code: string }>(async (o) =>
        (await import('./commands/activate.ts')).activateCommand(o, io),
      ),
    );

  command(program, 'sync', 'send stored payments to the core now and record what it decided')
    .option(
      '--retry-parked',
      'send the parked payments again too (after what set them aside was put right, e.g. a core upgraded)',
    )
    .action(
      run<Common & { retryParked?: boolean }>(async (o) =>
        (await import('./commands/sync.ts')).syncCommand(o, io),
      ),
    );

  const core = program
    .command('core')
    .description('the reference payment core (server and operator commands)');
  const coreCommand = (parent: Command, name: string, description: string) =>
    command(
      parent,
      name,
      description,
      "the core's data folder: its embedded PGlite database and the running server's record (default: $SUANPAN_DATA_DIR, else $XDG_DATA_HOME/suanpan, else ~/.local/share/suanpan)",
    ).option(
      '--db <url>',
      'PostgreSQL URL (default: $DATABASE_URL, else embedded PGlite in the data folder)',
    );
  coreCommand(core, 'serve', 'run the core')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '7430')
    .action(
      run<Common & { db?: string; host: string; port: string }>(async (o) =>
        (await import('./commands/core.ts')).coreServe(o, io),
      ),
    );
  const merchant = core.command('merchant').description('merchants');
  coreCommand(merchant, 'create', 'create a merchant')
    .requiredOption('--name <name>', "the merchant's name")
    .action(
      run<Common & { db?: string; name: string }>(async (o) =>
        (await import('./commands/core.ts')).merchantCreate(o, io),
      ),
    );
  const activation = core.command('activation').description('activation codes');
  coreCommand(activation, 'create', 'issue a one-time activation code for a merchant (valid 24 h)')
    .requiredOption('--merchant <id>', 'merchant id')
    .action(
      run<Common & { db?: string; merchant: string }>(async (o) =>
        (await import('./commands/core.ts')).activationCreate(o, io),
      ),
    );
  const wallet = core.command('wallet').description('demo wallets');
  coreCommand(wallet, 'create', 'create a demo wallet with a balance')
    .requiredOption('--balance <amount>', 'starting balance, e.g. 100.00')
    .option('--currency <code>', 'ISO 4217 currency', 'CNY')
    .action(
      run<Common & { db?: string; balance: string; currency?: string }>(async (o) =>
        (await import('./commands/core.ts')).walletCreate(o, io),
      ),
    );
  coreCommand(wallet, 'code', 'issue a fresh single-use payment code (付款码) for the wallet, valid 60 s')
    .requiredOption('--wallet <id>', 'wallet id')
    .action(
      run<Common & { db?: string; wallet: string }>(async (o) =>
        (await import('./commands/core.ts')).walletCode(o, io),
      ),
    );
  coreCommand(wallet, 'show', "show a wallet's balance")
    .requiredOption('--wallet <id>', 'wallet id')
    .action(
      run<Common & { db?: string; wallet: string }>(async (o) =>
        (await import('./commands/core.ts')).walletShow(o, io),
      ),
    );
  coreCommand(core, 'payments', 'list the payments the core holds, with their state')
    .option('--terminal <id>', 'only this terminal')
    .option('--limit <n>', 'how many (default 100)')
    .action(
      run<Common & { db?: string; terminal?: string; limit?: string }>(async (o) =>
        (await import('./commands/core.ts')).corePayments(o, io),
      ),
    );
  coreCommand(
    core,
    'terminals',
    'list the terminals: merchant, status, last sync, anchored journal head, integrity alerts',
  )
    .option('--terminal <id>', 'only this terminal')
    .action(
      run<Common & { db?: string; terminal?: string }>(async (o) =>
        (await import('./commands/core.ts')).coreTerminals(o, io),
      ),
    );
  coreCommand(core, 'revoke', 'revoke a terminal: the core refuses its requests')
    .requiredOption('--terminal <id>', 'terminal id')
    .action(
      run<Common & { db?: string; terminal: string }>(async (o) =>
        (await import('./commands/core.ts')).coreRevoke(o, io),
      ),
    );

  const printerCmd = program.command('printer').description('the receipt printer');
  command(printerCmd, 'status', "read the printer's real-time status")
    .option(
      '--printer <uri>',
      'tcp://HOST[:PORT], serial:PATH?baud=N, usb:VID:PID[:SERIAL] or lp:PATH (default: printer.uri)',
    )
    .action(
      run<Common & { printer?: string }>(async (o) =>
        (await import('./commands/printer.ts')).printerStatus(o, io),
      ),
    );
  command(printerCmd, 'queue', 'list the receipts waiting to be printed').action(
    run(async (o) => (await import('./commands/printer.ts')).printQueue(o, io)),
  );
  command(
    printerCmd,
    'flush',
    'print what waits in the queue now (after loading paper or plugging the printer in)',
  )
    .option('--printer <uri>', 'printer address (default: printer.uri)')
    .action(
      run<Common & { printer?: string }>(async (o) =>
        (await import('./commands/printer.ts')).printerFlush(o, io),
      ),
    );
  command(
    program,
    'print-test',
    "print the technician's test page (profile, status bits, characters, Chinese, QR)",
  )
    .option('--printer <uri>', 'printer address (default: printer.uri)')
    .action(
      run<Common & { printer?: string }>(async (o) =>
        (await import('./commands/printer.ts')).printTest(o, io),
      ),
    );
  command(program, 'receipt', "print a payment's receipt (again), or draw it to a PNG")
    .requiredOption('--payment <id>', 'payment id')
    .option('--printer <uri>', 'printer address (default: printer.uri)')
    .option('--png <file>', 'draw the receipt to this PNG instead of printing')
    .action(
      run<Common & { payment: string; printer?: string; png?: string }>(async (o) =>
        (await import('./commands/printer.ts')).receipt(o, io),
      ),
    );
  const drawer = program.command('drawer').description('the cash drawer');
  command(drawer, 'open', 'pulse the cash drawer (both pins) through the printer')
    .option('--printer <uri>', 'printer address (default: printer.uri)')
    .action(
      run<Common & { printer?: string }>(async (o) =>
        (await import('./commands/printer.ts')).drawerOpen(o, io),
      ),
    );
  const reprint = program.command('reprint').description('print a receipt again');
  command(reprint, 'last', 'reprint the last printed receipt, marked as a reprint')
    .option('--printer <uri>', 'printer address (default: printer.uri)')
    .action(
      run<Common & { printer?: string }>(async (o) =>
        (await import('./commands/printer.ts')).reprintLast(o, io),
      ),
    );

  command(program, 'scanners', 'list the barcode scanners found, and why a driver cannot run').action(
    run(async (o) => (await import('./commands/scanners.ts')).scanners(o, io)),
  );
  command(program, 'scan-test', 'read codes from a scanner and print what each one is (Ctrl-C stops)')
    .requiredOption(
      '--scanner <uri>',
      'hid:VID:PID[:SERIAL], wedge:VID:PID[:SERIAL] or serial:/dev/serial/by-id/...?baud=9600&suffix=cr',
    )
    .option('--count <n>', 'stop after this many scans')
    .option('--timeout <seconds>', 'stop after this long, failing if nothing was scanned')
    .action(
      run<Common & { scanner: string; count?: string; timeout?: string }>(async (o) =>
        (await import('./commands/scanners.ts')).scanTest(o, io),
      ),
    );

  const sim = program.command('sim').description('simulated devices, for trying Suanpan without hardware');
  command(sim, 'printer', 'run a simulated ESC/POS receipt printer on a TCP port')
    .requiredOption('--tcp <host:port>', 'address to listen on, e.g. 127.0.0.1:9100')
    .option('--png-dir <dir>', 'draw each receipt it prints to a PNG in this folder')
    .action(
      run<Common & { tcp: string; pngDir?: string }>(async (o) =>
        (await import('./commands/sim.ts')).simPrinter(o, io),
      ),
    );
  command(sim, 'scanner', 'run a simulated serial scanner on a PTY pair; it scans each line typed on stdin')
    .option('--pty', 'make a PTY pair (socat) and print the path the driver opens')
    .addOption(
      new Option('--suffix <suffix>', 'sent after each code')
        .choices(['cr', 'lf', 'crlf', 'none'])
        .default('cr'),
    )
    .option('--char-delay <ms>', 'milliseconds between bytes (1 is about 9600 baud)', '1')
    .action(
      run<Common & { pty?: boolean; suffix?: string; charDelay?: string }>(async (o) =>
        (await import('./commands/sim.ts')).simScanner(o, io),
      ),
    );

  const journal = program.command('journal').description('check and export the payment journal');
  command(journal, 'verify', 'check the hash chain, the signatures and the payments table')
    .option('--all-signatures', "check every entry's signature, not only checkpoints (slower)")
    .action(
      run<Common & { allSignatures?: boolean }>(async (o) =>
        (await import('./commands/journal.ts')).verify(o, io),
      ),
    );
  command(journal, 'export', 'write every entry as JSON lines or CSV, payment codes masked')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option(
      '--out <file>',
      'write to this file instead of standard output (replaced if it exists; never in the data folder)',
    )
    .action(
      run<Common & { format?: string; out?: string }>(async (o) =>
        (await import('./commands/journal.ts')).exportJournal(o, io),
      ),
    );

  const config = program.command('config').description('terminal settings');
  command(config, 'show', 'print the effective settings and where each came from').action(
    run(async (o) => (await import('./commands/config.ts')).configShow(o, io)),
  );

  const shift = program.command('shift').description('cashier shifts');
  command(shift, 'close', 'close the shift: record it in the journal and print its report').action(
    run(async (o) => (await import('./commands/shift.ts')).shiftClose(o, io)),
  );

  command(program, 'start', 'run the terminal host and the kiosk API on 127.0.0.1 (Ctrl-C stops it)')
    .option(
      '--port <port>',
      'port of the kiosk API (default: the kiosk.port setting, 7420; 0: any free port)',
    )
    .action(run<Common & { port?: string }>(async (o) => (await import('./commands/start.ts')).start(o, io)));

  command(
    program,
    'demo',
    'the whole terminal on this machine: core, simulated printer and scanner, kiosk (what `npm start` runs)',
    "the demo's own folder (default: suanpan-demo in the temp folder, kept between starts; with --headless a new one); never $SUANPAN_DATA_DIR, so a real terminal's folder is not touched",
  )
    .option('--port <port>', 'kiosk port on 127.0.0.1 (default: any free port)')
    .option('--headless', 'instead, a short walk through offline checkout in a new folder, printed')
    .action(
      run<Common & { port?: string; headless?: boolean }>(async (o) =>
        o.headless
          ? (await import('./commands/demo.ts')).demo({ dataDir: o.dataDirGiven }, io)
          : (await import('./commands/kiosk-demo.ts')).kioskDemo(
              { dataDir: o.dataDirGiven, port: o.port },
              io,
            ),
      ),
    );

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
      // commander has printed its message on stderr already; with --json, it is given as JSON too
      // (the option is not parsed yet when commander refuses the command line).
      if (json || argv.includes('--json')) {
        const message = err.message.replace(/^error: /, '');
        io.stdout(jsonLine({ ok: false, error: { code: 'BAD_USAGE', message } }));
      }
      return EXIT_USAGE;
    }
    const classified = classifyCliError(err);
    if (json) {
      const { code, message, package: pkg } = classified;
      io.stdout(jsonLine({ ok: false, error: { code, message, ...(pkg ? { package: pkg } : {}) } }));
    } else io.stderr(`suanpan: ${classified.message}\n`);
    if (classified.unexpected) io.stderr(`${(err as Error)?.stack ?? ''}\n`);
    return classified.exitCode;
  }
}
