/**
 * The `suanpan` command end to end: real processes through bin/suanpan.js, a real data folder,
 * JSON output and exit codes (0 ok, 1 refused or failed, 2 bad usage or input).
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAmount } from '../../sync/protocol/money.ts';
import { silentLogger } from '../log.ts';
import { openTerminal } from '../terminal.ts';
import { main } from './main.ts';

let dataDir: string;
const CODES = { alipay: '281234567890123456', wechat: '131234567890123457', unionpay: '6212345678901234567' };

function run(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; dataDir?: string | null; cwd?: string } = {},
) {
  const dir = options.dataDir === undefined ? dataDir : options.dataDir;
  const result = spawnSync(
    process.execPath,
    [path.resolve('bin/suanpan.js'), ...args, ...(dir ? ['--data-dir', dir] : [])],
    {
      encoding: 'utf8',
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...options.env },
    },
  );
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    // biome-ignore lint/suspicious/noExplicitAny: each command prints JSON of its own shape; tests assert field by field
    json: json as Record<string, any>,
  };
}

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-cli-'));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('suanpan CLI', () => {
  it('has --help on every subcommand', async () => {
    for (const cmd of [
      [],
      ['pay'],
      ['queue'],
      ['payments'],
      ['journal', 'verify'],
      ['journal', 'export'],
      ['config', 'show'],
      ['shift', 'close'],
      ['init'],
      ['demo'],
      ['printer', 'status'],
      ['printer', 'queue'],
      ['printer', 'flush'],
      ['print-test'],
      ['receipt'],
      ['drawer', 'open'],
      ['reprint', 'last'],
      ['sim', 'printer'],
      ['sim', 'scanner'],
      ['scanners'],
      ['scan-test'],
      ['start'],
    ]) {
      // In process: --help touches nothing, and 20 spawned processes are slow on a loaded machine.
      let stdout = '';
      const status = await main([...cmd, '--help'], {
        stdout: (t) => {
          stdout += t;
        },
        stderr: () => {},
        env: {},
        interactive: false,
      });
      expect(status, cmd.join(' ')).toBe(0);
      expect(stdout).toContain('Usage: suanpan');
      if (cmd.length > 0 && cmd[0] !== 'journal' && cmd[0] !== 'config' && cmd[0] !== 'shift') {
        expect(stdout).toContain('--data-dir');
        expect(stdout).toContain('--json');
      }
    }
  });

  it('read commands on an empty folder say how to set up a terminal', () => {
    const r = run(['queue', '--json']);
    expect(r.status).toBe(1);
    expect(r.json.error.message).toContain('suanpan init');
  });

  it('init sets up the terminal', () => {
    const r = run(['init', '--json']);
    expect(r.status).toBe(0);
    expect(r.json.terminalId).toMatch(/^sp-[0-9a-f]{16}$/);
    expect(r.json.publicKey).toContain('BEGIN PUBLIC KEY');
    expect(fs.statSync(path.join(dataDir, 'keys', 'terminal.key')).mode & 0o777).toBe(0o600);
  });

  it('pay prints the payment, exit 0 when accepted', () => {
    const r = run(['pay', '--amount', '12.50', '--code', CODES.alipay, '--json']);
    expect(r.status).toBe(0);
    expect(r.json).toEqual({
      paymentId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      seq: 1,
      status: 'accepted_offline',
      mode: 'offline',
      amount: { minor: 1250, currency: 'CNY' },
    });
    const text = run(['pay', '--amount', '3', '--code', CODES.unionpay]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('Accepted offline');
    expect(text.stdout).toContain('¥3.00');
  });

  it('pay over a limit exits 1 with the reason and the limit', () => {
    const r = run(['pay', '--amount', '250.00', '--code', CODES.wechat, '--json']);
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ status: 'declined', mode: 'offline', seq: 3 });
    expect(r.json.reason).toContain('¥50.00 over');
    expect(r.json.limits[0]).toMatchObject({ limit: 'perPayment', max: 20_000, value: 25_000, over: 5_000 });
  });

  it('pay refuses a used code (exit 1) and bad input (exit 2), naming the accepted form', () => {
    expect(run(['pay', '--amount', '1.00', '--code', CODES.alipay, '--json']).json.error.code).toBe(
      'CODE_USED',
    );
    for (const amount of ['-1', '0', '1.234', 'abc', '1e3', '12,50', '']) {
      const r = run(['pay', '--amount', amount, '--code', '289999999999999999', '--json']);
      expect(r.status, amount).toBe(2);
      expect(r.json.error.code).toBe('INVALID_AMOUNT');
      expect(r.json.error.message).toContain('such as 12.50');
    }
    const badCode = run(['pay', '--amount', '1.00', '--code', '991234567890123456', '--json']);
    expect(badCode.status).toBe(2);
    expect(badCode.json.error.code).toBe('INVALID_PAYMENT_CODE');
    expect(run(['pay', '--amount', '1.00']).status).toBe(2);
    // What commander refuses is JSON too with --json.
    const noCode = run(['pay', '--amount', '1.00', '--json']);
    expect(noCode.status).toBe(2);
    expect(noCode.json).toEqual({
      ok: false,
      error: { code: 'BAD_USAGE', message: expect.stringContaining("'--code <code>' not specified") },
    });
    expect(run(['journal', 'export', '--format', 'xml', '--json']).json.error.code).toBe('BAD_USAGE');
    expect(run(['pay', '--amount', '1.00', '--code', '289999999999999999', '--currency', 'XXQ']).status).toBe(
      2,
    );
    expect(run(['bogus'], { dataDir: null }).status).toBe(2);
  });

  it('queue shows what is stored and the room left', () => {
    const r = run(['queue', '--json']);
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({
      pending: 2,
      totals: { CNY: 1550 },
      oldestCapturedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      limits: {
        perPayment: { minor: 20_000, currency: 'CNY' },
        totalStored: { minor: 200_000 },
        maxStoredCount: 200,
        maxHoursSinceSync: 72,
      },
      remaining: { totalStored: { minor: 198_450 }, storedCount: 198, nextPaymentMax: { minor: 20_000 } },
    });
    expect(r.json.remaining.hoursLeft).toBeGreaterThan(71);
  });

  it('queue counts a payment in doubt apart from those stored offline', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-cli-doubt-'));
    try {
      expect(run(['init'], { dataDir: dir }).status).toBe(0);
      const paid = run(['pay', '--amount', '3.00', '--code', '289999999999999997', '--json'], {
        dataDir: dir,
      });
      expect(paid.json.status).toBe('accepted_offline');
      // Sent to a core whose answer never came: captured, its outcome not known yet.
      const terminal = openTerminal({ dataDir: dir, env: {}, create: false });
      try {
        terminal.journal.capture({
          amount: { minor: 700, currency: 'CNY' },
          scheme: 'alipay',
          code: '289999999999999996',
          codeHash: crypto.createHash('sha256').update('289999999999999996').digest(),
          codeMasked: '28**************96',
        });
      } finally {
        terminal.close();
      }
      const r = run(['queue', '--json'], { dataDir: dir });
      expect(r.json).toMatchObject({
        pending: 1,
        inDoubt: 1,
        totals: { CNY: 300 },
        remaining: { storedCount: 199 },
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('payments lists the latest first, filtered by state', () => {
    const all = run(['payments', '--json']);
    expect(all.json.map((p: { seq: number }) => p.seq)).toEqual([3, 2, 1]);
    expect(all.json[0]).toMatchObject({ status: 'declined', codeMasked: '13************3457' });
    const declined = run(['payments', '--status', 'declined', '--limit', '5', '--json']);
    expect(declined.json).toHaveLength(1);
    expect(run(['payments', '--status', 'pending']).status).toBe(2);
    expect(run(['payments', '--limit', '0']).status).toBe(2);
    // The text says why, as the JSON does: here the per-payment limit.
    expect(run(['payments']).stdout).toContain(`Declined (${all.json[0].reason}`);
    expect(all.json[0].reason).toContain('limited to');
    // A payment set aside from sync says so, beside its state.
    const t = openTerminal({ dataDir, create: false, logger: silentLogger() });
    t.journal.park(2, 'conflict at the core: held with other facts');
    t.close();
    const listed = run(['payments', '--json']).json;
    expect(listed[1]).toMatchObject({
      seq: 2,
      parked: { reason: 'conflict at the core: held with other facts' },
    });
    expect(listed[0].parked).toBeUndefined();
    expect(run(['payments']).stdout).toContain('PARKED, not synced: conflict at the core');
  });

  it('journal export writes every entry with the codes masked, as JSON lines or CSV', () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-export-'));
    const out = path.join(outDir, 'export.csv');
    const csv = run(['journal', 'export', '--format', 'csv', '--out', out, '--json']);
    expect(csv.json).toEqual({ file: out, format: 'csv', entries: 3 });
    const text = fs.readFileSync(out, 'utf8');
    fs.rmSync(outDir, { recursive: true });
    const rows = text.trim().split('\r\n');
    expect(rows[0]).toMatch(/^entry_seq,at,kind,status,payment_id,seq,amount_minor/);
    expect(rows.map((r) => r.split(',').slice(2, 4).join(','))).toEqual([
      'kind,status',
      'captured,accepted_offline',
      'captured,accepted_offline',
      'captured,declined',
    ]);
    // The code_masked column holds each code masked: first two and last four digits.
    expect(rows.slice(1).map((r) => r.split(',')[9])).toEqual([
      '28************3456',
      '62*************4567',
      '13************3457',
    ]);
    const jsonl = run(['journal', 'export']);
    const lines = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // Each offline payment is one entry: its capture, carrying the policy's decision.
    expect(lines.map((l) => [l.kind, l.body.status])).toEqual([
      ['captured', 'accepted_offline'],
      ['captured', 'accepted_offline'],
      ['captured', 'declined'],
    ]);
    for (const code of Object.values(CODES)) {
      expect(text).not.toContain(code);
      expect(jsonl.stdout).not.toContain(code);
    }
    expect(run(['journal', 'export', '--format', 'xml']).status).toBe(2);
  });

  it('journal export into a reader that stops early (| head) ends quietly, exit 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-cli-pipe-'));
    try {
      // Enough entries to fill the pipe, so the export is still writing when the reader leaves.
      const t = openTerminal({ dataDir: dir, create: true, logger: silentLogger(), core: null });
      t.journal.bulk(() => {
        for (let i = 0; i < 2_000; i++) {
          const code = `28${String(i).padStart(16, '0')}`;
          t.journal.capture(
            {
              amount: parseAmount('1.00'),
              scheme: 'alipay',
              code,
              codeHash: t.key.digestCode(code),
              codeMasked: '28************0000',
            },
            () => ({ status: 'accepted_offline', mode: 'offline' }),
          );
        }
      });
      t.close();
      const child = spawn(process.execPath, ['bin/suanpan.js', 'journal', 'export', '--data-dir', dir]);
      let stderr = '';
      child.stderr.on('data', (c) => {
        stderr += c;
      });
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("journal export --out never writes over the terminal's own files, and names a bad path", () => {
    const journalFile = path.join(dataDir, 'journal.sqlite');
    const keyFile = path.join(dataDir, 'keys', 'terminal.key');
    const before = [journalFile, keyFile].map((f) => fs.readFileSync(f));
    // Nor a new file there: the terminal reads suanpan.json by name, and a CSV in it stops every command.
    const settingsFile = path.join(dataDir, 'suanpan.json');
    for (const target of [journalFile, keyFile, settingsFile, path.join(dataDir, 'keys', 'x.csv')]) {
      const r = run(['journal', 'export', '--format', 'csv', '--out', target, '--json']);
      expect(r.status).toBe(2);
      expect(r.json.error).toMatchObject({
        code: 'BAD_USAGE',
        message: expect.stringContaining('write the export outside it'),
      });
    }
    expect([journalFile, keyFile].map((f) => fs.readFileSync(f))).toEqual(before);
    expect(fs.existsSync(settingsFile)).toBe(false);
    expect(run(['journal', 'verify', '--json']).json).toMatchObject({ ok: true });
    const missing = path.join(dataDir, 'no-such-folder', 'x.csv');
    expect(run(['journal', 'export', '--out', missing, '--json']).json.error).toMatchObject({
      code: 'BAD_USAGE',
      message: expect.stringContaining(path.dirname(missing)),
    });
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-export-'));
    try {
      const r = run(['journal', 'export', '--out', folder, '--json']);
      expect(r.status).toBe(2);
      expect(r.json.error.message).toContain('is a folder');
      // Outside the data folder an earlier export is replaced, and what a killed export left
      // beside it (its temp file, under a pid now gone) is removed.
      const file = path.join(folder, 'journal.jsonl');
      fs.writeFileSync(file, 'an earlier export');
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      fs.writeFileSync(`${file}.${gone}.tmp`, 'half an export');
      expect(run(['journal', 'export', '--out', file, '--json']).json).toMatchObject({ file, entries: 3 });
      expect(fs.readdirSync(folder)).toEqual(['journal.jsonl']);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('never writes a payment code to the log file', () => {
    const log = fs.readFileSync(path.join(dataDir, 'logs', 'suanpan.log'), 'utf8');
    expect(log).toContain('payment recorded');
    for (const code of Object.values(CODES)) expect(log).not.toContain(code);
  });

  it('shift close records the shift and prints its report', () => {
    const r = run(['shift', 'close', '--json']);
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({
      shiftNo: 1,
      payments: 3,
      byStatus: { accepted_offline: { count: 2 }, declined: { count: 1 } },
    });
  });

  it('config show prints the effective settings and their sources', () => {
    const r = run(['config', 'show', '--json'], {
      env: { SUANPAN_OFFLINE_POLICY_MAX_STORED_COUNT: '50', SUANPAN_KIOSK_SUPERVISOR_PIN: '2580' },
    });
    expect(r.status).toBe(0);
    // A PIN is said to be set, never printed.
    expect(r.json.settings.kiosk).toMatchObject({ supervisorPin: '(set)', technicianPin: null });
    expect(r.stdout).not.toContain('2580');
    expect(run(['config', 'show'], { env: { SUANPAN_KIOSK_SUPERVISOR_PIN: '2580' } }).stdout).not.toContain(
      '2580',
    );
    expect(r.json.settings.offlinePolicy.maxStoredCount).toBe(50);
    expect(r.json.sources['offlinePolicy.maxStoredCount']).toBe(
      'env SUANPAN_OFFLINE_POLICY_MAX_STORED_COUNT',
    );
    expect(r.json.sources['offlinePolicy.perPaymentMax']).toBe('default');
    const bad = run(['config', 'show'], {
      env: { SUANPAN_OFFLINE_POLICY_MAX_STORED_COUNT: 'lots', SUANPAN_NOPE: '1' },
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('2 problems');
    // An empty amount is one problem, said once.
    const empty = run(['config', 'show'], { env: { SUANPAN_OFFLINE_POLICY_PER_PAYMENT_MAX: '' } });
    expect(empty.stderr).toContain('1 problem:');
  });

  it('journal verify passes, then finds a changed amount', () => {
    const db = new Database(path.join(dataDir, 'journal.sqlite'));
    const head = db
      .prepare('SELECT lower(hex(hash)) FROM entries ORDER BY entry_seq DESC LIMIT 1')
      .pluck()
      .get();
    expect(run(['journal', 'verify', '--json'])).toMatchObject({
      status: 0,
      json: { ok: true, entries: 4, head },
    });
    db.exec('DROP TRIGGER entries_no_update');
    db.prepare(
      'UPDATE entries SET body = replace(body, \'"minor":1250\', \'"minor":1\') WHERE entry_seq = 1',
    ).run();
    db.close();
    const r = run(['journal', 'verify', '--json']);
    expect(r.status).toBe(1);
    expect(r.json).toEqual({ ok: false, firstBadSeq: 1, reason: expect.stringContaining('entry 1') });
  });

  it('refuses to start with a private key readable by others', () => {
    const key = path.join(dataDir, 'keys', 'terminal.key');
    fs.chmodSync(key, 0o644);
    const r = run(['queue', '--json']);
    fs.chmodSync(key, 0o600);
    expect(r.status).toBe(1);
    expect(r.json.error).toMatchObject({
      code: 'KEY_PERMISSIONS',
      message: expect.stringContaining(`chmod 600 ${key}`),
    });
  });

  it('an empty --data-dir is bad usage, not the default folder', () => {
    const r = run(['pay', '--amount', '1.00', '--code', CODES.alipay, '--json', '--data-dir', ''], {
      dataDir: null,
    });
    expect(r.status).toBe(2);
    expect(r.json.error).toMatchObject({
      code: 'BAD_USAGE',
      message: expect.stringContaining('--data-dir is empty'),
    });
  });

  it('a --data-dir that looks like an option, or is a file, is bad usage', () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-cli-cwd-'));
    try {
      // What `--data-dir $DIR --json` becomes with DIR unset.
      const r = run(['pay', '--amount', '1.00', '--code', CODES.alipay, '--data-dir', '--json'], {
        dataDir: null,
        cwd,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('--data-dir --json looks like an option');
      expect(fs.readdirSync(cwd)).toEqual([]);
      // A file where the folder should be is named as such (it was blamed on suanpan.json).
      const file = path.join(cwd, 'till');
      fs.writeFileSync(file, 'x');
      const onFile = run(['queue', '--json'], { dataDir: file });
      expect(onFile.status).toBe(2);
      expect(onFile.json.error.message).toContain(`The data folder ${file} is a file, not a folder`);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('a lost key is not replaced by a new one: the journal was signed with it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-cli-nokey-'));
    try {
      expect(run(['init'], { dataDir: dir }).status).toBe(0);
      const key = path.join(dir, 'keys', 'terminal.key');
      fs.rmSync(key);
      for (const args of [['pay', '--amount', '1.00', '--code', '289999999999999996'], ['payments']]) {
        const r = run([...args, '--json'], { dataDir: dir });
        expect(r.status).toBe(1);
        expect(r.json.error).toMatchObject({
          code: 'KEY_MISSING',
          message: expect.stringContaining('restore'),
        });
      }
      expect(fs.existsSync(key)).toBe(false);
      // Nor when terminal.json went with it: the journal left behind was signed with the lost key.
      fs.rmSync(path.join(dir, 'terminal.json'));
      for (const command of ['init', 'pay']) {
        const r = run(
          [
            command,
            ...(command === 'pay' ? ['--amount', '1.00', '--code', '289999999999999995'] : []),
            '--json',
          ],
          { dataDir: dir },
        );
        expect(r.status).toBe(1);
        expect(r.json.error).toMatchObject({
          code: 'KEY_MISSING',
          message: expect.stringContaining('restore'),
        });
      }
      expect(fs.existsSync(key)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a damaged journal file is reported with its name, and left as it is', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-cli-corrupt-'));
    try {
      expect(run(['init'], { dataDir: dir }).status).toBe(0);
      const file = path.join(dir, 'journal.sqlite');
      fs.writeFileSync(file, Buffer.alloc(8192, 0x41));
      const r = run(['pay', '--amount', '1.00', '--code', '289999999999999998', '--json'], { dataDir: dir });
      expect(r.status).toBe(1);
      expect(r.json.error).toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(file) });
      const damaged = run(['journal', 'verify', '--json'], { dataDir: dir });
      expect(damaged.status).toBe(1);
      expect(damaged.json).toEqual({ ok: false, firstBadSeq: 0, reason: expect.stringContaining(file) });
      expect(fs.readFileSync(file).equals(Buffer.alloc(8192, 0x41))).toBe(true);
      fs.rmSync(file);
      const missing = run(['queue', '--json'], { dataDir: dir });
      expect(missing.json.error).toMatchObject({ code: 'MISSING' });
      // An emptied file is no fresh start either: seq 1 again, every used code forgotten.
      fs.writeFileSync(file, '');
      const empty = run(['pay', '--amount', '1.00', '--code', '289999999999999997', '--json'], {
        dataDir: dir,
      });
      expect(empty.status).toBe(1);
      expect(empty.json.error).toMatchObject({
        code: 'MISSING',
        message: expect.stringContaining('is empty'),
      });
      // verify answers in its own shape: not intact, at entry 0 (the file itself).
      const verified = run(['journal', 'verify', '--json'], { dataDir: dir });
      expect(verified.status).toBe(1);
      expect(verified.json).toEqual({
        ok: false,
        firstBadSeq: 0,
        reason: expect.stringContaining('is empty'),
      });
      expect(fs.statSync(file).size).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demo --headless walks through offline checkout in a new folder', () => {
    const r = run(['demo', '--headless'], { dataDir: null });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Accepted offline');
    expect(r.stdout).toContain('¥50.00 over');
    expect(r.stdout).toContain('already used');
    expect(r.stdout).toContain('Journal verified');
    const folder = /data folder (\S+)/.exec(r.stdout)?.[1];
    expect(folder && fs.existsSync(path.join(folder, 'journal.sqlite'))).toBe(true);
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });
});
