/**
 * `activate` when the core's answer is lost: a real core on PGlite behind the fault-injecting proxy,
 * which lets the core activate the terminal and drops its answer. The terminal is told the
 * activation may have gone through and that the same code is safe to send again; sent again, it
 * gets the first answer. Another terminal still finds the code used.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreConnectionLostError, CoreRejectedError } from '../sync/client/errors.ts';
import type { RunningCore } from '../sync/core/server.ts';
import { openTestDb, startTestCore, type TestDb } from '../sync/core/testing.ts';
import { FaultProxy } from '../test-hardware/fault-proxy.ts';
import { activate } from './activation.ts';
import { ACTIVATION_FILE } from './activation-record.ts';

describe('activate, its answer lost', () => {
  let t: TestDb;
  let core: RunningCore;
  let proxy: FaultProxy;
  let proxyUrl: string;
  const dirs: string[] = [];
  const newDataDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-activate-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    t = await openTestDb('pglite');
    core = await startTestCore(t.db);
    proxy = new FaultProxy({ target: { host: '127.0.0.1', port: Number(new URL(core.url).port) }, plan: {} });
    const at = await proxy.start();
    proxyUrl = `http://${at.host}:${at.port}`;
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await core?.close();
    await t?.cleanup();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says it may have gone through; the same code again gets the same answer, another terminal is refused', async () => {
    const { merchantId } = await core.service.createMerchant('Congee');
    const { code } = await core.service.createActivationCode(merchantId);
    const dataDir = newDataDir();

    proxy.setPlan({ dropResponse: 1 });
    const lost = await activate({ dataDir, coreUrl: proxyUrl, code, env: {} }).catch((err: unknown) => err);
    expect(lost).toBeInstanceOf(CoreConnectionLostError);
    expect((lost as Error).message).toMatch(
      /may have gone through at the core: running the same command again, with the same code, is safe/,
    );
    expect(proxy.stats.droppedResponses).toBe(1);
    expect(fs.existsSync(path.join(dataDir, ACTIVATION_FILE))).toBe(false);
    // The core did activate it.
    expect(await core.service.terminals({})).toEqual([
      expect.objectContaining({ merchantId, merchantName: 'Congee', status: 'active' }),
    ]);

    proxy.setPlan({});
    const again = await activate({ dataDir, coreUrl: proxyUrl, code, env: {} });
    expect(again).toMatchObject({
      merchantId,
      merchantName: 'Congee',
      terminalId: expect.stringMatching(/^sp-/),
    });
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, ACTIVATION_FILE), 'utf8'))).toMatchObject({
      terminalId: again.terminalId,
      merchantId,
    });

    const other = await activate({ dataDir: newDataDir(), coreUrl: proxyUrl, code, env: {} }).catch(
      (err: unknown) => err,
    );
    expect(other).toBeInstanceOf(CoreRejectedError);
    expect(other).toMatchObject({ code: 'ACTIVATION_CODE_USED' });
  }, 60_000);
});
