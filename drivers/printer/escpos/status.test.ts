import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DLE_EOT,
  interpretStarStatus,
  interpretStatus,
  isStarStatusByte,
  isStatusByte,
  type PrinterStatus,
  STAR_INQUIRY,
  StatusDecoder,
} from './status.ts';

/** What a printer reporting nothing wrong comes out as, before `raw`. */
const FINE: Omit<PrinterStatus, 'raw'> = {
  online: true,
  coverOpen: false,
  paperOut: false,
  paperNearEnd: false,
  drawerOpen: false,
  error: false,
};
const HEALTHY = { 1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12 } as const;
const flags = ({ raw: _raw, ...rest }: PrinterStatus) => rest;

describe('DLE EOT status', () => {
  it('asks with 10 04 n', () => {
    expect([...DLE_EOT(1)]).toEqual([0x10, 0x04, 0x01]);
    expect([...DLE_EOT(4)]).toEqual([0x10, 0x04, 0x04]);
  });

  it('a healthy printer answers 0x12 to everything', () => {
    expect(interpretStatus({ 1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12 })).toMatchObject({
      online: true,
      coverOpen: false,
      paperOut: false,
      paperNearEnd: false,
      drawerOpen: false,
      error: false,
    });
  });

  it.each([
    ['n=1 bit 2: drawer pin 3 high', { 1: 0x16 }, { drawerOpen: true, online: true }],
    ['n=1 bit 3: offline', { 1: 0x1a }, { online: false }],
    ['n=2 bit 2: cover open', { 2: 0x16 }, { coverOpen: true }],
    ['n=2 bit 5: stopped by paper end', { 2: 0x32 }, { paperOut: true }],
    ['n=2 bit 6: error', { 2: 0x52 }, { error: true }],
    ['n=3 bit 3: cutter error', { 3: 0x1a }, { error: true }],
    ['n=3 bit 5: unrecoverable', { 3: 0x32 }, { error: true }],
    ['n=4 bits 2+3: near end', { 4: 0x1e }, { paperNearEnd: true, paperOut: false }],
    ['n=4 bits 5+6: paper end', { 4: 0x72 }, { paperOut: true }],
    ['n=4 bit 2 alone is not near end', { 4: 0x16 }, { paperNearEnd: false }],
  ])('%s', (_name, answers, expected) => {
    const healthy = { 1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12 };
    expect(interpretStatus({ ...healthy, ...answers })).toMatchObject(expected);
  });

  it('tells answers from noise by their fixed bits (1 and 4 set, 0 and 7 clear)', () => {
    expect(isStatusByte(0x12)).toBe(true);
    expect(isStatusByte(0x7e)).toBe(true);
    for (const b of [0x00, 0x10, 0x02, 0x13, 0x92, 0xff, 0x41]) expect(isStatusByte(b)).toBe(false);
  });

  it('picks answers out of split reads and noise, in order', () => {
    const d = new StatusDecoder();
    expect(d.push(Buffer.from([0x00, 0xff]))).toEqual([]);
    expect(d.push(Buffer.from([0x12]))).toEqual([0x12]);
    expect(d.push(Buffer.from([0x41, 0x16, 0x0d, 0x0a, 0x72]))).toEqual([0x16, 0x72]);
    expect(d.skipped).toBe(5);
  });

  it('never throws and returns only status-shaped bytes, whatever arrives', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const d = new StatusDecoder();
        let total = 0;
        for (const c of chunks) {
          const out = d.push(c);
          expect(out.every(isStatusByte)).toBe(true);
          total += out.length + 0;
        }
        expect(total + d.skipped).toBe(chunks.reduce((a, c) => a + c.length, 0));
        const s = interpretStatus({ 1: chunks[0]?.[0], 2: chunks[0]?.[1] });
        expect(typeof s.online).toBe('boolean');
      }),
    );
  });
});

describe('DLE EOT, bit by bit', () => {
  // Every bit that is not fixed (1 and 4), with exactly what it changes from a healthy status.
  // Bits with no change are ones the driver does not act on (FIELD-NOTES, Epson DLE EOT).
  it.each([
    [1, 0, {}],
    [1, 2, { drawerOpen: true }],
    [1, 3, { online: false }],
    [1, 5, {}], // waiting for online recovery
    [1, 6, {}], // feed button pressed
    [1, 7, {}],
    [2, 0, {}],
    [2, 2, { coverOpen: true }],
    [2, 3, {}], // paper being fed by the feed button
    [2, 5, { paperOut: true }],
    [2, 6, { error: true }],
    [2, 7, {}],
    [3, 0, {}],
    [3, 2, {}],
    [3, 3, { error: true }], // autocutter error
    [3, 5, { error: true }], // unrecoverable error
    [3, 6, {}], // auto-recoverable: the printer recovers by itself
    [3, 7, {}],
    [4, 0, {}],
    [4, 2, {}], // near end takes bits 2 and 3
    [4, 3, {}],
    [4, 5, {}], // paper end takes bits 5 and 6
    [4, 6, {}],
    [4, 7, {}],
  ] as const)('DLE EOT %i, bit %i', (n, bitNo, change) => {
    const answer = 0x12 | (1 << bitNo);
    const status = interpretStatus({ ...HEALTHY, [n]: answer });
    expect(flags(status)).toEqual({ ...FINE, ...change });
    expect(status.raw).toEqual({ ...HEALTHY, [n]: answer });
  });

  it.each([
    ['healthy', HEALTHY, {}],
    // An Epson TM with no paper: offline, stopped by paper end, both roll sensors.
    [
      'no paper',
      { 1: 0x1a, 2: 0x32, 3: 0x12, 4: 0x7e },
      { online: false, paperOut: true, paperNearEnd: true },
    ],
    ['cover open', { 1: 0x1a, 2: 0x16, 3: 0x52, 4: 0x12 }, { online: false, coverOpen: true }],
    ['paper near end, still printing', { 1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1e }, { paperNearEnd: true }],
    ['cutter jammed', { 1: 0x1a, 2: 0x52, 3: 0x1a, 4: 0x12 }, { online: false, error: true }],
    [
      'drawer switch and offline',
      { 1: 0x1e, 2: 0x12, 3: 0x12, 4: 0x12 },
      { online: false, drawerOpen: true },
    ],
  ] as const)('whole answers: %s', (_name, answers, change) => {
    expect(flags(interpretStatus(answers))).toEqual({ ...FINE, ...change });
  });

  it('a missing answer reports nothing', () => {
    expect(flags(interpretStatus({}))).toEqual(FINE);
    expect(flags(interpretStatus({ 2: 0x32 }))).toEqual({ ...FINE, paperOut: true });
  });
});

describe('StatusDecoder over a stream', () => {
  it('one answer byte per chunk: each chunk gives its answer, in order', () => {
    const d = new StatusDecoder();
    expect([[0x12], [0x16], [0x32], [0x7e]].map((c) => d.push(Uint8Array.from(c)))).toEqual([
      [0x12],
      [0x16],
      [0x32],
      [0x7e],
    ]);
    expect(d.skipped).toBe(0);
  });

  it('noise between the answers (CR LF, NUL, an ASB-like 0x0f, 0xff) is skipped and counted', () => {
    const d = new StatusDecoder();
    const stream = [0x00, 0x12, 0x0d, 0x0a, 0x1a, 0xff, 0x0f, 0x32, 0x80, 0x7e, 0x13];
    expect(d.push(Uint8Array.from(stream))).toEqual([0x12, 0x1a, 0x32, 0x7e]);
    expect(d.skipped).toBe(7);
  });

  it('the same stream gives the same answers however it is split', () => {
    const stream = Uint8Array.from([0x41, 0x12, 0x00, 0x16, 0xff, 0x1e, 0x0a, 0x72]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new StatusDecoder();
      expect([...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))]).toEqual([
        0x12, 0x16, 0x1e, 0x72,
      ]);
      expect(d.skipped).toBe(4);
    }
  });

  it('an empty chunk gives nothing', () => {
    expect(new StatusDecoder().push(new Uint8Array())).toEqual([]);
  });
});

describe('Star Line Mode status (ENQ, EOT)', () => {
  it('asks with one byte each: ENQ 05, EOT 04', () => {
    expect([...STAR_INQUIRY.ENQ]).toEqual([0x05]);
    expect([...STAR_INQUIRY.EOT]).toEqual([0x04]);
  });

  it('tells each answer by its fixed bits: ENQ bit 4 clear; EOT bit 4 set and bit 0 clear', () => {
    for (const b of [0x00, 0x08, 0x04, 0x80, 0x8c, 0xef]) expect(isStarStatusByte('ENQ', b)).toBe(true);
    for (const b of [0x10, 0x18, 0xff]) expect(isStarStatusByte('ENQ', b)).toBe(false);
    for (const b of [0x10, 0x18, 0x14, 0x1c, 0xfe]) expect(isStarStatusByte('EOT', b)).toBe(true);
    for (const b of [0x00, 0x11, 0x08, 0x04, 0xff]) expect(isStarStatusByte('EOT', b)).toBe(false);
  });

  it.each([
    ['healthy', { ENQ: 0x00, EOT: 0x10 }, {}],
    ['ENQ bit 3: paper end', { ENQ: 0x08, EOT: 0x10 }, { online: false, paperOut: true }],
    ['EOT bit 3: paper end', { ENQ: 0x00, EOT: 0x18 }, { online: false, paperOut: true }],
    // Non-recoverable error or cover open: Star does not say which, so never `coverOpen`.
    ['ENQ bit 2: other error', { ENQ: 0x04, EOT: 0x10 }, { online: false, error: true }],
    ['ENQ bit 7: compulsion switch (drawer)', { ENQ: 0x80, EOT: 0x10 }, { drawerOpen: true }],
    ['EOT bit 2: paper near end (inner sensor)', { ENQ: 0x00, EOT: 0x14 }, { paperNearEnd: true }],
    [
      'out of paper, both sensors',
      { ENQ: 0x08, EOT: 0x1c },
      { online: false, paperOut: true, paperNearEnd: true },
    ],
    ['missing answers report nothing', {}, {}],
  ] as const)('%s', (_name, answers, change) => {
    const status = interpretStarStatus(answers);
    expect(flags(status)).toEqual({ ...FINE, ...change });
    expect(status.raw).toEqual(answers);
  });

  it('a decoder for one inquiry picks its answer out of split reads and noise', () => {
    const d = new StatusDecoder((b) => isStarStatusByte('EOT', b));
    expect(d.push(Uint8Array.from([0x00]))).toEqual([]);
    expect(d.push(Uint8Array.from([0x11, 0x18]))).toEqual([0x18]);
    expect(d.skipped).toBe(2);
  });
});

describe('never throws, whatever the bytes', () => {
  const answer = fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined });

  it('StatusDecoder.push, for either family, on any chunks', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          isStatusByte,
          (b: number) => isStarStatusByte('ENQ', b),
          (b: number) => isStarStatusByte('EOT', b),
        ),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
        (isAnswer, chunks) => {
          const d = new StatusDecoder(isAnswer);
          let answers = 0;
          for (const c of chunks) {
            const out = d.push(c);
            expect(out.every(isAnswer)).toBe(true);
            answers += out.length;
          }
          expect(answers + d.skipped).toBe(chunks.reduce((a, c) => a + c.length, 0));
        },
      ),
    );
  });

  it('interpretStatus and interpretStarStatus, on any answers or none', () => {
    fc.assert(
      fc.property(answer, answer, answer, answer, (a1, a2, a3, a4) => {
        const s = interpretStatus({ 1: a1, 2: a2, 3: a3, 4: a4 });
        const star = interpretStarStatus({ ENQ: a1, EOT: a2 });
        for (const status of [s, star]) {
          for (const v of Object.values(flags(status))) expect(typeof v).toBe('boolean');
        }
      }),
    );
  });
});
