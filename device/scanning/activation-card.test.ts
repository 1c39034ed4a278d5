import { describe, expect, it } from 'vitest';
import { maskActivationCardText, maskActivationCode, parseActivationCard } from './activation-card.ts';

const CODE = 'ABCD-EFGH-JKMN';
const reasonOf = (text: string) => {
  const r = parseActivationCard(text);
  return r.ok ? `accepted: ${JSON.stringify(r.activation)}` : r.reason;
};

describe('parseActivationCard', () => {
  it.each([
    [
      `suanpan://activate?core=https%3A%2F%2Fcore.example.com%3A7430&code=${CODE}`,
      'https://core.example.com:7430',
    ],
    [`suanpan://activate?code=${CODE}&core=http://127.0.0.1:7430/`, 'http://127.0.0.1:7430'],
    [
      `suanpan://activate/?core=https%3A%2F%2Fpay.example.com%2Fcore&code=${CODE}`,
      'https://pay.example.com/core',
    ],
    [`SUANPAN://ACTIVATE?core=https%3A%2F%2FCORE.EXAMPLE.COM&code=${CODE}`, 'https://core.example.com'],
  ])('reads %s', (text, coreUrl) => {
    expect(parseActivationCard(text)).toEqual({ ok: true, activation: { coreUrl, code: CODE } });
  });

  it('upper-cases a lower-case code (the alphabet has no case-only differences)', () => {
    expect(parseActivationCard('suanpan://activate?core=http://core:7430&code=abcd-efgh-jkmn')).toEqual({
      ok: true,
      activation: { coreUrl: 'http://core:7430', code: CODE },
    });
  });

  it.each([
    ['another scheme', `https://activate?core=http://c&code=${CODE}`, 'does not start with suanpan://'],
    [
      'another action',
      `suanpan://pay?core=http://c&code=${CODE}`,
      'suanpan://pay is not a link the terminal knows',
    ],
    ['no query', 'suanpan://activate', 'no ?core=…&code=… query'],
    ['a fragment', `suanpan://activate?core=http://c&code=${CODE}#x`, '#fragment'],
    ['whitespace', `suanpan://activate?core=http://c&code=${CODE} `, 'whitespace'],
    [
      'an unknown parameter',
      `suanpan://activate?core=http://c&code=${CODE}&merchant=1`,
      '"merchant" is not a parameter',
    ],
    [
      'a repeated parameter',
      `suanpan://activate?core=http://a&core=http://b&code=${CODE}`,
      'core appears twice',
    ],
    ['no core', `suanpan://activate?code=${CODE}`, 'core parameter (the core URL) is missing'],
    ['an empty core', `suanpan://activate?core=&code=${CODE}`, 'core parameter (the core URL) is missing'],
    ['a core that is no URL', `suanpan://activate?core=core.example.com&code=${CODE}`, 'is not a URL'],
    [
      'an ftp core',
      `suanpan://activate?core=ftp%3A%2F%2Fcore.example.com&code=${CODE}`,
      'http or https, not ftp',
    ],
    [
      'a core with credentials',
      `suanpan://activate?core=https%3A%2F%2Fu%3Ap%40core.example.com&code=${CODE}`,
      'user name or password',
    ],
    [
      'a core with a query',
      `suanpan://activate?core=https%3A%2F%2Fc.example.com%2F%3Fa%3D1&code=${CODE}`,
      'without ?query',
    ],
    [
      'a malformed escape',
      `suanpan://activate?core=https%3A%2F%2Fc%E0%A4%A&code=${CODE}`,
      'malformed %-escape',
    ],
    ['no code', 'suanpan://activate?core=http://c', 'code parameter (the activation code) is missing'],
    ['a code with O', 'suanpan://activate?core=http://c&code=ABCD-EFGH-JKMO', 'contains "O"'],
    ['a code with 1', 'suanpan://activate?core=http://c&code=1BCD-EFGH-JKMN', 'contains "1"'],
    ['a code without dashes', 'suanpan://activate?core=http://c&code=ABCDEFGHJKMN', 'has 12 characters'],
    ['a short code', 'suanpan://activate?core=http://c&code=ABCD-EFGH', 'has 9 characters'],
  ])('refuses %s', (_, text, why) => {
    const reason = reasonOf(text);
    expect(reason).toMatch(/^Not a usable activation card: /);
    expect(reason).toContain(why);
  });

  it('never puts the code in a reason', () => {
    for (const code of ['ABCD-EFGH-JKMO', 'ABCDEFGHJKMN', 'ABCD-EFGH']) {
      expect(reasonOf(`suanpan://activate?core=http://c&code=${code}`)).not.toContain(code);
    }
  });
});

describe('masking', () => {
  it('keeps the last four characters of a code', () => {
    expect(maskActivationCode(CODE)).toBe('****-****-JKMN');
    expect(maskActivationCode('ABC')).toBe('***');
    expect(maskActivationCardText(`suanpan://activate?code=${CODE}&core=http://c`)).toBe(
      'suanpan://activate?code=****-****-JKMN&core=http://c',
    );
  });
});
