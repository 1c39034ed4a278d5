/**
 * The renderer's copies of values the host's schema holds only at run time (a regex, not a type):
 * what the PIN pad lets through is what the host's WithPin accepts.
 */
import { describe, expect, test } from 'vitest';
import { WithPin } from '../../../device/host/api-schema.ts';
import { PIN_MAX_DIGITS, PIN_MIN_DIGITS } from '../src/api/contract.ts';

describe("the renderer's view of the local API, at run time", () => {
  test('the PIN pad takes PINs of the lengths the host accepts, and no others', () => {
    const pin = (digits: number) => ({ pin: '7'.repeat(digits) });
    expect(WithPin.safeParse(pin(PIN_MIN_DIGITS)).success).toBe(true);
    expect(WithPin.safeParse(pin(PIN_MAX_DIGITS)).success).toBe(true);
    expect(WithPin.safeParse(pin(PIN_MIN_DIGITS - 1)).success).toBe(false);
    expect(WithPin.safeParse(pin(PIN_MAX_DIGITS + 1)).success).toBe(false);
  });
});
