import { describe, expect, it } from 'vitest';
import { retriedAtOnce } from './sync.ts';

describe('suanpan sync: what it tries again at once', () => {
  it('an answer lost on the way (a timeout, a broken connection, a duplicated request), and nothing the core refused', () => {
    for (const code of ['CORE_TIMEOUT', 'CORE_CONNECTION_LOST', 'REPLAYED_REQUEST'])
      expect(retriedAtOnce(code)).toBe(true);
    // Out of reach, or refused: the next sync (or the background loop, after a pause) goes again.
    for (const code of ['CORE_UNREACHABLE', 'TERMINAL_REVOKED', 'JOURNAL_DIVERGED', 'DISK_FULL', undefined])
      expect(retriedAtOnce(code)).toBe(false);
  });
});
