/**
 * The kiosk's side of a keyboard-wedge scanner the operating system owns: its keystrokes arrive as
 * key events in the window, like a person's. Each keydown goes through the {@link WedgeDetector}
 * (drivers/scanner/codec/wedge-detector.ts: pure, free of Node and the DOM, so the kiosk can run it;
 * only the kiosk does, the host never sees these keys and gets each scan told from typing through
 * `POST /api/scan`), and this glue says what to do with the event, as plain data (use-wedge.ts does
 * it to the DOM):
 *
 * - `hold`: stop the event, its key is held back (a burst that may be a scan) or ended a scan;
 * - `release`: keys held back earlier that turn out to be a person's typing, to be applied now, in
 *   order, before this event's own key (each a single character);
 * - `scan`: a scan told from typing, for the host (`POST /api/scan`), typed into nothing.
 *
 * A key the detector doesn't hold (Enter, Backspace, Escape, Tab...) keeps its usual effect: the
 * event passes, after what was held back has been released. Modifier keys alone (a scanner presses
 * Shift for capitals and `:`) are not fed to the detector, so they don't break a burst; nor is a
 * space while nothing is held (it presses the focused button, as ever); a key with Control, Alt or
 * Meta, an auto-repeat or an IME composition is a person's, and releases the burst.
 */
import { DEFAULT_MAX_GAP_MS, WedgeDetector } from '../../../../drivers/scanner/codec/wedge-detector.ts';

/** One keydown as the glue reads it. */
export interface KeyPress {
  /** `KeyboardEvent.key`. */
  key: string;
  /** When it was pressed, in ms (`event.timeStamp`, on the clock of `performance.now()`). */
  at: number;
  /** No Control, Alt or Meta, not an auto-repeat, not part of an IME composition. */
  plain: boolean;
}

export interface KeyRoute {
  /** Stop the event (no default action, no other listener). */
  hold: boolean;
  /** Held-back keys that were typing: apply them now, before this key. */
  release: string[];
  /** A whole scan, without its Enter. */
  scan: string | null;
}

/** How long after the last held key the idle check runs: just past the detector's gap. */
export const IDLE_CHECK_MS = DEFAULT_MAX_GAP_MS + 5;

/** `KeyboardEvent.key` values of keys that only modify others. */
const MODIFIERS: ReadonlySet<string> = new Set([
  'Shift',
  'Control',
  'Alt',
  'AltGraph',
  'Meta',
  'OS',
  'Super',
  'Hyper',
  'Fn',
  'FnLock',
  'CapsLock',
  'NumLock',
  'ScrollLock',
  'Symbol',
  'SymbolLock',
]);

export class WedgeKeys {
  private readonly detector: WedgeDetector;
  private held = false;

  constructor(detector: WedgeDetector = new WedgeDetector()) {
    this.detector = detector;
  }

  /** Whether keys are held back (the idle check is then due). */
  get holding(): boolean {
    return this.held;
  }

  keydown(press: KeyPress): KeyRoute {
    if (MODIFIERS.has(press.key)) return { hold: false, release: [], scan: null };
    if (!press.plain) return { hold: false, release: this.release(), scan: null };
    // A space that starts nothing presses the focused button; no code begins with one.
    if (press.key === ' ' && !this.held) return { hold: false, release: [], scan: null };
    const verdict = this.detector.key(press.key, press.at);
    switch (verdict.kind) {
      case 'pending':
        this.held = true;
        return { hold: true, release: [], scan: null };
      case 'scan':
        this.held = false;
        return { hold: true, release: [], scan: verdict.data };
      case 'typing': {
        // A key the detector never holds comes back last in its verdict: the event carries it.
        const passes = press.key.length !== 1 && verdict.keys.at(-1) === press.key;
        if (passes) {
          this.held = false;
          return { hold: false, release: verdict.keys.slice(0, -1), scan: null };
        }
        // A character after a pause: what came before was typed, this one starts a new burst.
        this.held = press.key.length === 1;
        return { hold: true, release: verdict.keys, scan: null };
      }
    }
  }

  /** Held keys whose burst has gone quiet by `at`: a person's, to apply now. */
  idle(at: number): string[] {
    const keys = this.detector.idle(at);
    if (keys.length > 0) this.held = false;
    return keys;
  }

  /**
   * Everything held back, now (a touch on the screen, the screen going away): no scan is finished
   * by anything but its Enter, so what is held is a person's.
   */
  release(): string[] {
    this.held = false;
    return this.detector.idle(Number.POSITIVE_INFINITY);
  }
}

/** A text field's editable state, as `HTMLInputElement` has it. */
export interface TextFieldState {
  value: string;
  selectionStart: number | null;
  selectionEnd: number | null;
  /** -1 when unlimited. */
  maxLength: number;
}

/**
 * The field after `text` is typed into it as the browser would: over the selection (at the caret),
 * within `maxLength`. `inserted` is what went in (less than `text` when the field is full).
 */
export function typeIntoField(
  field: TextFieldState,
  text: string,
): { value: string; caret: number; inserted: string } {
  const start = Math.min(field.selectionStart ?? field.value.length, field.value.length);
  const end = Math.max(start, Math.min(field.selectionEnd ?? start, field.value.length));
  const kept = field.value.length - (end - start);
  const room = field.maxLength >= 0 ? Math.max(0, field.maxLength - kept) : text.length;
  const inserted = text.slice(0, room);
  return {
    value: field.value.slice(0, start) + inserted + field.value.slice(end),
    caret: start + inserted.length,
    inserted,
  };
}
