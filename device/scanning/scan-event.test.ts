import { describe, expect, it } from 'vitest';
import type { RawScan } from '../../drivers/scanner/raw-scan.ts';
import { routeScan } from './route.ts';
import { maskedScanEvent, ScanEvent } from './scan-event.ts';

const scan = (text: string): ScanEvent => {
  const raw: RawScan = {
    bytes: new TextEncoder().encode(text),
    symbology: 'qr',
    source: 'hid:0c2e:0b61',
    receivedAt: 0,
  };
  return routeScan(raw, { now: () => new Date('2025-03-01T08:30:00.000Z') });
};

describe('maskedScanEvent', () => {
  it('masks a payment code like receipts do', () => {
    expect(maskedScanEvent(scan('281234567890123456'))).toMatchObject({
      kind: 'payment_code',
      scheme: 'alipay',
      data: '28************3456',
    });
  });

  it('replaces a Wi-Fi password by asterisks, in the credentials and in the data', () => {
    const masked = maskedScanEvent(scan(String.raw`WIFI:T:WPA;P:hunter2\;x;S:Shop;;`));
    expect(masked).toMatchObject({
      kind: 'wifi',
      data: 'WIFI:T:WPA;P:********;S:Shop;;',
      wifi: { security: 'WPA', ssid: 'Shop', password: '********' },
    });
    expect(maskedScanEvent(scan('WIFI:S:Guest;;'))).toMatchObject({
      wifi: { security: 'nopass', ssid: 'Guest' },
    });
  });

  it('keeps only the last four characters of an activation code', () => {
    const masked = maskedScanEvent(scan('suanpan://activate?core=http%3A%2F%2Fc%3A7430&code=abcd-efgh-jkmn'));
    expect(masked).toMatchObject({
      kind: 'activation',
      data: 'suanpan://activate?core=http%3A%2F%2Fc%3A7430&code=****-****-jkmn',
      activation: { coreUrl: 'http://c:7430', code: '****-****-JKMN' },
    });
  });

  it('masks unknown data that may hold a secret, and leaves the rest', () => {
    expect(maskedScanEvent(scan('991234567890123456'))).toMatchObject({
      kind: 'unknown',
      data: '99************3456',
    });
    expect(maskedScanEvent(scan('WIFI:T:WPA;S:x;P:short;;'))).toMatchObject({
      kind: 'unknown',
      data: 'WIFI:T:WPA;S:x;P:********;;',
    });
    expect(maskedScanEvent(scan('suanpan://activate?code=ABCD-EFGH-JKMO'))).toMatchObject({
      kind: 'unknown',
      data: 'suanpan://activate?code=****-****-JKMO',
    });
    expect(maskedScanEvent(scan('https://example.com'))).toMatchObject({ data: 'https://example.com' });
    expect(maskedScanEvent(scan('4006381333931'))).toEqual(scan('4006381333931'));
  });

  it('returns a copy that is still a valid ScanEvent and leaves the original alone', () => {
    const event = scan('WIFI:T:WPA;S:Shop;P:password1;;');
    const masked = maskedScanEvent(event);
    expect(event).toMatchObject({ wifi: { password: 'password1' } });
    for (const text of ['281234567890123456', 'suanpan://activate?core=http://c&code=ABCD-EFGH-JKMN', 'x']) {
      expect(ScanEvent.safeParse(maskedScanEvent(scan(text))).success).toBe(true);
    }
    expect(ScanEvent.safeParse(masked).success).toBe(true);
  });
});

describe('ScanEvent', () => {
  const common = { data: 'x', symbology: 'qr', source: 's', at: '2025-03-01T08:30:00.000Z' };
  it('refuses shapes routing never makes', () => {
    expect(ScanEvent.safeParse({ ...common, kind: 'unknown' }).success).toBe(false);
    expect(
      ScanEvent.safeParse({
        ...common,
        kind: 'wifi',
        wifi: { security: 'nopass', ssid: 'a', password: 'p', hidden: false },
      }).success,
    ).toBe(false);
    expect(
      ScanEvent.safeParse({
        ...common,
        kind: 'activation',
        activation: { coreUrl: 'ftp://c', code: 'ABCD-EFGH-JKMN' },
      }).success,
    ).toBe(false);
    expect(ScanEvent.safeParse({ ...common, symbology: 'morse', kind: 'unknown', reason: 'r' }).success).toBe(
      false,
    );
  });
});
