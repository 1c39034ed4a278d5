import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings, SettingsError, settingCatalog } from './load-settings.ts';
import { offlineLimits } from './settings.ts';

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'suanpan-settings-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));
const writeSettings = (value: unknown) =>
  fs.writeFileSync(
    path.join(dataDir, 'suanpan.json'),
    typeof value === 'string' ? value : JSON.stringify(value),
  );

function problems(env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadSettings(dataDir, env);
  } catch (err) {
    if (err instanceof SettingsError) return err.problems;
    throw err;
  }
  return [];
}

describe('settings', () => {
  it('defaults to the offline policy of the issue: ¥200, ¥2,000, 200 payments, 72 h', () => {
    const { settings, sources } = loadSettings(dataDir, {});
    expect(offlineLimits(settings)).toEqual({
      perPayment: { minor: 20_000, currency: 'CNY' },
      totalStored: { minor: 200_000, currency: 'CNY' },
      maxStoredCount: 200,
      maxHoursSinceSync: 72,
    });
    expect(settings.terminal).toEqual({ currency: 'CNY', locale: 'zh-CN', merchantName: null });
    expect(settings.printer).toEqual({
      uri: null,
      profile: 'epson-80',
      statusTimeoutMs: 500,
      receipts: true,
    });
    expect(settings.core.url).toBeNull();
    expect(settings.kiosk).toEqual({ port: 7420, supervisorPin: null, technicianPin: null });
    expect(Object.values(sources).every((s) => s.kind === 'default')).toBe(true);
  });

  it('reads suanpan.json, then SUANPAN_* variables over it, and says where each value came from', () => {
    writeSettings({
      offlinePolicy: { perPaymentMax: '150.00', maxStoredCount: 50 },
      log: { level: 'debug' },
    });
    const { settings, sources, file } = loadSettings(dataDir, {
      SUANPAN_OFFLINE_POLICY_MAX_STORED_COUNT: '20',
      SUANPAN_CORE_URL: 'https://core.example.com',
      SUANPAN_DATA_DIR: '/ignored/here',
      // The developers' own, not settings: no problem either.
      SUANPAN_TEST_PG_URL: 'postgres://postgres@127.0.0.1:5433/test',
      SUANPAN_SOURCES: '1',
    });
    expect(settings.offlinePolicy.perPaymentMax).toBe('150.00');
    expect(settings.offlinePolicy.maxStoredCount).toBe(20);
    expect(settings.core.url).toBe('https://core.example.com');
    expect(sources['offlinePolicy.perPaymentMax']).toEqual({ kind: 'file', file });
    expect(sources['offlinePolicy.maxStoredCount']).toEqual({
      kind: 'env',
      variable: 'SUANPAN_OFFLINE_POLICY_MAX_STORED_COUNT',
    });
    expect(sources['log.level']).toEqual({ kind: 'file', file });
    expect(sources['terminal.currency']).toEqual({ kind: 'default' });
  });

  it('reports every problem at once, each with its path and source', () => {
    writeSettings({
      offlinePolicy: { perPaymentMax: '1.234', maxStoredCount: -1, extra: true },
      terminal: { locale: 'fr' },
      nonsense: 1,
    });
    const found = problems({
      SUANPAN_CORE_TIMEOUT_MS: 'soon',
      SUANPAN_TYPO: '1',
      SUANPAN_CORE_URL: 'ftp://x',
    });
    const file = path.join(dataDir, 'suanpan.json');
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SUANPAN_TYPO: not a setting/),
        expect.stringMatching(
          /^SUANPAN_CORE_TIMEOUT_MS="soon" \(setting core\.timeoutMs\): must be a number/,
        ),
        expect.stringMatching(/^SUANPAN_CORE_URL="ftp:\/\/x" \(setting core\.url\)/),
        `offlinePolicy.extra in ${file}: not a setting`,
        `nonsense in ${file}: not a setting`,
        expect.stringMatching(new RegExp(`^offlinePolicy\\.maxStoredCount in ${file}: `)),
        expect.stringMatching(new RegExp(`^terminal\\.locale in ${file}: `)),
      ]),
    );
    expect(found).toHaveLength(7);
  });

  it('checks amounts against the terminal currency', () => {
    writeSettings({ offlinePolicy: { perPaymentMax: '1.234' } });
    expect(problems()).toEqual([expect.stringMatching(/perPaymentMax.*at most 2 decimals/)]);
    writeSettings({
      terminal: { currency: 'JPY' },
      offlinePolicy: { perPaymentMax: '20000', totalStoredMax: '200000' },
    });
    expect(offlineLimits(loadSettings(dataDir, {}).settings).perPayment).toEqual({
      minor: 20_000,
      currency: 'JPY',
    });
    // An amount written as a number says how to write it.
    writeSettings({ offlinePolicy: { perPaymentMax: 200 } });
    expect(problems()).toEqual([expect.stringMatching(/perPaymentMax.*must be text in quotes: "200"$/)]);
    writeSettings({ offlinePolicy: { perPaymentMax: '200' } });
    expect(offlineLimits(loadSettings(dataDir, {}).settings).perPayment.minor).toBe(20_000);
  });

  it('reports a settings file that is not JSON, or not an object', () => {
    writeSettings('{ "offlinePolicy": ');
    expect(problems()).toEqual([expect.stringMatching(/suanpan\.json: not valid JSON/)]);
    writeSettings('[1, 2]');
    expect(problems()).toEqual([expect.stringMatching(/must hold a JSON object/)]);
    // As a Windows editor saves it, with a byte-order mark: read as the JSON it is.
    writeSettings('\uFEFF{"log": {"level": "debug"}}');
    expect(loadSettings(dataDir, {}).settings.log.level).toBe('debug');
  });

  it('a section of the file that is not an object is reported, even where a variable sets a setting in it', () => {
    writeSettings({ offlinePolicy: '150.00' });
    const file = path.join(dataDir, 'suanpan.json');
    const wrong = expect.stringMatching(new RegExp(`^offlinePolicy in ${file}: must be an object`));
    expect(problems()).toEqual([expect.stringMatching(new RegExp(`^offlinePolicy in ${file}: `))]);
    expect(problems({ SUANPAN_OFFLINE_POLICY_MAX_STORED_COUNT: '5' })).toEqual([wrong]);
  });

  it('names a variable for every setting, and describes each', () => {
    for (const s of settingCatalog()) {
      expect(s.variable).toMatch(/^SUANPAN_[A-Z_]+$/);
      expect(s.description.length).toBeGreaterThan(10);
    }
    expect(settingCatalog().map((s) => s.variable)).toContain('SUANPAN_OFFLINE_POLICY_PER_PAYMENT_MAX');
  });

  it('checks the printer address: an unknown scheme names the valid ones', () => {
    writeSettings({ printer: { uri: 'ipp://printer.local' } });
    expect(problems()).toEqual([
      expect.stringMatching(/printer\.uri.*unknown scheme "ipp".*tcp:\/\/HOST\[:PORT\], serial:/),
    ]);
    writeSettings({ printer: { uri: 'tcp://192.168.1.50' } });
    expect(loadSettings(dataDir, { SUANPAN_PRINTER_PROFILE: 'epson-58' }).settings.printer).toMatchObject({
      uri: 'tcp://192.168.1.50',
      profile: 'epson-58',
    });
  });

  it('an empty variable clears a nullable setting', () => {
    writeSettings({ core: { url: 'https://core.example.com' } });
    expect(loadSettings(dataDir, { SUANPAN_CORE_URL: '' }).settings.core.url).toBeNull();
  });
});

describe('kiosk settings', () => {
  it('takes PINs of 4 to 8 digits as text, and refuses others', () => {
    writeSettings({ kiosk: { supervisorPin: '0580' } });
    const { settings } = loadSettings(dataDir, {
      SUANPAN_KIOSK_TECHNICIAN_PIN: '12345678',
      SUANPAN_KIOSK_PORT: '0',
    });
    expect(settings.kiosk).toEqual({ port: 0, supervisorPin: '0580', technicianPin: '12345678' });
    writeSettings({ kiosk: { supervisorPin: 1234, technicianPin: '123' } });
    expect(problems({ SUANPAN_KIOSK_PORT: '70000' })).toEqual([
      expect.stringMatching(/^SUANPAN_KIOSK_PORT="70000" \(setting kiosk\.port\)/),
      expect.stringMatching(/kiosk\.supervisorPin.*must be text in quotes: "1234"$/),
      expect.stringMatching(/kiosk\.technicianPin.*4 to 8 digits/),
    ]);
  });
});

describe('scanner settings', () => {
  it('takes scanner addresses from the file and from a space-separated variable', () => {
    writeSettings({ scanner: { uris: ['hid:1eab:1310:NL1'] } });
    expect(loadSettings(dataDir, {}).settings.scanner).toEqual({
      uris: ['hid:1eab:1310:NL1'],
      duplicateWindowMs: 1500,
      demoWalletCodes: false,
    });
    const { settings, sources } = loadSettings(dataDir, {
      SUANPAN_SCANNER_URIS: 'serial:/dev/serial/by-id/usb-X?baud=9600&suffix=crlf  wedge:05e0:1200',
    });
    expect(settings.scanner.uris).toEqual([
      'serial:/dev/serial/by-id/usb-X?baud=9600&suffix=crlf',
      'wedge:05e0:1200',
    ]);
    expect(sources['scanner.uris']).toEqual({ kind: 'env', variable: 'SUANPAN_SCANNER_URIS' });
  });

  it('names a bad scanner address with the accepted forms', () => {
    expect(problems({ SUANPAN_SCANNER_URIS: 'hid:1eab usb:1:2' })).toEqual([
      expect.stringMatching(/SUANPAN_SCANNER_URIS.*hid:VID:PID\[:SERIAL\]/),
      expect.stringMatching(/SUANPAN_SCANNER_URIS.*unknown scheme "usb"/),
    ]);
  });
});
