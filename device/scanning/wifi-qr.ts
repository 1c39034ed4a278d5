/**
 * Wi-Fi QR codes, the ZXing "Wi-Fi network config" format that Android and iOS share:
 * `WIFI:T:WPA;S:<ssid>;P:<password>;H:<true|false>;;` (FIELD-NOTES.md, "Wi-Fi provisioning";
 * https://github.com/zxing/zxing/wiki/Barcode-Contents#wi-fi-network-config-android-ios-11).
 * Parsed strictly: anything the format does not say is refused with a reason, since a guessed
 * SSID or password would leave the terminal offline with no hint why.
 */
import type { WifiCredentials } from './scan-event.ts';

export type WifiQrResult = { ok: true; wifi: WifiCredentials } | { ok: false; reason: string };

export const WIFI_QR_PREFIX = 'WIFI:';

/**
 * T, S, P, H from ZXing; R is the WPA3 "transition disable" bitmap (Wi-Fi Alliance WPA3
 * Specification, the Wi-Fi QR section; Android's WifiUriParser reads it too).
 */
const FIELDS = new Set(['T', 'S', 'P', 'H', 'R']);
const ESCAPABLE = new Set([';', ',', ':', '\\', '"']);
const MAX_SSID_BYTES = 32; // IEEE 802.11: an SSID is 0–32 octets.
const utf8 = new TextEncoder();

/**
 * Parses a Wi-Fi QR text. Rules:
 * - starts `WIFI:`, then fields `X:value;` in any order, then a final `;` (so it ends `;;`);
 *   nothing may follow. Field names are T, S, P, H, R (case-sensitive); an unknown or repeated
 *   field is refused.
 * - values take the escapes `\;` `\,` `\:` `\\` `\"` (unescaped here); any other `\x`, a trailing
 *   single backslash, or an unescaped `"` (ambiguous with ZXing's quoted-hex form) is refused.
 *   An unescaped `:` or `,` is taken literally: only `;` ends a value.
 * - S: required, 1–32 bytes of UTF-8.
 * - T: `WPA` (WPA/WPA2/WPA3-Personal; `WPA2` accepted as the same, as ZXing does), `SAE`
 *   (WPA3-only), `WEP`, `nopass`; missing or empty T means an open network. R with bit 0 set
 *   (WPA3 transition disable) turns `WPA` into `SAE`.
 * - P: open network: absent or empty. WPA: 8–63 bytes of UTF-8 (what NetworkManager and
 *   wpa_supplicant count) or 64 hex digits. SAE: non-empty. WEP: 5 or 13 characters, or 10 or
 *   26 hex digits (NetworkManager's WEP key rule).
 * - H: `true` or `false` (any case); missing means not hidden.
 * Reasons name the field and the rule, never the password.
 */
export function parseWifiQr(text: string): WifiQrResult {
  if (!text.startsWith(WIFI_QR_PREFIX)) return refuse('it must start with WIFI: (in capitals)');
  const fields = readFields(text);
  if (typeof fields === 'string') return refuse(fields);

  const ssid = fields.get('S');
  if (ssid === undefined || ssid === '') return refuse('S (the network name) is missing or empty');
  const ssidBytes = utf8.encode(ssid).length;
  if (ssidBytes > MAX_SSID_BYTES) {
    return refuse(`the network name is ${ssidBytes} bytes long; Wi-Fi allows at most ${MAX_SSID_BYTES}`);
  }
  const hiddenText = fields.get('H');
  const hidden = hiddenText === undefined ? false : /^true$/i.test(hiddenText);
  if (hiddenText !== undefined && !/^(true|false)$/i.test(hiddenText)) {
    return refuse(`H must be true or false, not "${hiddenText}"`);
  }
  const transitionDisable = fields.get('R');
  if (transitionDisable !== undefined && !/^[0-9A-Fa-f]{1,8}$/.test(transitionDisable)) {
    return refuse(`R (WPA3 transition disable) must be hex digits, not "${transitionDisable}"`);
  }

  const type = fields.get('T') ?? '';
  const password = fields.get('P');
  if (type === '' || type === 'nopass') {
    if (password !== undefined && password !== '') {
      return refuse('an open network (T:nopass or no T) has no password, but P is given; use T:WPA');
    }
    return { ok: true, wifi: { security: 'nopass', ssid, hidden } };
  }
  if (!['WPA', 'WPA2', 'SAE', 'WEP'].includes(type)) {
    return refuse(`T:${type} is not a security type it knows (WPA, SAE, WEP or nopass)`);
  }
  if (password === undefined || password === '') return refuse(`a ${type} network needs a password (P)`);
  const wpa3Only = transitionDisable !== undefined && (Number.parseInt(transitionDisable, 16) & 1) === 1;
  const security = type === 'WEP' ? 'WEP' : type === 'SAE' || wpa3Only ? 'SAE' : 'WPA';
  const problem = passwordProblem(security, password);
  if (problem) return refuse(problem);
  return { ok: true, wifi: { security, ssid, password, hidden } };
}

function refuse(why: string): WifiQrResult {
  return { ok: false, reason: `Not a usable Wi-Fi QR code: ${why}.` };
}

function passwordProblem(security: 'WPA' | 'SAE' | 'WEP', password: string): string | undefined {
  const hex = /^[0-9A-Fa-f]+$/.test(password);
  if (security === 'WPA') {
    const bytes = utf8.encode(password).length;
    if ((bytes >= 8 && bytes <= 63) || (bytes === 64 && hex)) return undefined;
    return `a WPA password has 8–63 characters or 64 hex digits; this one has ${bytes} bytes${bytes === 64 ? ' and not only hex digits' : ''}`;
  }
  if (security === 'WEP') {
    const n = password.length;
    if (n === 5 || n === 13 || ((n === 10 || n === 26) && hex)) return undefined;
    return `a WEP key is 5 or 13 characters, or 10 or 26 hex digits; this one has ${n} characters`;
  }
  return undefined; // SAE: any non-empty password (checked by the caller).
}

/**
 * The fields after `WIFI:` up to the final `;`, unescaped, or the reason (without "Not a usable
 * Wi-Fi QR code:") they cannot be read.
 */
function readFields(text: string): Map<string, string> | string {
  const fields = new Map<string, string>();
  let i = WIFI_QR_PREFIX.length;
  for (;;) {
    if (i >= text.length) return 'it does not end with ";;"';
    if (text[i] === ';') {
      if (fields.size === 0) return 'it has no fields; it needs at least S:<network name>';
      if (i !== text.length - 1) return `text follows the ";;" that ends it (at position ${i + 2})`;
      return fields;
    }
    const name = /^[A-Za-z0-9]*/.exec(text.slice(i, i + 8))?.[0] ?? '';
    if (text[i + name.length] !== ':' || name === '') {
      return `expected a field such as S: or P: at position ${i + 1}`;
    }
    if (!FIELDS.has(name)) return `${name}: is not a field it knows (T, S, P, H, R)`;
    if (fields.has(name)) return `the field ${name}: appears twice`;
    i += name.length + 1;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return 'it does not end with ";;"';
      i += 1;
      if (c === ';') break;
      if (c === '"') return `an unescaped " in ${name}: write \\" for a quote in a name or password`;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const escaped = text[i];
      if (escaped === undefined) return 'it ends in a single backslash';
      if (!ESCAPABLE.has(escaped))
        return `\\${escaped} in ${name}: is not an escape (only \\; \\, \\: \\\\ \\")`;
      value += escaped;
      i += 1;
    }
    fields.set(name, value);
  }
}

/**
 * The Wi-Fi QR text with every `P:` value replaced by asterisks, for logs; works on malformed text
 * too (it may mask more than the password, never less).
 */
export function maskWifiQrText(text: string): string {
  return text.replace(/((?:^WIFI:|;)P:)(?:\\[\s\S]|[^\\;])*/gi, '$1********');
}
