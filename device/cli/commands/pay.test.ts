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
    // A payment captured and never decided: a `pay` killed while the core had it.
    const terminal = openTerminal({ dataDir, create: true, env: {}, logger: silentLogger() });
    const code = '281234567890123456';
    terminal.journal.capture({
      amount: parseAmount('20.00'),
      scheme: 'alipay',
      code,
      codeHash: crypto.createHash('sha256').update(code).digest(),
      codeMasked: '28************3456',
    });
    terminal.close();

    const first = io();
    const result = await pay({ dataDir, amount: '20.00', code: '281234567890123457' }, first);
    expect(result.json).toMatchObject({ seq: 2, status: 'accepted_offline' });
    expect(first.err).toMatch(
      /^Note: 1 earlier payment is in doubt, and the customer may have been charged: seq 1 \(¥20\.00, /,
    );
    expect(first.err).toContain('`suanpan sync` asks the core about them now');

    // Nothing in doubt: nothing said.
    const clean = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-pay-'));
    dirs.push(clean);
    const quiet = io();
    await pay({ dataDir: clean, amount: '1.00', code: '281234567890123458' }, quiet);
    expect(quiet.err).toBe('');
  });
});
