import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeWithSplitPoints } from '../../../test-hardware/scanner-sim/arbitraries.ts';
import { hidPosReports } from '../../../test-hardware/scanner-sim/hid-reports.ts';
import { HID_POS_DATA_MAX, HidPosReassembler } from './hid-pos.ts';

/** A 64-byte HID POS report in the layout hid-pos.ts documents, written out by hand. */
function report(data: string, options: { more?: boolean; aim?: string; id?: number; length?: number } = {}) {
  const r = Buffer.alloc(64);
  r[0] = options.id ?? 0x02;
  r[1] = options.length ?? data.length;
  r.write(options.aim ?? ']Q1', 2, 'latin1');
  r.write(data, 5, 'latin1');
  r[63] = options.more ? 0x01 : 0x00;
  return r;
}

const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('latin1') : undefined);

describe('HID POS reports', () => {
  it('reads a code in one report with its symbology', () => {
    const r = new HidPosReassembler();
    const scan = r.push(report('281234567890123456'));
    expect(text(scan?.data)).toBe('281234567890123456');
    expect(scan?.aim).toBe(']Q1');
    expect(scan?.symbology).toBe('qr');
  });

  it('joins a code that spans three reports', () => {
    const code = 'WIFI:T:WPA;S:Shop 12;P:'.padEnd(130, 'x');
    const r = new HidPosReassembler();
    expect(r.push(report(code.slice(0, 56), { more: true }))).toBeUndefined();
    expect(r.push(report(code.slice(56, 112), { more: true }))).toBeUndefined();
    expect(text(r.push(report(code.slice(112)))?.data)).toBe(code);
  });

  it('joins a code split where reports are not full (1, 4, 4, 8 and 1 bytes)', () => {
    const r = new HidPosReassembler();
    const parts = ['2', '8123', '4567', '89012345'];
    for (const part of parts) expect(r.push(report(part, { more: true }))).toBeUndefined();
    expect(text(r.push(report('6'))?.data)).toBe('281234567890123456');
  });

  it('drops noise reports and recovers on the next code', () => {
    const r = new HidPosReassembler();
    expect(r.push(Buffer.from([0x01, 0x00, 0x05]))).toBeUndefined(); // too short, another report ID
    expect(r.push(report('abc', { length: 57 }))).toBeUndefined(); // impossible length
    expect(r.push(report('abc', { id: 0x04 }))).toBeUndefined(); // another report
    expect(text(r.push(report('6901234567892', { aim: ']E0' }))?.data)).toBe('6901234567892');
    expect(r.dropped).toBeGreaterThan(0);
  });

  it('drops a code interrupted by noise, the rest of it too, and reads the next code', () => {
    const r = new HidPosReassembler();
    r.push(report('2812345678', { more: true }));
    r.push(Buffer.alloc(64, 0xff));
    // The rest of '281234567890123456': not a code of its own.
    expect(r.push(report('90123456'))).toBeUndefined();
    expect(text(r.push(report('134567890123456789'))?.data)).toBe('134567890123456789');
    // Its rest never came, and a code of another symbology starts: that one is read.
    r.push(report('2812345678', { more: true }));
    r.push(report('noise', { id: 0x04 }));
    expect(text(r.push(report('6901234567892', { aim: ']E0' }))?.data)).toBe('6901234567892');
  });

  it('drops a code whose continuation never came when another symbology starts', () => {
    const r = new HidPosReassembler();
    r.push(report('first-part', { more: true, aim: ']C0' }));
    expect(text(r.push(report('6901234567892', { aim: ']E0' }))?.data)).toBe('6901234567892');
  });

  it('drops a run of "more data" reports past the size limit', () => {
    const r = new HidPosReassembler({ maxBytes: 100 });
    expect(r.push(report('x'.repeat(56), { more: true }))).toBeUndefined();
    expect(r.push(report('x'.repeat(56), { more: true }))).toBeUndefined();
    expect(r.push(report('x'.repeat(56), { more: true }))).toBeUndefined();
    expect(r.push(report('end'))).toBeUndefined(); // the last part of the dropped code
    expect(r.push(report('next'))?.data).toEqual(Buffer.from('next'));
  });

  it('never throws, and emits exactly the codes sent that noise did not cut (property)', () => {
    /** The reports of one code, in the layout above. */
    const reportsOf = (code: Uint8Array) => {
      const out: Buffer[] = [];
      for (let i = 0; i < code.length; i += HID_POS_DATA_MAX) {
        const part = Buffer.from(code.subarray(i, i + HID_POS_DATA_MAX)).toString('latin1');
        out.push(report(part, { more: i + HID_POS_DATA_MAX < code.length }));
      }
      return out;
    };
    // Noise that cannot be a valid report: another report ID, or a length byte over 56.
    const noise = fc.oneof(
      fc.uint8Array({ maxLength: 70, size: 'max' }).filter((x) => x[0] !== 0x02),
      fc
        .uint8Array({ minLength: 64, maxLength: 64 })
        .map((x) => Buffer.from([0x02, 57 + ((x[1] ?? 0) % 199), ...x.subarray(2)])),
    );
    const item = fc.record({
      code: fc.uint8Array({ minLength: 1, maxLength: 200, size: 'max' }),
      noiseAt: fc.option(fc.tuple(fc.nat(5), noise), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 8 }), (items) => {
        const r = new HidPosReassembler();
        const emitted: string[] = [];
        const whole: string[] = [];
        for (const { code, noiseAt } of items) {
          const reports = reportsOf(code);
          if (noiseAt) reports.splice(Math.min(noiseAt[0], reports.length), 0, Buffer.from(noiseAt[1]));
          if (!noiseAt || noiseAt[0] === 0 || noiseAt[0] >= reports.length - 1)
            whole.push(Buffer.from(code).toString('latin1'));
          for (const x of reports) {
            const scan = r.push(x);
            if (scan) emitted.push(Buffer.from(scan.data).toString('latin1'));
          }
        }
        const sent = items.map((i) => Buffer.from(i.code).toString('latin1'));
        for (const e of emitted) expect(sent).toContain(e);
        for (const w of whole) expect(emitted).toContain(w);
      }),
    );
  });

  it('a code split over reports comes out whole for any split (property)', () => {
    // Split points anywhere in the code (the generator also cuts every 56 bytes within a part).
    const codeAndSplits = codeWithSplitPoints({ minLength: 1, maxLength: 500, maxSplits: 40 });
    fc.assert(
      fc.property(codeAndSplits, ([data, splitAt]) => {
        const r = new HidPosReassembler();
        const reports = hidPosReports(data, { splitAt });
        expect(reports.length).toBeGreaterThanOrEqual(splitAt.length + 1);
        const out = reports.map((x) => r.push(x));
        // Nothing before the last report, then the code whole.
        expect(out.slice(0, -1).every((scan) => scan === undefined)).toBe(true);
        expect(out.at(-1)?.data).toEqual(Buffer.from(data));
      }),
    );
  });
});
