/**
 * The PNG renderer: a receipt with Chinese text and a QR is drawn, read back as pixels, and an
 * independent QR decoder (jsQR) must find exactly the payload the bytes stored.
 */
import { createCanvas, loadImage } from '@napi-rs/canvas';
import jsqr from 'jsqr';
import { describe, expect, test } from 'vitest';
import { EscPosDecoder } from './escpos-decoder.ts';
import type { Receipt } from './receipt-model.ts';
import { renderReceiptPng } from './render.ts';
import {
  align,
  bold,
  bytes,
  CHINESE_ON,
  CUT_PARTIAL_FEED,
  gb18030,
  INIT,
  LF,
  qr,
  raster,
  size,
} from './test-bytes.ts';

// jsqr is CommonJS whose types declare only an ES default export: under NodeNext the default import is
// module.exports, and jsqr sets module.exports.default to the same function.
const jsQR = jsqr.default;

const PAYLOAD = 'https://pay.example.cn/r/8f3a?amt=12.50&merchant=茶馆';

function decodeOne(data: Uint8Array): Receipt {
  const decoder = new EscPosDecoder();
  decoder.push(data);
  const receipt = decoder.receipts[0];
  if (!receipt) throw new Error('no receipt decoded');
  return receipt;
}

async function pixels(png: Buffer) {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return ctx.getImageData(0, 0, image.width, image.height);
}

describe('renderReceiptPng', () => {
  test.each([384, 576] as const)(
    'Chinese text and a QR at %i dots: jsQR reads exactly the payload',
    async (widthDots) => {
      const receipt = decodeOne(
        bytes(
          INIT,
          CHINESE_ON,
          align(1),
          size(2, 2),
          bold(true),
          gb18030('老王茶馆'),
          LF,
          size(1, 1),
          bold(false),
          align(0),
          gb18030('龙井 x1        ￥38.00'),
          LF,
          gb18030('合计           ￥38.00 很长的一行会在纸宽处折行继续打印'),
          LF,
          align(1),
          qr(PAYLOAD, { moduleSize: 4, level: 49 }),
          CUT_PARTIAL_FEED,
        ),
      );
      const png = renderReceiptPng(receipt, { widthDots });
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      const image = await pixels(png);
      expect(image.width).toBe(widthDots);
      const found = jsQR(image.data, image.width, image.height);
      expect(found?.data).toBe(PAYLOAD);
      // Text was drawn: dark pixels above the QR.
      const qrTop = found?.location.topLeftCorner.y ?? 0;
      let dark = 0;
      for (let i = 0; i < image.width * Math.floor(qrTop - 20) * 4; i += 4)
        if ((image.data[i] ?? 255) < 128) dark++;
      expect(dark).toBeGreaterThan(500);
    },
  );

  test('raster images are drawn dot for dot', async () => {
    const receipt = decodeOne(bytes(INIT, raster(1, [[0b1000_0001], [0b0100_0000]]), [0x1d, 0x56, 0]));
    const image = await pixels(renderReceiptPng(receipt, { widthDots: 384 }));
    const at = (x: number, y: number) => image.data[(y * image.width + x) * 4];
    // The image starts at the left margin below the 12-dot top margin.
    expect([at(0, 12), at(1, 12), at(7, 12), at(0, 13), at(1, 13)]).toEqual([0, 255, 0, 255, 0]);
  });

  test('a missing font is FONT_MISSING, naming the Debian package', () => {
    const receipt = decodeOne(bytes(INIT, 'x', LF, [0x1d, 0x56, 0]));
    expect(() => renderReceiptPng(receipt, { widthDots: 384, fontPath: '/nonexistent/font.ttc' })).toThrow(
      /fonts-noto-cjk/,
    );
    try {
      renderReceiptPng(receipt, { widthDots: 384, fontPath: '/nonexistent/font.ttc' });
    } catch (err) {
      expect(err).toMatchObject({ code: 'FONT_MISSING' });
    }
  });
});
