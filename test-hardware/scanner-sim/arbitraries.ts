/**
 * fast-check arbitraries shared by the tests of the HID POS simulator and of the reassembler it feeds.
 * Test support only: nothing outside tests imports this.
 */
import fc from 'fast-check';

/**
 * A code and the offsets to split it at, ascending and inside the code (none for a code under two
 * bytes): what `hidPosReports(code, { splitAt })` takes. `size: 'max'`: fast-check's default size
 * keeps arrays to about 10 items, one report's worth.
 */
export function codeWithSplitPoints(options: {
  minLength?: number;
  maxLength: number;
  maxSplits: number;
}): fc.Arbitrary<[Uint8Array, number[]]> {
  return fc
    .uint8Array({ minLength: options.minLength ?? 0, maxLength: options.maxLength, size: 'max' })
    .chain((code) =>
      fc.tuple(
        fc.constant(code),
        code.length < 2
          ? fc.constant([] as number[])
          : fc
              .uniqueArray(fc.integer({ min: 1, max: code.length - 1 }), {
                maxLength: options.maxSplits,
                size: 'max',
              })
              .map((points) => points.sort((a, b) => a - b)),
      ),
    );
}
