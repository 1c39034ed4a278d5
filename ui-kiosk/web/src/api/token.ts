/**
 * The per-boot token the host requires on every call. Electron's preload hands it to the page as
 * `window.suanpan.token`; in a browser, `suanpan start` prints a URL that carries it in the fragment
 * (`#token=...`), which never reaches a server log. Once read, the fragment is taken out of the
 * address bar, and the token kept in sessionStorage so a reload of this tab still works.
 */

declare global {
  interface Window {
    /** Set by ui-kiosk/electron's preload (contextBridge). */
    suanpan?: { token?: string; apiOrigin?: string };
  }
}

export const TOKEN_STORAGE_KEY = 'suanpan.token';

export interface TokenSources {
  preloadToken: string | undefined;
  /** `location.hash`, e.g. "#token=abc". */
  hash: string;
  stored: string | null;
}

/** The token from the preload, else the fragment, else this tab's earlier one. */
export function pickToken(sources: TokenSources): { token: string | null; fromFragment: boolean } {
  if (sources.preloadToken) return { token: sources.preloadToken, fromFragment: false };
  const fromHash = new URLSearchParams(sources.hash.replace(/^#/, '')).get('token');
  if (fromHash) return { token: fromHash, fromFragment: true };
  return { token: sources.stored || null, fromFragment: false };
}

/** Reads the token for this page and removes it from the address bar. */
export function takeToken(win: Window): string | null {
  let stored: string | null = null;
  try {
    stored = win.sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    // Storage disabled (a locked-down kiosk profile): the fragment or the preload must do.
  }
  const { token, fromFragment } = pickToken({
    preloadToken: win.suanpan?.token,
    hash: win.location.hash,
    stored,
  });
  if (fromFragment && token) {
    win.history.replaceState(win.history.state, '', win.location.pathname + win.location.search);
    try {
      win.sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
    } catch {
      // See above.
    }
  }
  return token;
}
