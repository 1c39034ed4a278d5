import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SerialFramer, type Suffix } from './serial-framer.ts';

const b = (s: string) => Buffer.from(s, 'latin1');
const text = (frames: { bytes: Uint8Array; terminated: boolean }[]) =>
  frames.map((f) => `${Buffer.from(f.bytes).toString('latin1')}${f.terminated ? '' : '(timeout)'}`);

describe('serial framing', () => {
  it.each<[Suffix, string]>([
    ['cr', '\r'],
    ['lf', '\n'],
    ['crlf', '\r\n'],
  ])('ends codes at the %s suffix, two codes in one chunk', (suffix, end) => {
    const f = new SerialFramer({ suffix });
    expect(text(f.push(b(`281234567890123456${end}6901234567892${end}`), 0))).toEqual([
      '281234567890123456',
      '6901234567892',
    ]);
  });

  it('joins a code split across chunks, the suffix alone in the last', () => {
    const f = new SerialFramer({ suffix: 'crlf' });
    expect(f.push(b('2812345'), 0)).toEqual([]);
    expect(f.push(b('67890123456\r'), 1)).toHaveLength(1);
    expect(f.push(b('\n'), 2)).toEqual([]); // the LF of the CRLF, not an empty code
  });

  it('accepts a CRLF scanner under cr and lf settings', () => {
    expect(text(new SerialFramer({ suffix: 'cr' }).push(b('123\r\n456\r\n'), 0))).toEqual(['123', '456']);
    expect(text(new SerialFramer({ suffix: 'lf' }).push(b('123\r\n456\r\n'), 0))).toEqual(['123', '456']);
  });

  it('recovers a lost suffix by the inter-byte timeout', () => {
    const f = new SerialFramer({ suffix: 'cr', interByteTimeoutMs: 50 });
    f.push(b('281234567890123456'), 100);
    expect(f.deadline()).toBe(150);
    expect(f.expire(149)).toEqual([]);
    expect(text(f.expire(150))).toEqual(['281234567890123456(timeout)']);
    expect(f.deadline()).toBeUndefined();
  });

  it('keeps noise before a frame apart when silence separates them', () => {
    const f = new SerialFramer({ suffix: 'cr', interByteTimeoutMs: 50 });
    expect(f.push(b('\x00\xff\x13'), 0)).toEqual([]);
    expect(text(f.push(b('6901234567892\r'), 80))).toEqual(['\x00\xff\x13(timeout)', '6901234567892']);
  });

  it('frames by silence alone with suffix none', () => {
    const f = new SerialFramer({ suffix: 'none', interByteTimeoutMs: 20 });
    f.push(b('12\r34'), 0);
    expect(text(f.expire(25))).toEqual(['12\r34(timeout)']);
  });

  it('reports how many bytes an overlong frame lost', () => {
    const f = new SerialFramer({ maxBytes: 4 });
    const [frame] = f.push(b('123456\r'), 0);
    expect(Buffer.from(frame?.bytes ?? []).toString()).toBe('1234');
    expect(frame?.dropped).toBe(2);
  });

  it('never throws and never emits bytes that were not sent, whatever the chunks and timing (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Suffix>('cr', 'lf', 'crlf', 'none'),
        fc.array(fc.record({ bytes: fc.uint8Array({ maxLength: 20 }), gap: fc.nat(100) }), { maxLength: 30 }),
        (suffix, chunks) => {
          const f = new SerialFramer({ suffix, interByteTimeoutMs: 50 });
          const sent = Buffer.concat(chunks.map((c) => Buffer.from(c.bytes))).toString('latin1');
          let at = 0;
          const frames = [];
          for (const c of chunks) {
            at += c.gap;
            frames.push(...f.push(c.bytes, at));
          }
          frames.push(...f.expire(at + 1000));
          for (const frame of frames) {
            expect(frame.bytes.length).toBeGreaterThan(0);
            // Suffix bytes are only ever taken off a frame's ends: what is left was sent as it is.
            expect(sent.includes(Buffer.from(frame.bytes).toString('latin1'))).toBe(true);
          }
        },
      ),
    );
  });

  it('a code split at any point is emitted whole (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Za-z:;]{1,64}$/), fc.nat(64), (code, cut) => {
        const f = new SerialFramer({ suffix: 'crlf' });
        const bytes = b(`${code}\r\n`);
        const at = Math.min(cut, bytes.length);
        const frames = [...f.push(bytes.subarray(0, at), 0), ...f.push(bytes.subarray(at), 1)];
        expect(text(frames)).toEqual([code]);
      }),
    );
  });
});
