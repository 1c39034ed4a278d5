/**
 * The decoder on byte fixtures: one receipt with everything a Suanpan receipt uses, fed whole, split
 * at every position, byte by byte, after noise; and properties over arbitrary bytes.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type DecoderEvent, EscPosDecoder } from './escpos-decoder.ts';
import { PrinterState } from './printer-state.ts';
import {
  align,
  bold,
  bytes,
  CHINESE_OFF,
  CHINESE_ON,
  CUT_FULL,
  CUT_PARTIAL_FEED,
  drawer,
  feedLines,
  gb18030,
  INIT,
  LF,
  qr,
  raster,
  size,
  splitAt,
  statusRequest,
} from './test-bytes.ts';

const QR_PAYLOAD = 'https://pay.example.cn/r/8f3a?amt=12.50&t=T-0042';
/** U+20000 (𠀀) is a 4-byte GB18030 sequence, 95 32 82 36. */
const FOUR_BYTE = '\u{20000}';

const RECEIPT = bytes(
  INIT,
  CHINESE_ON,
  align(1),
  size(2, 2),
  bold(true),
  gb18030('收银小票'),
  LF,
  size(1, 1),
  bold(false),
  align(0),
  gb18030(`商品${FOUR_BYTE}`),
  0x09,
  gb18030('￥12.50'),
  LF,
  statusRequest(1),
  'plain ',
  bold(true),
  'bold',
  bold(false),
  LF,
  [0x1b, 0x2d, 1],
  'under',
  [0x1b, 0x2d, 0],
  0x0b, // VT feeds a line
  [0x1d, 0x42, 1],
  'REV',
  [0x1d, 0x42, 0],
  0x0d, // CR: ignored
  LF,
  [0x1b, 0x21, 0x38], // ESC !: emphasized, double height, double width
  'BIG',
  [0x1b, 0x21, 0],
  LF,
  CHINESE_OFF,
  align(1),
  qr(QR_PAYLOAD, { moduleSize: 6, level: 49 }),
  align(2),
  raster(2, [
    [0xff, 0x00],
    [0x81, 0x81],
    [0x00, 0xff],
  ]),
  align(0),
  feedLines(3),
  drawer(0, 25, 25),
  drawer(49, 50, 60),
  CUT_PARTIAL_FEED,
  'second',
  LF,
  CUT_FULL,
);

function decodeChunks(chunks: Uint8Array[], decoder = new EscPosDecoder()) {
  const events: DecoderEvent[] = [];
  for (const chunk of chunks) events.push(...decoder.push(chunk));
  return {
    decoder,
    events,
    model: {
      receipts: decoder.receipts,
      pending: decoder.pending,
      pulses: decoder.drawerPulses,
      line: decoder.currentLine,
    },
  };
}

const style = { bold: false, underline: false, width: 1, height: 1, reverse: false, font: 'A' };

describe('one receipt', () => {
  const { decoder, events } = decodeChunks([RECEIPT]);
  const [first, second] = decoder.receipts;

  test('lines with Chinese text (incl. a 4-byte GB18030 character), styles, alignment', () => {
    expect(first?.lines.map((l) => l.text)).toEqual([
      '收银小票',
      `商品${FOUR_BYTE}  ￥12.50`, // HT to column 8: 商品 and 𠀀 take 2 columns each
      'plain bold',
      'under',
      'REV',
      'BIG',
      '',
      '',
      '',
    ]);
    expect(first?.lines[0]).toMatchObject({ align: 'center', bold: true, width: 2, height: 2 });
    expect(first?.lines[1]).toMatchObject({ ...style, align: 'left' });
    expect(first?.lines[2]?.spans.map((s) => [s.text, s.bold])).toEqual([
      ['plain ', false],
      ['bold', true],
    ]);
    expect(first?.lines[2]?.bold).toBe(false);
    expect(first?.lines[3]).toMatchObject({ underline: true });
    expect(first?.lines[4]).toMatchObject({ reverse: true });
    expect(first?.lines[5]).toMatchObject({ bold: true, width: 2, height: 2, underline: false });
    expect(decoder.counters.gb18030FourByte).toBe(1);
  });

  test('QR, raster image, cut and order of elements', () => {
    expect(first?.qrs).toEqual([
      {
        data: QR_PAYLOAD,
        bytes: new Uint8Array(Buffer.from(QR_PAYLOAD)),
        moduleSize: 6,
        errorCorrection: 'M',
        model: 2,
        align: 'center',
      },
    ]);
    expect(first?.images).toEqual([
      {
        widthDots: 16,
        height: 3,
        rows: [Uint8Array.of(0xff, 0x00), Uint8Array.of(0x81, 0x81), Uint8Array.of(0x00, 0xff)],
        scaleX: 1,
        scaleY: 1,
        align: 'right',
      },
    ]);
    expect(first?.cut).toBe('partial');
    expect(first?.elements.map((e) => e.kind)).toEqual([
      ...Array(6).fill('line'),
      'qr',
      'image',
      ...Array(3).fill('line'),
    ]);
    expect(second).toMatchObject({ index: 1, cut: 'full', lines: [{ text: 'second' }] });
    expect(decoder.pending).toMatchObject({ index: 2, lines: [], cut: undefined });
  });

  test('drawer pulses on both pins, in the receipt they were sent with', () => {
    expect(decoder.drawerPulses).toEqual([
      { pin: 2, onMs: 50, offMs: 50, receiptIndex: 0 },
      { pin: 5, onMs: 100, offMs: 120, receiptIndex: 0 },
    ]);
  });

  test('DLE EOT is a status request, not content', () => {
    const requests = events.filter((e) => e.type === 'status-request');
    expect(requests).toEqual([
      { type: 'status-request', n: 1, answer: undefined, offset: expect.any(Number) },
    ]);
    expect(first?.lines.some((l) => l.text.includes('\u0004'))).toBe(false);
    expect(events.filter((e) => e.type === 'unknown')).toEqual([]);
  });
});

describe('streaming', () => {
  const whole = decodeChunks([RECEIPT]);

  test('the receipt split at every position gives the same model and events', () => {
    for (let p = 0; p <= RECEIPT.length; p++) {
      const split = decodeChunks(splitAt(RECEIPT, [p]));
      expect(split.model, `split at ${p}`).toEqual(whole.model);
      expect(split.events, `split at ${p}`).toEqual(whole.events);
    }
  });

  test('byte by byte gives the same model', () => {
    const single = decodeChunks(Array.from(RECEIPT, (b) => Uint8Array.of(b)));
    expect(single.model).toEqual(whole.model);
    expect(single.events).toEqual(whole.events);
  });

  test('any chunking gives the same model (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: RECEIPT.length }), { maxLength: 12 }), (cuts) => {
        const split = decodeChunks(splitAt(RECEIPT, cuts));
        expect(split.model).toEqual(whole.model);
        expect(split.events).toEqual(whole.events);
      }),
    );
  });

  test('noise before the first frame is skipped and reported', () => {
    // NUL, a code-page byte, an unknown ESC and GS function, text, a stray DLE and BEL: ESC @ then
    // clears the unprinted text, as a printer's initialisation clears its line buffer.
    const noise = bytes(0x00, 0xff, 0x1b, 0x99, 0x1d, 0xee, 'AB', 0x10, 0x07);
    const noisy = decodeChunks([bytes(noise, RECEIPT)]);
    expect(noisy.model).toEqual(whole.model);
    const unknown = noisy.events.filter((e) => e.type === 'unknown').map((e) => [...e.bytes]);
    expect(unknown).toEqual([[0x00], [0x1b, 0x99], [0x1d, 0xee], [0x10], [0x07]]);
    expect(noisy.events.some((e) => e.type === 'warning' && e.message.includes('ESC @'))).toBe(true);
  });

  test('a command prefix inside garbage is still framed: ESC followed by ESC @', () => {
    const { decoder, events } = decodeChunks([bytes(0x1b, INIT, 'ok', LF)]);
    expect(decoder.pending.lines.map((l) => l.text)).toEqual(['ok']);
    expect(events.filter((e) => e.type === 'unknown').map((e) => [...e.bytes])).toEqual([[0x1b]]);
  });

  test('noise that starts no command, anywhere before the frame, changes nothing (property)', () => {
    const quiet = fc
      .integer({ min: 0, max: 255 })
      .filter((b) => ![0x0a, 0x0b, 0x0c, 0x10, 0x1b, 0x1c, 0x1d].includes(b));
    fc.assert(
      fc.property(fc.array(quiet, { maxLength: 40 }), (noise) => {
        expect(decodeChunks([bytes(noise, RECEIPT)]).model).toEqual(whole.model);
      }),
    );
  });
});

describe('Chinese mode and code pages', () => {
  test('outside Chinese mode, bytes >= 0x80 are code-page characters (CP437 by default)', () => {
    const { decoder } = decodeChunks([bytes(INIT, 0x82, 0x9c, gb18030('中'), LF)]);
    expect(decoder.pending.lines[0]?.text).toBe('é£╓╨');
    expect(decoder.counters.codePageCharacters).toBe(4);
  });

  test('FS . leaves Chinese mode; ESC @ returns to the power-up mode', () => {
    const { decoder } = decodeChunks([
      bytes(CHINESE_ON, gb18030('中'), CHINESE_OFF, 0x82, LF, CHINESE_ON, INIT, gb18030('中'), LF),
    ]);
    expect(decoder.pending.lines.map((l) => l.text)).toEqual(['中é', '╓╨']);
  });

  test('a printer that powers up in Chinese mode reads GB18030 without FS &', () => {
    const { decoder } = decodeChunks(
      [bytes(INIT, gb18030('合计'), LF)],
      new EscPosDecoder({ chineseModeAtPowerUp: true }),
    );
    expect(decoder.pending.lines[0]?.text).toBe('合计');
  });

  test('an invalid trail byte costs only the lead byte; a command after it is framed', () => {
    const { decoder } = decodeChunks([bytes(CHINESE_ON, 0xb0, LF, 0x80, 'x', LF)]);
    expect(decoder.pending.lines.map((l) => l.text)).toEqual(['\uFFFD', '\uFFFDx']);
    expect(decoder.counters.invalidCharacters).toBe(2);
  });
});

describe('other commands', () => {
  test('skipped by length: GS ( L graphics, GS 8 L, barcode settings, other GS ( k symbols', () => {
    const { decoder, events } = decodeChunks([
      bytes(
        [0x1d, 0x28, 0x4c, 6, 0, 0x30, 0x70, 0x1b, 0x40, 0x0a, 0x0a], // GS ( L with bytes that look like commands
        [0x1d, 0x38, 0x4c, 3, 0, 0, 0, 0x0a, 0x0a, 0x0a],
        [0x1d, 0x68, 80, 0x1d, 0x77, 2, 0x1d, 0x48, 2, 0x1d, 0x66, 0],
        [0x1d, 0x28, 0x6b, 5, 0, 0x30, 80, 48, 0x41, 0x42], // PDF417 store
        [0x1d, 0x50, 0, 0, 0x10, 0x05, 1], // GS P, DLE ENQ
        'text',
        LF,
      ),
    ]);
    expect(decoder.pending.lines.map((l) => l.text)).toEqual(['text']);
    expect(decoder.pending.qrs).toEqual([]);
    expect(events.filter((e) => e.type === 'unknown')).toEqual([]);
  });

  test('barcodes: NUL-terminated and length forms', () => {
    const { decoder } = decodeChunks([bytes([0x1d, 0x6b, 4], '*A1*', 0, [0x1d, 0x6b, 73, 5], '{B123')]);
    expect(decoder.pending.barcodes.map((b) => [b.system, b.data])).toEqual([
      [4, '*A1*'],
      [73, '{B123'],
    ]);
  });

  test('GS a is recorded; unknown functions resynchronise on the next byte', () => {
    const { decoder, events } = decodeChunks([
      bytes([0x1d, 0x61, 0xff], [0x1b, 0x7f], [0x1c, 0x01], 'x', LF),
    ]);
    expect(decoder.autoStatusBack).toBe(0xff);
    expect(events.map((e) => e.type)).toEqual(['auto-status-back', 'unknown', 'unknown']);
    expect(decoder.pending.lines[0]?.text).toBe('x');
  });

  test('ESC i, ESC m and GS V 1 are partial cuts, GS V 65 n full; a QR print without data prints nothing', () => {
    const { decoder, events } = decodeChunks([
      bytes(
        [0x1b, 0x69],
        [0x1b, 0x6d],
        [0x1d, 0x56, 49],
        [0x1d, 0x56, 65, 3],
        [0x1d, 0x28, 0x6b, 3, 0, 0x31, 81, 48],
      ),
    ]);
    expect(decoder.receipts.map((r) => r.cut)).toEqual(['partial', 'partial', 'partial', 'full']);
    expect(decoder.pending.qrs).toEqual([]);
    expect(events.some((e) => e.type === 'warning' && e.message.includes('no QR data'))).toBe(true);
  });

  test('a raster body split over many chunks is collected whole', () => {
    const rows = Array.from({ length: 40 }, (_, y) => Array.from({ length: 72 }, (_, x) => (x + y) & 0xff));
    const data = raster(72, rows);
    const { decoder } = decodeChunks(splitAt(data, [3, 9, 100, 1000, 2000]));
    expect(decoder.pending.images[0]?.rows[39]).toEqual(Uint8Array.from(rows[39] ?? []));
    expect(decoder.pending.images[0]?.widthDots).toBe(576);
  });
});

describe('with the printer state', () => {
  test('paper runs out mid-chunk: the rest is discarded, DLE EOT says paper end', () => {
    const state = new PrinterState({ paperOutAfterBytes: 5 }); // ESC @, 'A', 'B', LF
    const decoder = new EscPosDecoder({ control: state });
    const events = decoder.push(
      bytes(INIT, 'AB', LF, 'CD', LF, statusRequest(4), statusRequest(1), CUT_FULL),
    );
    expect(decoder.pending.lines.map((l) => l.text)).toEqual(['AB']);
    expect(decoder.receipts).toEqual([]);
    expect(events.filter((e) => e.type === 'status-request').map((e) => e.answer)).toEqual([0x7e, 0x1a]);
    expect(decoder.counters.discardedBytes).toBe(3 + 3);
  });
});

describe('properties', () => {
  test('never throws on arbitrary bytes in arbitrary chunks, and accounts for every byte', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 }),
        fc.boolean(),
        (chunks, chinese) => {
          const decoder = new EscPosDecoder({ chineseModeAtPowerUp: chinese, control: new PrinterState() });
          for (const chunk of chunks) decoder.push(chunk);
          expect(decoder.counters.bytes).toBe(chunks.reduce((n, c) => n + c.length, 0));
        },
      ),
      { numRuns: 500 },
    );
  });

  const payload = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 120 });

  test('prints no QR payload that was not sent, whatever the noise around the frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ noise: fc.uint8Array({ maxLength: 40 }), payload }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.uint8Array({ maxLength: 40 }),
        (frames, tail) => {
          const decoder = new EscPosDecoder();
          decoder.push(bytes(...frames.flatMap((f) => [f.noise, qr(f.payload)]), tail));
          const printed = [...decoder.receipts, decoder.pending].flatMap((r) => r.qrs.map((q) => q.data));
          const sent = new Set(frames.map((f) => f.payload));
          for (const data of printed) expect(sent.has(data)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('prints every QR payload exactly, in order, amid noise that starts no command', () => {
    const quiet = fc
      .uint8Array({ maxLength: 40 })
      .map((a) => a.filter((b) => ![0x10, 0x1b, 0x1c, 0x1d].includes(b)));
    fc.assert(
      fc.property(
        fc.array(fc.record({ noise: quiet, payload }), { minLength: 1, maxLength: 5 }),
        (frames) => {
          const decoder = new EscPosDecoder();
          for (const chunk of splitAt(
            bytes(...frames.flatMap((f) => [f.noise, qr(f.payload)])),
            [7, 50, 51],
          )) {
            decoder.push(chunk);
          }
          expect(decoder.pending.qrs.map((q) => q.data)).toEqual(frames.map((f) => f.payload));
        },
      ),
      { numRuns: 300 },
    );
  });
});
