/**
 * The local API's guards, as pure functions: the per-boot token and how it is presented (a Bearer
 * header on HTTP, a subprotocol on the WebSocket), the one origin and host allowed, and the headers
 * every answer carries. server.ts applies them to every request.
 *
 * Threat model: the API listens on loopback only, so what must be kept out is every *other* local
 * program and, above all, web pages open in a browser on the same machine. A page of another origin
 * can send requests to 127.0.0.1 (no-cors POSTs, WebSocket, DNS rebinding) but cannot read the token,
 * which only the kiosk has (URL fragment, never sent to a server; or the Electron preload).
 */
import crypto from 'node:crypto';
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from './api-schema.ts';
import { HostError } from './errors.ts';

/** 256 bits: far beyond guessing over a loopback socket. */
export const TOKEN_BYTES = 32;
/** The only address the host listens on. */
export const LOOPBACK_HOST = '127.0.0.1';

export function newToken(): string {
  return crypto.randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * Whether `given` is the token, in time independent of where they differ. Both are hashed first so
 * `timingSafeEqual` compares equal lengths and a wrong length leaks nothing either.
 */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();
  return crypto.timingSafeEqual(digest(expected), digest(given));
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header ?? '');
  return match?.[1];
}

/** The subprotocols a WebSocket client offered (`Sec-WebSocket-Protocol`, comma-separated). */
export function offeredProtocols(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/**
 * The token a browser presents on the WebSocket: the `token.<token>` subprotocol next to
 * `suanpan.v1` (a browser can't set headers on a WebSocket, and a URL query would end up in logs).
 */
export function subprotocolToken(protocols: readonly string[]): string | undefined {
  if (!protocols.includes(WS_PROTOCOL)) return undefined;
  return protocols.find((p) => p.startsWith(WS_TOKEN_PREFIX))?.slice(WS_TOKEN_PREFIX.length);
}

/** Throws unless `host` is 127.0.0.1: the API is for this machine's kiosk only. */
export function assertLoopback(host: string): void {
  if (host !== LOOPBACK_HOST) {
    throw new HostError(
      'NOT_LOOPBACK',
      `The kiosk API listens on ${LOOPBACK_HOST} only; refusing to listen on "${host}". It holds the terminal's payments: other machines must not reach it.`,
    );
  }
}

export function hostOrigin(port: number): string {
  return `http://${LOOPBACK_HOST}:${port}`;
}

/**
 * The Content-Security-Policy of every answer: the renderer's own files and nothing else; no inline
 * script or style, no plugins, no framing, no form posts, and connections only back to this host.
 * (`'self'` covers same-origin ws: in CSP Level 3, but not in every engine; hence the explicit URL.)
 */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://${LOOPBACK_HOST}:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** Headers on every answer, static files included. */
export function securityHeaders(port: number): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(port),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // For engines without frame-ancestors.
    'x-frame-options': 'DENY',
    // Other origins may not load these answers even as no-cors images or scripts.
    'cross-origin-resource-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
  };
}
