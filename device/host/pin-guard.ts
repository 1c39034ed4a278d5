/**
 * The kiosk's PINs: the supervisor's (void, refund) and the technician's (the technician screens),
 * both from the settings (`kiosk.supervisorPin`, `kiosk.technicianPin`; null disables the action on
 * the kiosk). A PIN is compared in time independent of where it differs (`tokenMatches`: SHA-256
 * digests of equal length through `crypto.timingSafeEqual`).
 *
 * Guessing is bounded per kind of PIN, in memory: after {@link PIN_ATTEMPTS} wrong PINs in a row the
 * PIN is locked for {@link PIN_LOCK_S} seconds. The fifth wrong PIN is itself answered 423; while
 * locked every try is 423 and is not counted, the right PIN too (else the lock would only slow a
 * guesser who already has it); a right PIN resets the count. A restart of the host forgets the
 * count: restarting it takes someone at the box, where the `suanpan` CLI is open to them anyway.
 */
import type { Logger } from 'pino';
import { PIN_ATTEMPTS, PIN_LOCK_S } from './api-schema.ts';
import { ApiProblem, type Locale, pinLockedText, wrongPinText } from './errors.ts';
import { tokenMatches } from './security.ts';

export type PinKind = 'supervisor' | 'technician';

export interface PinGuardOptions {
  /** The PINs in force (read at each check, so a restart of the terminal services picks up new ones). */
  pins: () => Record<PinKind, string | null>;
  locale: () => Locale;
  /** Milliseconds on a monotonic-enough clock; tests pass their own. */
  now: () => number;
  log: Logger;
}

interface Tally {
  wrongInARow: number;
  lockedUntil: number | null;
}

export class PinGuard {
  private readonly tallies: Record<PinKind, Tally> = {
    supervisor: { wrongInARow: 0, lockedUntil: null },
    technician: { wrongInARow: 0, lockedUntil: null },
  };

  constructor(private readonly options: PinGuardOptions) {}

  /**
   * Returns if `pin` is the `kind` PIN; else throws ApiProblem: 403 PIN_NOT_SET, 403 WRONG_PIN with
   * `attemptsLeft`, or 423 PIN_LOCKED with `retryAfterS`.
   */
  check(kind: PinKind, pin: string): void {
    const { log } = this.options;
    const locale = this.options.locale();
    const expected = this.options.pins()[kind];
    if (expected === null)
      throw ApiProblem.of(403, 'PIN_NOT_SET', locale, { detail: `no ${kind} PIN is set` });
    const tally = this.tallies[kind];
    const now = this.options.now();
    if (tally.lockedUntil !== null) {
      if (now < tally.lockedUntil) throw locked(Math.ceil((tally.lockedUntil - now) / 1000), locale);
      tally.lockedUntil = null;
      tally.wrongInARow = 0;
    }
    if (tokenMatches(expected, pin)) {
      tally.wrongInARow = 0;
      return;
    }
    tally.wrongInARow += 1;
    if (tally.wrongInARow >= PIN_ATTEMPTS) {
      tally.wrongInARow = 0;
      tally.lockedUntil = now + PIN_LOCK_S * 1000;
      log.warn({ kind, lockS: PIN_LOCK_S }, 'PIN locked after too many wrong tries');
      throw locked(PIN_LOCK_S, locale);
    }
    const attemptsLeft = PIN_ATTEMPTS - tally.wrongInARow;
    log.warn({ kind, attemptsLeft }, 'wrong PIN');
    throw new ApiProblem(403, 'WRONG_PIN', wrongPinText(attemptsLeft, locale), { attemptsLeft });
  }
}

function locked(retryAfterS: number, locale: Locale): ApiProblem {
  return new ApiProblem(423, 'PIN_LOCKED', pinLockedText(retryAfterS, locale), { retryAfterS });
}
