/**
 * Activation cards: a QR the operator prints to bind a terminal to a merchant at a core,
 * `suanpan://activate?core=<URL-encoded core URL>&code=<activation code>`. Scanning one gives the
 * same two facts `suanpan activate --core URL --code CODE` takes.
 */
import type { ActivationCard } from './scan-event.ts';

export type ActivationCardResult = { ok: true; activation: ActivationCard } | { ok: false; reason: string };

/**
 * The core's activation-code alphabet, copied from `ACTIVATION_ALPHABET` in sync/core/service.ts
 * (createActivationCode), which the terminal may not import: the core shares only sync/protocol.
 * It leaves out 0, 1, I, L, O and U, so codes survive being read aloud and retyped.
 */
export const ACTIVATION_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_FORM = new RegExp(`^[${ACTIVATION_CODE_ALPHABET}]{4}(-[${ACTIVATION_CODE_ALPHABET}]{4}){2}$`);
const SCHEME = 'suanpan://';

/**
 * Parses an activation card. Rules:
 * - `suanpan://activate?` then exactly the query parameters `core` and `code`, each once, in any
 *   order; scheme and host are case-insensitive (RFC 3986), a `/` after the host is allowed;
 *   no fragment, no whitespace, no other parameter; values are percent-decoded strictly
 *   (a malformed `%` escape is refused, `+` stays `+`).
 * - core: an absolute http or https URL with no user name, password, query or fragment; returned
 *   as the URL parser serialises it, without a trailing `/` (as `suanpan activate` stores it).
 * - code: the core's form XXXX-XXXX-XXXX over {@link ACTIVATION_CODE_ALPHABET}. Lower case is
 *   accepted and upper-cased (the alphabet has no letters that differ only by case, and typed
 *   codes are normalised the same way); anything else is refused, naming the bad character but
 *   never echoing the code.
 */
export function parseActivationCard(text: string): ActivationCardResult {
  if (text.slice(0, SCHEME.length).toLowerCase() !== SCHEME)
    return refuse('it does not start with suanpan://');
  if (/\s/.test(text)) return refuse('it contains whitespace (a link writes a space as %20)');
  if (text.includes('#')) return refuse('it has a #fragment, which an activation card never has');
  const rest = text.slice(SCHEME.length);
  const q = rest.indexOf('?');
  const target = (q === -1 ? rest : rest.slice(0, q)).toLowerCase();
  if (target !== 'activate' && target !== 'activate/') {
    return refuse(
      `suanpan://${target} is not a link the terminal knows; cards read suanpan://activate?core=…&code=…`,
    );
  }
  if (q === -1) return refuse('it has no ?core=…&code=… query');

  const params = new Map<string, string>();
  for (const pair of rest.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    if (key !== 'core' && key !== 'code') return refuse(`"${key}" is not a parameter of an activation card`);
    if (params.has(key)) return refuse(`the parameter ${key} appears twice`);
    const value = eq === -1 ? '' : percentDecode(pair.slice(eq + 1));
    if (value === undefined) return refuse(`the ${key} parameter has a malformed %-escape`);
    params.set(key, value);
  }
  const core = coreUrl(params.get('core'));
  if (!core.ok) return refuse(core.reason);
  const code = activationCode(params.get('code'));
  if (!code.ok) return refuse(code.reason);
  return { ok: true, activation: { coreUrl: core.value, code: code.value } };
}

type Checked = { ok: true; value: string } | { ok: false; reason: string };

function coreUrl(value: string | undefined): Checked {
  if (!value) return { ok: false, reason: 'the core parameter (the core URL) is missing or empty' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: `core=${value} is not a URL; it must be like https://core.example.com` };
  }
  if (/\s/.test(value)) return { ok: false, reason: 'the core URL contains whitespace' };
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `the core URL must be http or https, not ${url.protocol.slice(0, -1)}` };
  }
  if (url.username || url.password)
    return { ok: false, reason: 'the core URL must not carry a user name or password' };
  if (url.search || url.hash || value.includes('?') || value.includes('#')) {
    return { ok: false, reason: 'the core URL must be a base address, without ?query or #fragment' };
  }
  return { ok: true, value: url.href.replace(/\/$/, '') };
}

function activationCode(value: string | undefined): Checked {
  if (!value) return { ok: false, reason: 'the code parameter (the activation code) is missing or empty' };
  const code = value.toUpperCase();
  if (CODE_FORM.test(code)) return { ok: true, value: code };
  const stray = [...code].find((c) => c !== '-' && !ACTIVATION_CODE_ALPHABET.includes(c));
  const why = stray
    ? `it contains "${stray}", which activation codes never use (they leave out 0, 1, I, L, O and U)`
    : `it has ${value.length} characters`;
  return { ok: false, reason: `the activation code is not of the form XXXX-XXXX-XXXX: ${why}` };
}

function percentDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function refuse(why: string): ActivationCardResult {
  return { ok: false, reason: `Not a usable activation card: ${why}.` };
}

/** An activation code with all but its last four characters starred: `****-****-QRST`. */
export function maskActivationCode(code: string): string {
  if (code.length <= 4) return '*'.repeat(code.length);
  return code.slice(0, -4).replace(/[^-]/g, '*') + code.slice(-4);
}

/** A suanpan:// link with each `code=` value masked by {@link maskActivationCode}, for logs. */
export function maskActivationCardText(text: string): string {
  return text.replace(
    /([?&]code=)([^&#]*)/gi,
    (_, key: string, value: string) => key + maskActivationCode(value),
  );
}
