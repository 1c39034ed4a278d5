/**
 * hmacSha256 gives the same bytes as Node's createHmac for every key and message length, across the
 * block boundaries where its own path ends and createHmac takes over, and for a string as for its
 * UTF-8 bytes; calls in a row don't leak one message into the next.
 */
import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacSha256 } from './hmac.ts';

const reference = (key: Buffer, message: Buffer | string) =>
  crypto.createHmac('sha256', key).update(message).digest();

describe('hmacSha256', () => {
  it('equals createHmac for keys and messages of every length up to two blocks and a half', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 160 }),
        fc.array(fc.uint8Array({ maxLength: 160 }), { minLength: 1, maxLength: 5 }),
        (key, messages) => {
          const mac = hmacSha256(Buffer.from(key));
          for (const m of messages) {
            expect(mac(Buffer.from(m)).toString('hex')).toBe(
              reference(Buffer.from(key), Buffer.from(m)).toString('hex'),
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('MACs a string as its UTF-8 bytes, digits and CJK alike', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.string({ unit: 'grapheme', maxLength: 40 })),
        (key, texts) => {
          const mac = hmacSha256(Buffer.from(key));
          for (const t of texts) {
            expect(mac(t).equals(reference(Buffer.from(key), t))).toBe(true);
            expect(mac(t).equals(mac(Buffer.from(t, 'utf8')))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches at the edges: empty, one block exactly, one byte over, and a longer message after a short one', () => {
    const key = crypto.randomBytes(32);
    const mac = hmacSha256(key);
    for (const n of [0, 1, 32, 33, 63, 64, 65, 128]) {
      const m = crypto.randomBytes(n);
      expect(mac(m).equals(reference(key, m)), `length ${n}`).toBe(true);
    }
    // A whole block of message, then a one-byte one: the one byte alone is hashed.
    mac(Buffer.alloc(64, 0xff));
    expect(mac(Buffer.from([1])).equals(reference(key, Buffer.from([1])))).toBe(true);
    expect(mac('28'.padEnd(18, '7')).equals(reference(key, '28'.padEnd(18, '7')))).toBe(true);
  });
});
