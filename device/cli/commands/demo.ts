/**
 * `suanpan demo`: a short, headless walk through offline checkout in a fresh data folder. Until the
 * kiosk exists this is what `npm start` runs. Uses the same terminal code as every other command.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JournalError } from '../../../sync/journal/errors.ts';
import { AmountError, parseAmount } from '../../../sync/protocol/money.ts';
import { offlineRoom } from '../../checkout/offline-policy.ts';
import { openTerminal } from '../../terminal.ts';
import { moneyText, statusText, totalsText } from '../format.ts';
import type { CliIO, CommandResult } from '../output.ts';

function randomDigits(n: number): string {
  return Array.from(crypto.randomBytes(n), (b) => String(b % 10)).join('');
}

/** A well-formed code of each scheme: prefix and length from the scheme table. */
const demoCode = {
  alipay: () => `28${randomDigits(16)}`,
  wechat: () => `13${randomDigits(16)}`,
  unionpay: () => `62${randomDigits(17)}`,
};

export async function demo(options: { dataDir?: string }, io: CliIO): Promise<CommandResult> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-demo-'));
  const terminal = openTerminal({ dataDir, env: { ...io.env, SUANPAN_CORE_URL: '' }, create: true });
  const lines: string[] = [];
  const say = (line = '') => {
    lines.push(line);
  };
  const steps: unknown[] = [];
  try {
    say('Suanpan 算盘 — offline checkout demo');
    say(`No payment core is configured, so every payment takes the offline path under the offline policy.`);
    say(`Terminal ${terminal.key.terminalId}, data folder ${dataDir}`);
    say();
    const alipay = demoCode.alipay();
    const attempts: { label: string; amount: string; code: string }[] = [
      { label: 'Alipay', amount: '12.50', code: alipay },
      { label: 'WeChat Pay', amount: '36.00', code: demoCode.wechat() },
      { label: 'UnionPay', amount: '250.00', code: demoCode.unionpay() },
      { label: 'Alipay, same code again', amount: '8.00', code: alipay },
      { label: 'amount typed as "12,50"', amount: '12,50', code: demoCode.wechat() },
    ];
    for (const [i, a] of attempts.entries()) {
      let outcome: string;
      try {
        const { payment } = await terminal.checkout.pay({ amount: parseAmount(a.amount), code: a.code });
        outcome = `${statusText(payment.status)}, seq ${payment.seq}${payment.reason ? `\n     ${payment.reason}` : ''}`;
        steps.push({ amount: a.amount, status: payment.status, seq: payment.seq, reason: payment.reason });
      } catch (err) {
        if (!(err instanceof JournalError || err instanceof AmountError)) throw err;
        outcome = `Refused: ${err.message}`;
        steps.push({ amount: a.amount, refused: err.code });
      }
      say(`${i + 1}. ${a.amount} (${a.label}) → ${outcome}`);
    }
    const stats = terminal.journal.offlineStats();
    const room = offlineRoom(terminal.limits, stats, new Date());
    say();
    say(`Stored offline: ${stats.pending} payments, ${totalsText(stats.totals)}.`);
    say(
      `Room left: ${moneyText(room.totalStored)} of ${moneyText(terminal.limits.totalStored)}, ${room.storedCount} of ${terminal.limits.maxStoredCount} payments, ${room.hoursLeft} h until a sync is due.`,
    );
    const verified = await terminal.journal.verify({
      publicKey: terminal.key.publicKey,
      mac: terminal.key.mac,
    });
    say(
      verified.ok
        ? `Journal verified: ${verified.entries} signed, hash-chained entries; head ${verified.head.slice(0, 16)}…`
        : `Journal NOT intact at entry ${verified.firstBadSeq}: ${verified.reason}`,
    );
    say();
    say('Look around:');
    for (const cmd of ['queue', 'payments', 'journal verify', 'journal export --format csv', 'config show']) {
      say(`  npx suanpan ${cmd} --data-dir ${dataDir}`);
    }
    return {
      json: { dataDir, terminalId: terminal.key.terminalId, steps, verified },
      text: lines.join('\n'),
    };
  } finally {
    terminal.close();
  }
}
