/**
 * The technician's routes over real sockets, without a core: the session (PIN, header, sliding
 * expiry, end), the overview, the printer test and the drawer on the printer simulator, "sync now"
 * and activation refused as they must be, and activation cards unmasked only to a technician.
 * Activation and sync against a real core: core-actions.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PrinterSimulator } from '../../test-hardware/printer-sim/simulator.ts';
import { LOG_FILE } from '../log.ts';
import { SOFTWARE_VERSION } from '../version.ts';
import { type HostEvent, TECHNICIAN_HEADER, type TechnicianOverview } from './api-schema.ts';
import { OVERVIEW_LOG_LINES } from './log-tail.ts';
import { TECHNICIAN_SESSION_MS } from './technician-sessions.ts';
import { KIOSK_PINS, SUPERVISOR_PIN, TECHNICIAN_PIN, TestHost, until } from './test-host.ts';

let t: TestHost;
beforeEach(() => {
  t = new TestHost();
});
afterEach(() => t.close());

const ROUTES = [
  ['GET', '/api/technician/overview'],
  ['POST', '/api/technician/printer/test'],
  ['POST', '/api/technician/drawer/open'],
  ['POST', '/api/technician/sync'],
  ['POST', '/api/technician/activate'],
  ['DELETE', '/api/technician/session'],
] as const;

describe('technician session', () => {
  beforeEach(async () => {
    t.settings(KIOSK_PINS);
    await t.start();
  });

  it('every technician route needs an open session in its header: 401 TECHNICIAN_SESSION without', async () => {
    for (const headers of [{}, { [TECHNICIAN_HEADER]: 'not-a-session' }, { [TECHNICIAN_HEADER]: '' }]) {
      for (const [method, route] of ROUTES) {
        const r = await t.api(route, { method, headers, body: { core: 'http://127.0.0.1:1', code: 'ABCD' } });
        expect(r.status, `${method} ${route} ${JSON.stringify(headers)}`).toBe(401);
        expect(r.json.error.code).toBe('TECHNICIAN_SESSION');
        expect(r.json.error.message).toBe('技术人员会话已结束，请重新输入技术人员密码。');
      }
    }
    // The token is checked first: a session header is no key to the API.
    const sessionId = await t.openSession();
    const { request } = await import('./test-client.ts');
    const noToken = await request(`${t.host.url}/api/technician/overview`, {
      headers: { [TECHNICIAN_HEADER]: sessionId },
    });
    expect(noToken.status).toBe(401);
    expect(noToken.json.error.code).toBe('UNAUTHENTICATED');
  });

  it('opens with the technician PIN only; the supervisor PIN or a wrong one is 403 with tries left', async () => {
    const wrong = await t.api('/api/technician/session', { method: 'POST', body: { pin: SUPERVISOR_PIN } });
    expect(wrong.status).toBe(403);
    expect(wrong.json.error).toMatchObject({ code: 'WRONG_PIN', attemptsLeft: 4 });
    const opened = await t.api('/api/technician/session', { method: 'POST', body: { pin: TECHNICIAN_PIN } });
    expect(opened.status).toBe(200);
    expect(opened.json.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(opened.json.expiresAt)).toBe(t.clock.ms + TECHNICIAN_SESSION_MS);
    const again = await t.openSession();
    expect(again).not.toBe(opened.json.sessionId);
  });

  it('lasts 15 minutes from its last use, and DELETE ends it', async () => {
    const sessionId = await t.openSession();
    const overview = () => t.technician('/api/technician/overview', sessionId);
    t.clock.advance(TECHNICIAN_SESSION_MS - 1_000);
    expect((await overview()).status).toBe(200); // used: 15 minutes from now again
    t.clock.advance(TECHNICIAN_SESSION_MS - 1_000);
    expect((await overview()).status).toBe(200);
    t.clock.advance(TECHNICIAN_SESSION_MS);
    expect((await overview()).status).toBe(401);

    const second = await t.openSession();
    const ended = await t.technician('/api/technician/session', second, { method: 'DELETE' });
    expect(ended.status).toBe(204);
    expect((await t.technician('/api/technician/overview', second)).status).toBe(401);
  });

  it('a terminal without a technician PIN refuses the session: 403 PIN_NOT_SET', async () => {
    await t.host.close();
    t.settings({ kiosk: { supervisorPin: SUPERVISOR_PIN } });
    await t.start();
    const r = await t.api('/api/technician/session', { method: 'POST', body: { pin: TECHNICIAN_PIN } });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('PIN_NOT_SET');
  });
});

describe('technician overview', () => {
  it('says the version, terminal, activation, policy and its sources, sync, devices and the latest log lines', async () => {
    t.settings({ ...KIOSK_PINS, offlinePolicy: { perPaymentMax: '150.00' } });
    // The log as the terminal's logger writes it (pino JSON lines), longer than what is shown,
    // with a line cut off by a crash.
    const logFile = path.join(t.dataDir, LOG_FILE);
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const lines = Array.from({ length: 150 }, (_, i) =>
      JSON.stringify({
        level: i % 10 === 0 ? 40 : 30,
        time: new Date(Date.UTC(2026, 0, 5, 8, 0, i)).toISOString(),
        pid: 1,
        module: 'sync',
        msg: `line ${i}`,
        ...(i === 149 ? { err: 'core unreachable' } : {}),
      }),
    );
    fs.writeFileSync(
      logFile,
      `${lines.slice(0, 100).join('\n')}\n{"level":30,"ti\n${lines.slice(100).join('\n')}\n`,
    );
    await t.start({
      env: { SUANPAN_SCANNER_DEMO_WALLET_CODES: 'true', SUANPAN_OFFLINE_POLICY_MAX_STORED_COUNT: '50' },
    });
    await t.pay('12.50');
    const sessionId = await t.openSession();

    const r = await t.technician('/api/technician/overview', sessionId);
    expect(r.status).toBe(200);
    const overview = r.json as TechnicianOverview;
    expect(overview).toMatchObject({
      version: SOFTWARE_VERSION,
      terminalId: t.host.terminal.key.terminalId,
      activation: { activated: false, coreUrl: null, merchantName: null },
      policy: {
        perPayment: { minor: 15_000, currency: 'CNY' },
        totalStored: { minor: 200_000, currency: 'CNY' },
        maxStoredCount: 50,
        maxHoursSinceSync: 72,
        sources: {
          perPayment: `file ${path.join(t.dataDir, 'suanpan.json')}`,
          totalStored: 'default',
          maxStoredCount: 'env SUANPAN_OFFLINE_POLICY_MAX_STORED_COUNT',
          maxHoursSinceSync: 'default',
        },
      },
      sync: {
        state: 'not_activated',
        reachable: null,
        pending: 1,
        parked: [],
        lastSyncAt: null,
        lastError: null,
      },
      devices: { printer: { uri: null, state: 'none', waiting: 0 }, scanners: [] },
    });
    expect(overview.logs).toHaveLength(OVERVIEW_LOG_LINES);
    expect(overview.logs[0]).toEqual({
      time: '2026-01-05T08:00:50.000Z',
      level: 'warn',
      module: 'sync',
      msg: 'line 50',
    });
    expect(overview.logs.at(-1)).toMatchObject({ msg: 'line 149: core unreachable', level: 'info' });
  });

  it('shows no log lines when the terminal has no log file yet', async () => {
    t.settings(KIOSK_PINS);
    await t.start();
    const overview = await t.technician('/api/technician/overview', await t.openSession());
    expect(overview.json.logs).toEqual([]);
  });
});

describe('technician actions without a printer or a core', () => {
  beforeEach(async () => {
    t.settings(KIOSK_PINS);
    await t.start();
  });

  it('the printer test and the drawer say there is no printer', async () => {
    const sessionId = await t.openSession();
    for (const route of ['/api/technician/printer/test', '/api/technician/drawer/open']) {
      const r = await t.technician(route, sessionId, { method: 'POST' });
      expect(r.status, route).toBe(200);
      expect(r.json).toEqual({ printed: false, problem: '本终端未设置小票打印机。' });
    }
  });

  it('"sync now" on a terminal not activated is 409 NOT_ACTIVATED', async () => {
    const r = await t.technician('/api/technician/sync', await t.openSession(), { method: 'POST' });
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('NOT_ACTIVATED');
  });

  it('activation: a bad code or address is a 400 naming the field; an unreachable core 503; nothing written', async () => {
    const sessionId = await t.openSession();
    const activate = (body: unknown) =>
      t.technician('/api/technician/activate', sessionId, { method: 'POST', body });
    const badCode = await activate({ core: 'http://127.0.0.1:7430', code: 'ABCD-0000' });
    expect(badCode.status).toBe(400);
    expect(badCode.json.error).toMatchObject({ code: 'BAD_ACTIVATION_CODE', field: 'code' });
    const badCore = await activate({ core: 'ftp://127.0.0.1', code: 'ABCD-EFGH-JKMN' });
    expect(badCore.status).toBe(400);
    expect(badCore.json.error).toMatchObject({ code: 'BAD_CORE_URL', field: 'core' });
    // A path after the host would be dropped by every request (the protocol's paths are absolute).
    const withPath = await activate({ core: 'http://127.0.0.1:7430/suanpan', code: 'ABCD-EFGH-JKMN' });
    expect(withPath.status).toBe(400);
    expect(withPath.json.error).toMatchObject({ code: 'BAD_CORE_URL', field: 'core' });
    expect((await activate({ core: 'not a url', code: 'ABCD-EFGH-JKMN' })).json.error.field).toBe('core');
    // Port 1 on loopback: nothing listens there.
    const unreachable = await activate({ core: 'http://127.0.0.1:1', code: 'ABCD-EFGH-JKMN' });
    expect(unreachable.status).toBe(503);
    expect(unreachable.json.error.code).toBe('CORE_UNREACHABLE');
    expect(fs.existsSync(path.join(t.dataDir, 'activation.json'))).toBe(false);
    expect((await t.api('/api/status')).json.activation).toEqual({ activated: false, coreUrl: null });
  });

  it('activation waits while a payment is in progress: 409 BUSY', async () => {
    const sessionId = await t.openSession();
    await t.api('/api/checkout', { method: 'POST', body: { amount: '5.00' } });
    const r = await t.technician('/api/technician/activate', sessionId, {
      method: 'POST',
      body: { core: 'http://127.0.0.1:1', code: 'ABCD-EFGH-JKMN' },
    });
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('BUSY');
  });
});

describe('technician printer test and drawer', () => {
  let sim: PrinterSimulator;
  beforeEach(async () => {
    sim = new PrinterSimulator();
    await sim.start();
    const { port } = await sim.listenTcp({ host: '127.0.0.1', port: 0 });
    t.settings({ ...KIOSK_PINS, printer: { uri: `tcp://127.0.0.1:${port}` } });
    await t.start();
  });
  afterEach(async () => {
    await t.close();
    await sim.stop();
  });

  it('prints the test page and pulses the drawer; out of paper, the test page is refused and not queued', async () => {
    const sessionId = await t.openSession();
    const test = await t.technician('/api/technician/printer/test', sessionId, { method: 'POST' });
    expect(test.json).toEqual({ printed: true });
    const [page] = await sim.waitForReceipts(1, 10_000);
    expect(page?.lines.map((l) => l.text)).toContain('打印测试页');

    const drawer = await t.technician('/api/technician/drawer/open', sessionId, { method: 'POST' });
    expect(drawer.json).toEqual({ printed: true });
    await until(() => sim.drawerPulses.length > 0, 'the drawer pulse');

    sim.setState({ paperOut: true });
    const refused = await t.technician('/api/technician/printer/test', sessionId, { method: 'POST' });
    expect(refused.json).toMatchObject({ printed: false, problem: expect.stringContaining('打印机缺纸') });
    expect((await t.api('/api/status')).json.devices.printer.waiting).toBe(0);
  });
});

describe('activation cards', () => {
  const card = (code: string) =>
    `suanpan://activate?core=${encodeURIComponent('http://127.0.0.1:7430')}&code=${code}`;
  const isActivation = (e: HostEvent): e is Extract<HostEvent, { type: 'scan' }> =>
    e.type === 'scan' && e.scan.kind === 'activation';

  it('are sent unmasked only while a technician session is open', async () => {
    t.settings(KIOSK_PINS);
    await t.start();
    const client = await t.events();
    const scan = async (code: string) => {
      const before = client.events.filter(isActivation).length;
      const answer = await t.api('/api/scan', { method: 'POST', body: { data: card(code) } });
      const event = await until(() => client.events.filter(isActivation)[before], 'the scan event');
      return { answer: answer.json.scan, event: event.scan };
    };

    const cashier = await scan('ABCD-EFGH-JKMN');
    expect(cashier.event).toMatchObject({ activation: { code: '****-****-JKMN' } });
    expect(cashier.answer).toMatchObject({ activation: { code: '****-****-JKMN' } });
    expect(JSON.stringify(client.events)).not.toContain('ABCD-EFGH');

    const sessionId = await t.openSession();
    const technician = await scan('PQRS-TVWX-YZ23');
    expect(technician.event).toMatchObject({
      kind: 'activation',
      activation: { coreUrl: 'http://127.0.0.1:7430', code: 'PQRS-TVWX-YZ23' },
    });
    expect(technician.answer.activation.code).toBe('PQRS-TVWX-YZ23');

    await t.technician('/api/technician/session', sessionId, { method: 'DELETE' });
    const after = await scan('HJKM-NPQR-ST45');
    expect(after.event.kind === 'activation' && after.event.activation.code).toBe('****-****-ST45');
    // Expired counts as closed too.
    await t.openSession();
    t.clock.advance(TECHNICIAN_SESSION_MS);
    const expired = await scan('VWXY-Z234-5678');
    expect(expired.event.kind === 'activation' && expired.event.activation.code).toBe('****-****-5678');
  });
});
