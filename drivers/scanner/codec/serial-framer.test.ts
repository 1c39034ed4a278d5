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

  it('does not count the CR of a CRLF as lost under lf when the frame is full', () => {
    // A code of exactly maxBytes is whole; one byte over loses that byte, not the CR too.
    const f = new SerialFramer({ suffix: 'lf', maxBytes: 4 });
    expect(f.push(b('1234\r\n'), 0)).toEqual([
      { bytes: Uint8Array.from(b('1234')), terminated: true, dropped: 0 },
    ]);
    expect(f.push(b('12345\r\n'), 1)).toEqual([
      { bytes: Uint8Array.from(b('1234')), terminated: true, dropped: 1 },
    ]);
    // A CR inside the data stays data, even when the suffix's CR is dropped.
    expect(f.push(b('123\r\r\n'), 2)).toEqual([
      { bytes: Uint8Array.from(b('123\r')), terminated: true, dropped: 0 },
    ]);
  });

  // `size: 'max'` in the properties: fast-check's default size stops arrays at about 10 items, so no
  // frame would be longer than one chunk, and none would reach the framer's size limit.
  it('never throws and never emits bytes that were not sent, whatever the chunks and timing (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Suffix>('cr', 'lf', 'crlf', 'none'),
        fc.array(
          fc.record({
            // Mostly short chunks, some as long as a read of a burst; CR and LF often enough to matter.
            bytes: fc.oneof(
              fc.uint8Array({ maxLength: 300, size: 'max' }),
              fc
                .array(fc.constantFrom(0x0d, 0x0a, 0x31, 0x32), { maxLength: 40, size: 'max' })
                .map((a) => Uint8Array.from(a)),
            ),
            gap: fc.nat(100),
          }),
          { maxLength: 30, size: 'max' },
        ),
        fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
        (suffix, chunks, maxBytes) => {
          const f = new SerialFramer({ suffix, interByteTimeoutMs: 50, maxBytes });
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
            expect(frame.bytes.length).toBeLessThanOrEqual(maxBytes ?? 8192);
            // Suffix bytes are only ever taken off a frame's ends: what is left was sent as it is.
            expect(sent.includes(Buffer.from(frame.bytes).toString('latin1'))).toBe(true);
          }
        },
      ),
    );
  });

  /** A code of up to 600 bytes (past any one read), its suffix, and the points it is cut into chunks. */
  const codeInChunks = fc
    .tuple(
      fc.stringMatching(/^[0-9A-Za-z:;]{1,600}$/, { size: 'max' }),
      // The suffix the scanner sends and the one the terminal is set to (a CR scanner is not read
      // under `lf`: its CR is data there).
      fc.constantFrom(
        ...(['cr', 'lf', 'crlf'] as const).flatMap((sent) =>
          (['cr', 'lf', 'crlf'] as const)
            .filter((setting) => !(sent === 'cr' && setting === 'lf'))
            .map((setting) => ({ sent, setting })),
        ),
      ),
    )
    .chain(([code, suffix]) => {
      const bytes = b(`${code}${{ cr: '\r', lf: '\n', crlf: '\r\n' }[suffix.sent]}`);
      return fc.tuple(
        fc.constant(code),
        fc.constant(suffix.setting),
        fc.constant(bytes),
        fc
          .uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 20, size: 'max' })
          .map((points) => points.sort((x, y) => x - y)),
      );
    });
  const chunksOf = (bytes: Uint8Array, cuts: number[]) =>
    [0, ...cuts].map((from, i) => bytes.subarray(from, cuts[i] ?? bytes.length));

  it('a code split at any points is emitted whole, however long (property)', () => {
    fc.assert(
      fc.property(codeInChunks, ([code, suffix, bytes, cuts]) => {
        const f = new SerialFramer({ suffix });
        const frames = chunksOf(bytes, cuts).flatMap((chunk, i) => f.push(chunk, i));
        expect(frames.map((x) => ({ ...x, bytes: Buffer.from(x.bytes).toString('latin1') }))).toEqual([
          { bytes: code, terminated: true, dropped: 0 },
        ]);
      }),
      { numRuns: 300 },
    );
  });

  it('a code over the size limit is one frame: its first maxBytes bytes and the count dropped (property)', () => {
    fc.assert(
      fc.property(codeInChunks, fc.integer({ min: 1, max: 700 }), ([code, suffix, bytes, cuts], maxBytes) => {
        const f = new SerialFramer({ suffix, maxBytes });
        const frames = chunksOf(bytes, cuts).flatMap((chunk, i) => f.push(chunk, i));
        expect(frames.map((x) => ({ ...x, bytes: Buffer.from(x.bytes).toString('latin1') }))).toEqual([
          {
            bytes: code.slice(0, maxBytes),
            terminated: true,
            dropped: Math.max(0, code.length - maxBytes),
          },
        ]);
      }),
      { numRuns: 300 },
    );
  });
});
