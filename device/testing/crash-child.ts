/**
 * Child process for the crash test: takes payments in a loop through the real terminal (settings,
 * key, journal, checkout) and acknowledges each one on stdout, synchronously, only after `pay` has
 * returned, i.e. after the commit. The parent kills it with SIGKILL at random moments.
 *
 *   node --import tsx device/testing/crash-child.ts <dataDir>
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseAmount } from '../../sync/protocol/money.ts';
import { silentLogger } from '../log.ts';
import { openTerminal } from '../terminal.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: crash-child.ts <dataDir>');
const terminal = openTerminal({ dataDir, create: true, logger: silentLogger() });
fs.writeSync(1, 'ready\n');
for (;;) {
  const code = `28${crypto.randomInt(1e8).toString().padStart(8, '0')}${crypto.randomInt(1e8).toString().padStart(8, '0')}`;
  const cents = 1 + crypto.randomInt(20_000);
  const amount = parseAmount(`${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`);
  const { payment } = await terminal.checkout.pay({ amount, code });
  fs.writeSync(1, `ack ${payment.paymentId} ${payment.seq} ${payment.status} ${payment.amount.minor}\n`);
}
