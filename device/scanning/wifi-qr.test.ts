import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskWifiQrText, parseWifiQr } from './wifi-qr.ts';

const escapeWifi = (s: string) => s.replace(/[\\;,:"]/g, (c) => `\\${c}`);
const reasonOf = (text: string) => {
  const r = parseWifiQr(text);
  return r.ok ? `accepted: ${JSON.stringify(r.wifi)}` : r.reason;
};

describe('parseWifiQr', () => {
  it.each([
    [
      'WIFI:T:WPA;S:mynetwork;P:mypass123;;',
      { security: 'WPA', ssid: 'mynetwork', password: 'mypass123', hidden: false },
    ],
    [
      'WIFI:S:Shop;H:true;P:password1;T:WPA;;',
      { security: 'WPA', ssid: 'Shop', password: 'password1', hidden: true },
    ],
    [
      'WIFI:T:WPA;S:Shop;P:password1;H:FALSE;;',
      { security: 'WPA', ssid: 'Shop', password: 'password1', hidden: false },
    ],
    [
      'WIFI:T:WPA2;S:Shop;P:password1;;',
      { security: 'WPA', ssid: 'Shop', password: 'password1', hidden: false },
    ],
    ['WIFI:T:SAE;S:Shop;P:pw;;', { security: 'SAE', ssid: 'Shop', password: 'pw', hidden: false }],
    [
      'WIFI:T:WPA;R:1;S:Shop;P:password1;;',
      { security: 'SAE', ssid: 'Shop', password: 'password1', hidden: false },
    ],
    [
      'WIFI:T:WPA;R:0;S:Shop;P:password1;;',
      { security: 'WPA', ssid: 'Shop', password: 'password1', hidden: false },
    ],
    ['WIFI:T:WEP;S:Old;P:abcde;;', { security: 'WEP', ssid: 'Old', password: 'abcde', hidden: false }],
    [
      'WIFI:T:WEP;S:Old;P:0123456789abcdef0123456789;;',
      { security: 'WEP', ssid: 'Old', password: '0123456789abcdef0123456789', hidden: false },
    ],
    ['WIFI:T:nopass;S:Guest;;', { security: 'nopass', ssid: 'Guest', hidden: false }],
    ['WIFI:S:Guest;;', { security: 'nopass', ssid: 'Guest', hidden: false }],
    ['WIFI:T:;S:Guest;P:;H:true;;', { security: 'nopass', ssid: 'Guest', hidden: true }],
    [
      'WIFI:S:未来商圈-咖啡店;T:WPA;P:密码是八个字吗;;',
      { security: 'WPA', ssid: '未来商圈-咖啡店', password: '密码是八个字吗', hidden: false },
    ],
    [
      'WIFI:T:WPA;S:a:b,c;P:x:y,z12345;;',
      { security: 'WPA', ssid: 'a:b,c', password: 'x:y,z12345', hidden: false },
    ],
  ])('reads %s', (text, wifi) => {
    expect(parseWifiQr(text)).toEqual({ ok: true, wifi });
  });

  it('unescapes \\; \\, \\: \\\\ and \\" in S and P', () => {
    const text = String.raw`WIFI:T:WPA;S:Caf\;e\,1\:2 \"A\" \\ end;P:pa\\ss\"w\:o\,rd\;;;`;
    expect(parseWifiQr(text)).toEqual({
      ok: true,
      wifi: { security: 'WPA', ssid: 'Caf;e,1:2 "A" \\ end', password: 'pa\\ss"w:o,rd;', hidden: false },
    });
  });

  it('takes WPA passwords of 8 and 63 bytes and 64 hex digits, SSIDs up to 32 bytes', () => {
    for (const password of ['12345678', 'x'.repeat(63), 'aB'.repeat(32)]) {
      expect(parseWifiQr(`WIFI:T:WPA;S:s;P:${password};;`)).toMatchObject({ ok: true, wifi: { password } });
    }
    const ssid = `${'咖'.repeat(10)}ab`; // 32 bytes
    expect(parseWifiQr(`WIFI:S:${ssid};;`)).toMatchObject({ ok: true, wifi: { ssid } });
  });

  it.each([
    ['no terminator', 'WIFI:T:WPA;S:x;P:password1;', 'does not end with ";;"'],
    ['no final semicolons', 'WIFI:T:WPA;S:x;P:password1', 'does not end with ";;"'],
    ['an escaped last semicolon', String.raw`WIFI:T:WPA;S:x;P:password1\;;`, 'does not end with ";;"'],
    ['a trailing single backslash', 'WIFI:T:WPA;S:x;P:password1\\', 'single backslash'],
    ['an unknown field', 'WIFI:T:WPA;S:x;P:password1;X:1;;', 'X: is not a field it knows'],
    ['a lower-case field name', 'WIFI:t:WPA;S:x;P:password1;;', 't: is not a field'],
    ['an enterprise field', 'WIFI:T:WPA2-EAP;S:x;E:PEAP;;', 'E: is not a field'],
    ['a duplicate field', 'WIFI:S:x;S:y;;', 'S: appears twice'],
    ['a missing SSID', 'WIFI:T:WPA;P:password1;;', 'S (the network name) is missing or empty'],
    ['an empty SSID', 'WIFI:T:WPA;S:;P:password1;;', 'missing or empty'],
    ['an SSID of 33 bytes', `WIFI:S:${'咖'.repeat(11)};;`, 'network name is 33 bytes long'],
    ['a short WPA password', 'WIFI:T:WPA;S:x;P:short;;', 'this one has 5 bytes'],
    [
      'a 64-character WPA password that is not hex',
      `WIFI:T:WPA;S:x;P:${'g'.repeat(64)};;`,
      'not only hex digits',
    ],
    ['a WPA network without password', 'WIFI:T:WPA;S:x;;', 'needs a password'],
    ['a password on an open network', 'WIFI:T:nopass;S:x;P:secret123;;', 'open network'],
    ['a password without T', 'WIFI:S:x;P:secret123;;', 'open network'],
    ['an unknown security type', 'WIFI:T:WPA3;S:x;P:password1;;', 'T:WPA3 is not a security type'],
    ['a bad WEP key', 'WIFI:T:WEP;S:x;P:abcdef;;', 'WEP key is 5 or 13 characters'],
    ['a bad hidden flag', 'WIFI:T:WPA;S:x;P:password1;H:yes;;', 'H must be true or false'],
    ['a bad R value', 'WIFI:T:WPA;S:x;P:password1;R:z;;', 'R (WPA3 transition disable)'],
    ['an unknown escape', String.raw`WIFI:T:WPA;S:x;P:pass\nword1;;`, String.raw`\n in P: is not an escape`],
    ['an unescaped quote', 'WIFI:S:"x";;', 'unescaped " in S'],
    ['text after the terminator', 'WIFI:S:x;;S:y;;', 'text follows'],
    ['no fields', 'WIFI:;;', 'no fields'],
    ['a field without a name', 'WIFI:S:x;junk;;', 'expected a field such as S: or P: at position 10'],
    ['a lower-case prefix', 'wifi:S:x;;', 'must start with WIFI:'],
  ])('refuses %s', (_, text, why) => {
    const reason = reasonOf(text);
    expect(reason).toMatch(/^Not a usable Wi-Fi QR code: /);
    expect(reason).toContain(why);
  });

  it('never puts the password in a reason', () => {
    for (const text of [
      'WIFI:T:WPA;S:x;P:hunter2;;',
      'WIFI:T:nopass;S:x;P:hunter22;;',
      'WIFI:T:WEP;S:x;P:hunter2;;',
    ]) {
      expect(reasonOf(text)).not.toContain('hunter2');
    }
  });

  // `size: 'max'`: fast-check's default size stops strings at about 10 characters (18 with a
  // minimum of 8), short of an SSID's 32 bytes and a WPA password's 63.
  const ssid = fc.oneof(
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 32, size: 'max' }),
    fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 12, size: 'max' })
      .filter((s) => new TextEncoder().encode(s).length <= 32),
  );
  const password = fc.string({ unit: 'grapheme-ascii', minLength: 8, maxLength: 63, size: 'max' });

  it('reads back what an escaping encoder wrote, in any field order', () => {
    fc.assert(
      fc.property(ssid, password, fc.boolean(), fc.boolean(), (s, p, hidden, reversed) => {
        const fields = [`T:WPA`, `S:${escapeWifi(s)}`, `P:${escapeWifi(p)}`, `H:${hidden}`];
        if (reversed) fields.reverse();
        expect(parseWifiQr(`WIFI:${fields.join(';')};;`)).toEqual({
          ok: true,
          wifi: { security: 'WPA', ssid: s, password: p, hidden },
        });
      }),
    );
  });

  it('masks every password, leaving the rest readable', () => {
    fc.assert(
      fc.property(ssid, password, (s, p) => {
        const masked = maskWifiQrText(`WIFI:P:${escapeWifi(p)};S:${escapeWifi(s)};T:WPA;;`);
        expect(parseWifiQr(masked)).toEqual({
          ok: true,
          wifi: { security: 'WPA', ssid: s, password: '********', hidden: false },
        });
      }),
    );
    // A `;P:` inside an escaped SSID is masked too: more than the password, never less.
    expect(maskWifiQrText(String.raw`WIFI:S:a\;P:b;P:secret123;;`)).toBe(
      String.raw`WIFI:S:a\;P:********;P:********;;`,
    );
    expect(maskWifiQrText('WIFI:T:WPA;S:x;P:secret123')).toBe('WIFI:T:WPA;S:x;P:********');
  });
});
