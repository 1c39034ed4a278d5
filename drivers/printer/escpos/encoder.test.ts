/**
 * The encoder, byte for byte, and read back by the printer simulator's independent decoder.
 *
 * Golden files: `fixtures/receipt-<profile>.hex` hold the exact bytes of one reference receipt per
 * printer profile, as a hex dump (16 bytes a line, with offsets, so that a change shows as a line
 * diff). After an intended change to the encoder, regenerate them and review the diff:
 *
 *     UPDATE_GOLDEN=1 npx vitest run drivers/printer/escpos/encoder.test.ts
 *
 * The raster profiles and star-80 draw the Chinese lines as pictures with the CJK font
 * (fonts-noto-cjk, /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc) through @napi-rs/canvas:
 * their goldens are stable from run to run, but change when that font or the canvas library
 * changes. That is a reason to look at the pictures (`suanpan receipt --png`) and regenerate, not
 * to loosen the comparison: the decoded checks below say what must hold whatever the font.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import jsqr from 'jsqr';
import { describe, expect, it, test } from 'vitest';
import { EscPosDecoder, type ReceiptImage } from '../../../test-hardware/printer-sim/escpos-decoder.ts';
import { columnsOf } from '../../../test-hardware/printer-sim/receipt-model.ts';
import type { Block, PrintDocument } from '../document.ts';
import { PrinterError } from '../errors.ts';
import { PROFILES, type PrinterProfile } from '../profiles.ts';
import { DRAWER_KICK, encodeDocument, MAX_TEXT_LENGTH, rasterImage } from './encoder.ts';

// jsqr is CommonJS whose types declare only an ES default export (see render.test.ts in the simulator).
const jsQR = jsqr.default;

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const MERCHANT = '老王面馆';
const QR_PAYLOAD = 'https://suanpan.example/r/7f3a9c2e-0001';

/** The reference receipt: every kind of block, Chinese, a QR, a feed, the cut and the drawer. */
const REFERENCE: PrintDocument = {
  drawer: true,
  cut: true,
  blocks: [
    { kind: 'text', text: MERCHANT, align: 'center', bold: true, size: 2 },
    { kind: 'pair', left: '金额', right: '￥12.50' },
    { kind: 'pair', left: 'Terminal', right: 'T-0042' },
    { kind: 'rule' },
    { kind: 'qr', data: QR_PAYLOAD },
    { kind: 'feed', lines: 2 },
  ],
};

const EPSON = ['epson-80', 'epson-58', 'epson-80-raster', 'epson-58-raster'] as const;

function profileOf(id: string): PrinterProfile {
  const p = PROFILES[id];
  if (!p) throw new Error(`no profile ${id}`);
  return p;
}

function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = [...bytes.subarray(at, at + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${row}`);
  }
  return `${lines.join('\n')}\n`;
}

function decode(bytes: Uint8Array) {
  const decoder = new EscPosDecoder();
  const events = decoder.push(bytes);
  return { decoder, events, counters: decoder.counters };
}

/** The receipt that was printed: the one cut off, or (no cutter) what is still on the paper. */
function printed(decoder: EscPosDecoder) {
  return decoder.receipts[0] ?? decoder.pending;
}

function blackDots(image: ReceiptImage): number {
  let n = 0;
  for (const row of image.rows) for (const byte of row) for (let b = byte; b; b >>= 1) n += b & 1;
  return n;
}

/** Reads a raster image with jsQR: the image as RGBA on a white quiet zone. */
function readQr(image: ReceiptImage): string | undefined {
  const pad = 32;
  const w = image.widthDots + 2 * pad;
  const h = image.height + 2 * pad;
  const rgba = new Uint8ClampedArray(w * h * 4).fill(255);
  image.rows.forEach((row, y) => {
    for (let x = 0; x < image.widthDots; x++) {
      if (((row[x >> 3] ?? 0) >> (7 - (x & 7))) & 1) {
        const i = ((y + pad) * w + x + pad) * 4;
        rgba[i] = rgba[i + 1] = rgba[i + 2] = 0;
      }
    }
  });
  return jsQR(rgba, w, h)?.data;
}

async function rejection(promise: Promise<unknown>): Promise<PrinterError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PrinterError) return err;
    throw err;
  }
  throw new Error('expected a PrinterError, but it resolved');
}

describe('golden bytes of the reference receipt', () => {
  test.each([...EPSON, 'star-80'])('%s', async (id) => {
    const bytes = await encodeDocument(REFERENCE, profileOf(id));
    const file = `${FIXTURES}receipt-${id}.hex`;
    if (UPDATE) fs.writeFileSync(file, hexDump(bytes));
    expect(hexDump(bytes)).toBe(fs.readFileSync(file, 'utf8'));
  });
});

describe('the reference receipt, decoded by the simulator', () => {
  test.each(EPSON)('%s: nothing unknown, no stray text, drawer fired first on both pins', async (id) => {
    const bytes = await encodeDocument(REFERENCE, profileOf(id));
    const { decoder, events, counters } = decode(bytes);
    expect(events.filter((e) => e.type === 'unknown' || e.type === 'warning')).toEqual([]);
    expect(counters).toMatchObject({ codePageCharacters: 0, invalidCharacters: 0, gb18030FourByte: 0 });
    // Complete `ESC p m t1 t2` for both pins, right after the initialisation.
    expect([...bytes.subarray(0, 2 + DRAWER_KICK.length)]).toEqual([0x1b, 0x40, ...DRAWER_KICK]);
    expect(decoder.drawerPulses).toEqual([
      { pin: 2, onMs: 50, offMs: 50, receiptIndex: 0 },
      { pin: 5, onMs: 50, offMs: 50, receiptIndex: 0 },
    ]);
    expect(decoder.inChineseMode).toBe(false);
  });

  test.each(EPSON)('%s: cut only with a cutter, after feeding clear of the head', async (id) => {
    const profile = profileOf(id);
    const { decoder } = decode(await encodeDocument(REFERENCE, profile));
    if (profile.cutter) {
      expect(decoder.receipts.map((r) => r.cut)).toEqual(['full']);
      expect(decoder.pending.elements).toEqual([]);
    } else {
      expect(decoder.receipts).toEqual([]);
    }
    const lines = printed(decoder).lines;
    // The feed block (2) and the feed before the cut, all blank, end the receipt.
    const trailing = lines.length - lines.findLastIndex((l) => l.text !== '') - 1;
    expect(trailing).toBeGreaterThanOrEqual(2 + profile.feedBeforeCut);
  });

  test.each(['epson-80', 'epson-58'])(
    '%s: Chinese in the printer font, QR drawn by the printer',
    async (id) => {
      const profile = profileOf(id);
      const receipt = printed(decode(await encodeDocument(REFERENCE, profile)).decoder);
      const [title, amount, terminal, rule] = receipt.lines;
      expect(title).toMatchObject({ text: MERCHANT, align: 'center', bold: true, width: 2, height: 2 });
      expect(amount?.text).toMatch(/^金额 +￥12\.50$/);
      expect(terminal?.text).toMatch(/^Terminal +T-0042$/);
      // Both pairs fill the paper width exactly (a Chinese character takes two columns).
      const width = (text = '') => [...text].reduce((w, ch) => w + columnsOf(ch), 0);
      expect([width(amount?.text), width(terminal?.text)]).toEqual([profile.columns, profile.columns]);
      expect(rule?.text).toBe('-'.repeat(profile.columns));
      expect(receipt.qrs).toEqual([
        expect.objectContaining({ data: QR_PAYLOAD, errorCorrection: 'M', model: 2, align: 'center' }),
      ]);
      expect(receipt.images).toEqual([]);
    },
  );

  test.each(['epson-80-raster', 'epson-58-raster'])(
    '%s: Chinese as pictures the paper width, QR as a picture',
    async (id) => {
      const profile = profileOf(id);
      const receipt = printed(decode(await encodeDocument(REFERENCE, profile)).decoder);
      // Only the ASCII lines are text; nothing the printer would print as garbage.
      expect(receipt.lines.every((l) => /^[\x20-\x7e]*$/.test(l.text))).toBe(true);
      expect(receipt.lines.map((l) => l.text)).toContainEqual(expect.stringMatching(/^Terminal +T-0042$/));
      const [title, amount, qr] = receipt.images;
      // The title at double size is two text lines high; the amount one line.
      expect(title).toMatchObject({ widthDots: profile.widthDots, height: 48 });
      expect(amount).toMatchObject({ widthDots: profile.widthDots, height: 24 });
      for (const image of [title, amount]) expect(blackDots(image as ReceiptImage)).toBeGreaterThan(100);
      expect(receipt.qrs).toEqual([]);
      expect(qr && readQr(qr)).toBe(QR_PAYLOAD);
    },
  );
});

describe('what must not reach the printer as bytes', () => {
  const doc = (...blocks: Block[]): PrintDocument => ({ cut: false, blocks });

  it('refuses text longer than a receipt can be, as UNPRINTABLE', async () => {
    const epson80 = profileOf('epson-80');
    await expect(
      encodeDocument(doc({ kind: 'text', text: 'x'.repeat(MAX_TEXT_LENGTH) }), epson80),
    ).resolves.toBeInstanceOf(Buffer);
    const err = await rejection(
      encodeDocument(doc({ kind: 'text', text: 'x'.repeat(MAX_TEXT_LENGTH + 1) }), epson80),
    );
    expect(err.code).toBe('UNPRINTABLE');
    expect(err.cashierMessage('zh-CN')).toContain('无法打印');
    const pair = await rejection(
      encodeDocument(doc({ kind: 'pair', left: 'x', right: '9'.repeat(MAX_TEXT_LENGTH + 1) }), epson80),
    );
    expect(pair.code).toBe('UNPRINTABLE');
  });

  it.each([
    ['a lone high surrogate', '付款\ud83d成功'],
    ['a lone low surrogate', '\ude00'],
    ['a reversed pair', '\ude00\ud83d'],
  ])('refuses %s as UNPRINTABLE', async (_name, text) => {
    for (const id of ['epson-80', 'epson-80-raster', 'star-80']) {
      const err = await rejection(encodeDocument(doc({ kind: 'text', text }), profileOf(id)));
      expect(err.code).toBe('UNPRINTABLE');
    }
  });

  it.each([
    ['an emoji', '谢谢惠顾 😀'],
    ['a CJK Extension B character', '𠀀记面馆'],
  ])('prints a line with %s (4 bytes in GB18030) as a picture on epson-80', async (_name, text) => {
    const profile = profileOf('epson-80');
    const bytes = await encodeDocument(doc({ kind: 'text', text: '老王' }, { kind: 'text', text }), profile);
    const fourByte = [...text].find((ch) => iconv.encode(ch, 'gb18030').length === 4) as string;
    expect(bytes.includes(iconv.encode(fourByte, 'gb18030'))).toBe(false);
    const { decoder, counters } = decode(bytes);
    expect(counters).toMatchObject({
      gb18030FourByte: 0,
      invalidCharacters: 0,
      codePageCharacters: 0,
      unknown: 0,
    });
    const receipt = decoder.pending;
    // The line of two-byte characters still goes in the printer's font; the other is a picture.
    expect(receipt.lines.map((l) => l.text)).toEqual(['老王']);
    expect(receipt.images).toHaveLength(1);
    expect(receipt.images[0]?.widthDots).toBe(profile.widthDots);
    expect(blackDots(receipt.images[0] as ReceiptImage)).toBeGreaterThan(100);
  });

  // Controls a merchant name or a reason could carry: ESC @ (reset), GS V (cut), DLE EOT (status),
  // ESC p (drawer), FS . (leave Chinese mode), BEL, DEL, C1 controls, NUL, TAB, CR.
  const CONTROLS = '\x1b@\x1dV\x00\x10\x04\x01\x1bp\x00\x19\x19\x1c.\x07\x7f\x85\x9b\t\r\x0c\x0b';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
  const spaced = (s: string) => s.replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/g, ' ');

  it.each(['epson-80', 'epson-58-raster'])(
    '%s: a control character in text prints as a space, never as a command',
    async (id) => {
      const profile = profileOf(id);
      const blocks: Block[] = [
        { kind: 'text', text: `Lao${CONTROLS}Wang` },
        { kind: 'text', text: `老王${CONTROLS}面馆`, size: 2 },
        { kind: 'pair', left: `合计${CONTROLS}`, right: `${CONTROLS}12.50` },
      ];
      const bytes = await encodeDocument(doc(...blocks), profile);
      const clean = (b: Block): Block =>
        b.kind === 'text'
          ? { ...b, text: spaced(b.text) }
          : b.kind === 'pair'
            ? { ...b, left: spaced(b.left), right: spaced(b.right) }
            : b;
      expect(bytes).toEqual(await encodeDocument(doc(...blocks.map(clean)), profile));
      const { decoder, events, counters } = decode(bytes);
      expect(counters.statusRequests).toBe(0);
      expect(decoder.drawerPulses).toEqual([]);
      expect(decoder.receipts).toEqual([]);
      expect(events.filter((e) => e.type === 'unknown' || e.type === 'warning')).toEqual([]);
      expect(decoder.pending.lines[0]?.text).toBe(spaced(`Lao${CONTROLS}Wang`).trimEnd());
    },
  );

  it('whatever the text, the decoder sees only text: no reset, cut, status request or drawer pulse', async () => {
    const unit = fc.constantFrom(...'ab 1￥老王面馆', ...CONTROLS, '\u0080', '\u009f', '\u001f');
    const profile = profileOf('epson-80');
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit, maxLength: 60 }),
        fc.string({ unit, maxLength: 20 }),
        async (text, right) => {
          const bytes = await encodeDocument(
            doc({ kind: 'text', text }, { kind: 'pair', left: text, right }),
            profile,
          );
          const { decoder, events, counters } = decode(bytes);
          expect(counters).toMatchObject({ statusRequests: 0, invalidCharacters: 0, codePageCharacters: 0 });
          expect(events).toEqual([]);
          expect(decoder.drawerPulses).toEqual([]);
          expect(decoder.inChineseMode).toBe(false);
          // One ESC @ only, the encoder's own at the start.
          expect(bytes.indexOf(Buffer.from([0x1b, 0x40]), 1)).toBe(-1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a missing CJK font is FONT_MISSING on a raster profile, even after the default font was loaded', async () => {
    const raster = profileOf('epson-80-raster');
    const chinese = doc({ kind: 'text', text: MERCHANT });
    // The default font draws it (and is now registered in the canvas library, process-wide) …
    await expect(encodeDocument(chinese, raster)).resolves.toBeInstanceOf(Buffer);
    // … which must not hide a font path that does not exist, or is no font.
    for (const fontPath of ['/nonexistent/NotoSansCJK-Regular.ttc', fileURLToPath(import.meta.url)]) {
      const err = await rejection(encodeDocument(chinese, raster, { fontPath }));
      expect(err.code).toBe('FONT_MISSING');
      expect(err.message).toContain('fonts-noto-cjk');
    }
    // ASCII and a QR need no font.
    const ascii = doc({ kind: 'text', text: 'Lao Wang' }, { kind: 'qr', data: QR_PAYLOAD });
    await expect(
      encodeDocument(ascii, raster, { fontPath: '/nonexistent/font.ttc' }),
    ).resolves.toBeInstanceOf(Buffer);
  });
});

describe('raster pictures never carry a real-time command', () => {
  /** Every index where the bytes hold DLE followed by EOT, ENQ or DC4. */
  const realTimePairs = (bytes: Uint8Array) =>
    [...bytes.keys()].filter((i) => bytes[i] === 0x10 && [0x04, 0x05, 0x14].includes(bytes[i + 1] as number));

  it('breaks a 10 04 n that the dots happen to spell, by one dot', () => {
    // One row whose dots are the bytes 10 04 01 10 14 08 10 05 00.
    const row = [0x10, 0x04, 0x01, 0x10, 0x14, 0x08, 0x10, 0x05, 0x00];
    const bitmap = {
      width: row.length * 8,
      height: 1,
      black: (x: number) => ((row[x >> 3] as number) & (0x80 >> (x & 7))) !== 0,
    };
    const bytes = rasterImage(bitmap);
    expect([...bytes.subarray(0, 8)]).toEqual([0x1d, 0x76, 0x30, 0x00, row.length, 0, 1, 0]);
    expect(realTimePairs(bytes)).toEqual([]);
    const data = [...bytes.subarray(8)];
    const changed = data.filter((b, i) => b !== row[i]).length;
    expect(changed).toBe(3);
  });

  it('in the Chinese lines of a receipt drawn as pictures (pairs found to spell one)', async () => {
    // Without the fix, each of these lines holds a DLE EOT/ENQ/DC4 pair in its dots on epson-80-raster.
    const doc: PrintDocument = {
      cut: true,
      blocks: [
        { kind: 'pair', left: '支付方式', right: 'sp-0000000000126704' },
        { kind: 'pair', left: '流水号', right: 'sp-0000000000197975' },
        { kind: 'pair', left: '终端', right: 'sp-0000000000498897' },
      ],
    };
    const bytes = await encodeDocument(doc, PROFILES['epson-80-raster'] as PrinterProfile);
    expect(realTimePairs(bytes)).toEqual([]);
  });
});
