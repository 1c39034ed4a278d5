import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAmount } from '../../../sync/protocol/money.ts';
import { silentLogger } from '../../log.ts';
import { openTerminal } from '../../terminal.ts';
import type { CliIO } from '../output.ts';
import { pay } from './pay.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function io(): CliIO & { err: string } {
  const out = {
    err: '',
    stdout: () => {},
    stderr: (text: string) => {
      out.err += text;
    },
    env: {},
    interactive: false,
  };
  return out;
}

describe('suanpan pay', () => {
  it('says when earlier payments are in doubt (the customer may have been charged for them)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-pay-'));
    dirs.push(dataDir);
    // A payment captured a minute ago and never decided: a `pay` killed while the core had it.
    // And one captured just now, whose own call may still be under way (another process's): not
    // in doubt yet.
    const capture = (code: string, agoMs: number) => {
      const terminal = openTerminal({
        dataDir,
        create: true,
        env: {},
        logger: silentLogger(),
        now: () => new Date(Date.now() - agoMs),
      });
      terminal.journal.capture({
        amount: parseAmount('20.00'),
        scheme: 'alipay',
        code,
        codeHash: crypto.createHash('sha256').update(code).digest(),
        codeMasked: `28************${code.slice(-4)}`,
      });
      terminal.close();
    };
    capture('281234567890123456', 60_000);
    capture('281234567890123459', 0);

    const first = io();
    const result = await pay({ dataDir, amount: '20.00', code: '281234567890123457' }, first);
    expect(result.json).toMatchObject({ seq: 3, status: 'accepted_offline' });
    expect(first.err).toMatch(
      /^Note: 1 earlier payment is in doubt, and the customer may have been charged: seq 1 \(¥20\.00, /,
    );
    expect(first.err).toContain('`suanpan sync` asks the core about them now');
    expect(first.err).not.toContain('seq 2');

    // Nothing in doubt: nothing said.
    const clean = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-pay-'));
    dirs.push(clean);
    const quiet = io();
    await pay({ dataDir: clean, amount: '1.00', code: '281234567890123458' }, quiet);
    expect(quiet.err).toBe('');
  });
});
