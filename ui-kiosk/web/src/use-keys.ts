/**
 * Physical keys for a screen: one keydown listener on the document while the screen is shown. A
 * handler that returns true has used the key; its default action is then prevented, so an Enter
 * does not also press whichever button has the focus.
 *
 * The listener is attached as the screen is committed to the DOM (a layout effect), not after the
 * next paint (an effect): a key pressed the moment the screen appears (a fast cashier, a loaded
 * machine where paint comes late) is not lost between the two.
 */
import { useLayoutEffect, useRef } from 'preact/hooks';

export type KeyHandler = (event: KeyboardEvent) => boolean;

export function useKeys(handler: KeyHandler): void {
  const latest = useRef(handler);
  latest.current = handler;
  useLayoutEffect(() => {
    const listener = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) {
        return;
      }
      if (latest.current(event)) event.preventDefault();
    };
    document.addEventListener('keydown', listener);
    return () => document.removeEventListener('keydown', listener);
  }, []);
}

/** Whether the key was typed into a text field (which should keep it). */
export function inTextField(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  return target?.tagName === 'INPUT' || target?.tagName === 'TEXTAREA' || target?.isContentEditable === true;
}
