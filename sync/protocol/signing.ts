/**
 * Request signatures between terminal and core, in the manner of RFC 9421 (HTTP Message
 * Signatures) with an RFC 9530 `Content-Digest`. Every terminal request covers, in this order:
 *
 *   "@method" "@path" "@query" "content-digest" "suanpan-local-time"
 *
 * with parameters `created` (Unix seconds, the terminal's clock corrected by the offset it learned
 * from the core's Date header), `nonce` (random, never reused), `keyid` (the terminal id) and
 * `alg="ed25519"`. `suanpan-local-time` is the terminal's uncorrected clock in milliseconds, so the
 * core learns how far off that clock is and can judge offline capture times by it. Both sides build
 * the signature base with {@link signatureBase}; nothing else decides what is signed.
 */
import crypto from 'node:crypto';

export const SIGNATURE_LABEL = 'sp';
export const SIGNED_COMPONENTS = [
  '@method',
  '@path',
  '@query',
  'content-digest',
  'suanpan-local-time',
] as const;
export const LOCAL_TIME_HEADER = 'suanpan-local-time';
/** Requests whose `created` is further than this from the core's clock are stale (RFC 9421 §7.2.4). */
export const MAX_CLOCK_SKEW_S = 300;

export interface SignedParts {
  method: string;
  /** Path without the query, e.g. /v1/sync/upload */
  path: string;
  /** The query with its leading "?", or "?" when there is none (RFC 9421 §2.2.7). */
  query: string;
  contentDigest: string;
  localTime: string;
}

export interface SignatureParams {
  created: number;
  nonce: string;
  keyid: string;
}

export function contentDigest(body: Uint8Array | string): string {
  return `sha-256=:${crypto.createHash('sha256').update(body).digest('base64')}:`;
}

export function signatureParamsValue(params: SignatureParams): string {
  const list = SIGNED_COMPONENTS.map((c) => `"${c}"`).join(' ');
  return `(${list});created=${params.created};nonce="${params.nonce}";keyid="${params.keyid}";alg="ed25519"`;
}

export function signatureBase(parts: SignedParts, paramsValue: string): string {
  const values: Record<(typeof SIGNED_COMPONENTS)[number], string> = {
    '@method': parts.method.toUpperCase(),
    '@path': parts.path,
    '@query': parts.query,
    'content-digest': parts.contentDigest,
    'suanpan-local-time': parts.localTime,
  };
  const lines = SIGNED_COMPONENTS.map((c) => `"${c}": ${values[c]}`);
  return `${lines.join('\n')}\n"@signature-params": ${paramsValue}`;
}

/** Splits "/v1/x?a=1" into its path and "@query" ("?a=1", or "?" when there is none). */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '?' } : { path: target.slice(0, q), query: target.slice(q) };
}

export interface SignRequestInput {
  method: string;
  /** Path and query, e.g. /v1/sync/results?fromSeq=1 */
  target: string;
  body: Uint8Array | string;
  keyid: string;
  sign: (data: Buffer) => Buffer;
  /** Corrected clock, in ms. */
  now: number;
  /** The terminal's own clock, in ms. */
  localNow: number;
  nonce?: string;
}

/** The headers that sign a request. */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const { path, query } = splitTarget(input.target);
  const digest = contentDigest(input.body);
  const localTime = String(Math.round(input.localNow));
  const params = signatureParamsValue({
    created: Math.floor(input.now / 1000),
    nonce: input.nonce ?? crypto.randomBytes(16).toString('base64url'),
    keyid: input.keyid,
  });
  const base = signatureBase({ method: input.method, path, query, contentDigest: digest, localTime }, params);
  const signature = input.sign(Buffer.from(base)).toString('base64');
  return {
    'content-digest': digest,
    [LOCAL_TIME_HEADER]: localTime,
    'signature-input': `${SIGNATURE_LABEL}=${params}`,
    signature: `${SIGNATURE_LABEL}=:${signature}:`,
  };
}

export type SignatureProblem =
  | 'UNSIGNED'
  | 'MALFORMED'
  | 'WRONG_COMPONENTS'
  | 'DIGEST_MISMATCH'
  | 'BAD_SIGNATURE'
  | 'STALE';

export class SignatureError extends Error {
  constructor(
    readonly problem: SignatureProblem,
    message: string,
  ) {
    super(message);
    this.name = 'SignatureError';
  }
}

export interface ParsedSignature {
  params: SignatureParams;
  paramsValue: string;
  signature: Buffer;
}

const INPUT_RE =
  /^sp=\(((?:"[a-z@-]+"\s?)+)\);created=(\d{1,12});nonce="([A-Za-z0-9_-]{16,64})";keyid="([a-z0-9-]{1,64})";alg="ed25519"$/;
const SIGNATURE_RE = /^sp=:([A-Za-z0-9+/]{86}==):$/;

/** Reads Signature-Input and Signature; throws SignatureError saying what is wrong. */
export function parseSignature(headers: Record<string, string | string[] | undefined>): ParsedSignature {
  const input = single(headers['signature-input']);
  const sig = single(headers.signature);
  if (!input || !sig)
    throw new SignatureError(
      'UNSIGNED',
      'the request is not signed (Signature and Signature-Input are required)',
    );
  const m = INPUT_RE.exec(input);
  if (!m)
    throw new SignatureError(
      'MALFORMED',
      'Signature-Input is not of the form this core accepts (label sp, alg ed25519)',
    );
  const components = (m[1] as string)
    .trim()
    .split(/\s+/)
    .map((c) => c.slice(1, -1));
  if (components.join(' ') !== SIGNED_COMPONENTS.join(' ')) {
    throw new SignatureError(
      'WRONG_COMPONENTS',
      `the signature must cover ${SIGNED_COMPONENTS.join(' ')}, in that order`,
    );
  }
  const s = SIGNATURE_RE.exec(sig);
  if (!s) throw new SignatureError('MALFORMED', 'Signature is not a 64-byte Ed25519 signature labelled sp');
  return {
    params: { created: Number(m[2]), nonce: m[3] as string, keyid: m[4] as string },
    paramsValue: input.slice(SIGNATURE_LABEL.length + 1),
    signature: Buffer.from(s[1] as string, 'base64'),
  };
}

/**
 * Checks a parsed signature against the request as received: the body's digest, the signature over
 * the base, and the age of `created` against `nowMs`. Replay (nonce seen before) and the key's
 * status are the caller's checks: they need the core's database.
 */
export function verifySignature(
  parsed: ParsedSignature,
  request: {
    method: string;
    target: string;
    body: Uint8Array | string;
    headers: Record<string, string | string[] | undefined>;
  },
  publicKey: crypto.KeyObject,
  nowMs: number,
): void {
  const digest = single(request.headers['content-digest']);
  const localTime = single(request.headers[LOCAL_TIME_HEADER]);
  if (!digest || !localTime)
    throw new SignatureError('UNSIGNED', `Content-Digest and ${LOCAL_TIME_HEADER} are required`);
  if (digest !== contentDigest(request.body)) {
    throw new SignatureError(
      'DIGEST_MISMATCH',
      'Content-Digest does not match the body: the body was changed or cut',
    );
  }
  const { path, query } = splitTarget(request.target);
  const base = signatureBase(
    { method: request.method, path, query, contentDigest: digest, localTime },
    parsed.paramsValue,
  );
  if (!crypto.verify(null, Buffer.from(base), publicKey, parsed.signature)) {
    throw new SignatureError(
      'BAD_SIGNATURE',
      "the signature does not match the request and the terminal's key",
    );
  }
  const skew = parsed.params.created - nowMs / 1000;
  if (Math.abs(skew) > MAX_CLOCK_SKEW_S) {
    throw new SignatureError(
      'STALE',
      `the request was signed ${Math.ceil(Math.abs(skew))} s ${skew < 0 ? 'ago' : 'in the future'} by the core's clock (at most ${MAX_CLOCK_SKEW_S} s): correct the clock offset from the Date header and sign again`,
    );
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}
