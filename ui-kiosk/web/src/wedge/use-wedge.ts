/**
 * A keyboard-wedge scanner on a screen that takes scans (the amount keypad, the wait for the
 * customer's code): every keydown in the window goes through {@link WedgeKeys} first (a listener on
 * the window in the capture phase, before the screen's own keys and before the focused field).
 * A scan goes to `onScan` and is typed nowhere; keys held back that turn out to be a person's are
 * applied as the keyboard would have: into the focused text field at its caret, else to the
 * screen's `onTyped` (the keypad's own key handling). A timer releases a person's keys once the
 * burst has gone quiet for the detector's gap, and a touch or a click releases them first, so a
 * tap on Charge never charges without the digit just typed.
 *
 * A key the detector doesn't hold (Enter, Backspace...) passes on to the screen after the release.
 * The screen then sees what was released: the events are the browser's own, so microtasks (and with
 * them Preact's render of the released keys) run between this listener and the next.
 */
import { useLayoutEffect, useRef } from 'preact/hooks';
import { IDLE_CHECK_MS, typeIntoField, WedgeKeys } from './wedge-keys.ts';

export interface WedgeHandlers {
  /** A scan told from typing (without its Enter). */
  onScan: (data: string) => void;
  /** A person's key, held back and now released, when no text field has the focus. */
  onTyped?: (key: string) => void;
}

function focusedTextField(): HTMLInputElement | HTMLTextAreaElement | null {
  const element = document.activeElement;
  if (element instanceof HTMLTextAreaElement) return element;
  if (element instanceof HTMLInputElement && element.selectionStart !== null) return element;
  return null;
}

function typeInto(field: HTMLInputElement | HTMLTextAreaElement, key: string): void {
  if (field.readOnly || field.disabled) return;
  const typed = typeIntoField(field, key);
  if (typed.inserted === '') return;
  field.value = typed.value;
  field.setSelectionRange(typed.caret, typed.caret);
  field.dispatchEvent(
    new InputEvent('input', { bubbles: true, inputType: 'insertText', data: typed.inserted }),
  );
}

export function useWedge(active: boolean, handlers: WedgeHandlers): void {
  const latest = useRef(handlers);
  latest.current = handlers;

  // Attached as the screen is committed, not after its paint: a scan starting as the screen
  // appears is not half-typed into it (see use-keys.ts).
  useLayoutEffect(() => {
    if (!active) return;
    const keys = new WedgeKeys();
    let timer: ReturnType<typeof setTimeout> | undefined;

    const apply = (released: readonly string[]) => {
      for (const key of released) {
        const field = key.length === 1 ? focusedTextField() : null;
        if (field) typeInto(field, key);
        else latest.current.onTyped?.(key);
      }
    };
    const rearm = () => {
      clearTimeout(timer);
      timer = keys.holding ? setTimeout(onIdle, IDLE_CHECK_MS) : undefined;
    };
    const onIdle = () => {
      apply(keys.idle(performance.now()));
      rearm();
    };
    const onKeyDown = (event: KeyboardEvent) => {
      const route = keys.keydown({
        key: event.key,
        at: event.timeStamp > 0 ? event.timeStamp : performance.now(),
        plain: !(event.ctrlKey || event.altKey || event.metaKey || event.isComposing || event.repeat),
      });
      if (route.hold) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
      apply(route.release);
      if (route.scan !== null) latest.current.onScan(route.scan);
      rearm();
    };
    const onPointerDown = () => {
      apply(keys.release());
      rearm();
    };

    window.addEventListener('keydown', onKeyDown, true);
    window.addEventListener('pointerdown', onPointerDown, true);
    return () => {
      window.removeEventListener('keydown', onKeyDown, true);
      window.removeEventListener('pointerdown', onPointerDown, true);
      clearTimeout(timer);
      // Keys a person typed just before the screen changed: where they were going.
      apply(keys.release());
    };
  }, [active]);
}
