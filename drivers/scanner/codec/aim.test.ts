import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAimPrefix, symbologyOf } from './aim.ts';

describe('AIM symbology identifiers', () => {
  it.each([
    [']Q1', 'qr'],
    [']Q3', 'gs1-qr'],
    [']E0', 'ean-13'],
    [']E4', 'ean-8'],
    [']C0', 'code-128'],
    [']C1', 'gs1-128'],
    [']d1', 'data-matrix'],
    [']d2', 'gs1-data-matrix'],
    [']A0', 'code-39'],
    [']I0', 'itf'],
    [']L2', 'pdf417'],
    [']X0', 'unknown'],
    [']Q', 'unknown'],
    ['Q1]', 'unknown'],
  ])('%s is %s', (id, symbology) => {
    expect(symbologyOf(id)).toBe(symbology);
  });

  it('splits a known prefix off and leaves other data whole', () => {
    const split = splitAimPrefix(Buffer.from(']E06901234567892'));
    expect(split.symbology).toBe('ean-13');
    expect(Buffer.from(split.data).toString()).toBe('6901234567892');
    expect(Buffer.from(splitAimPrefix(Buffer.from(']X0abc')).data).toString()).toBe(']X0abc');
    expect(Buffer.from(splitAimPrefix(Buffer.from(']Q')).data).toString()).toBe(']Q');
  });
});

describe('AIM prefix property', () => {
  it('never throws, and the data is the input with at most a known three-byte prefix taken off', () => {
    fc.assert(
      // `size: 'max'`: fast-check's default size keeps arrays to about 10 items.
      fc.property(fc.uint8Array({ maxLength: 300, size: 'max' }), (bytes) => {
        const { symbology, data } = splitAimPrefix(bytes);
        const cut = bytes.length - data.length;
        expect(cut === 0 || (cut === 3 && symbology !== 'unknown')).toBe(true);
        expect(Buffer.from(data).equals(Buffer.from(bytes.subarray(cut)))).toBe(true);
      }),
    );
  });
});
