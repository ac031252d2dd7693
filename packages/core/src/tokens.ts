import { base64url, sha256Base64url } from './crypto.ts';
import { detached, isBase64url } from './lib/strings.ts';
import type { CryptoPort, TokenKey } from './ports.ts';

/** The kinds of opaque credential core mints. */
export type TokenKind = 'code' | 'access_token' | 'refresh_token';

/**
 * Prefixes make a leaked credential recognisable by secret scanners, and tell
 * its kind without trusting a `token_type_hint`.
 */
export const tokenPrefixes: Readonly<Record<TokenKind, string>> = {
  code: 'kbc_',
  access_token: 'kba_',
  refresh_token: 'kbr_',
};

/** The kinds with their prefixes, looked up once per presented token. */
const prefixed = Object.entries(tokenPrefixes) as readonly (readonly [TokenKind, string])[];

/** 128-bit grant ids, 256-bit secrets. */
const grantIdBytes = 16;
const secretBytes = 32;
/** Length of a grant id and of a token's secret part, in base64url characters. */
const grantIdLength = 22;
const secretLength = 43;

/** A freshly minted credential: the raw value (to hand out once) and its store key. */
export interface MintedToken {
  readonly value: string;
  readonly key: TokenKey;
}

/** A new random grant id. */
export function newGrantId(crypto: CryptoPort): string {
  return base64url(crypto.randomBytes(grantIdBytes));
}

/** Builds `<prefix><grantId>.<secret>` and its key (SHA-256 of the whole token). */
function assemble(
  crypto: CryptoPort,
  kind: TokenKind,
  grantId: string,
  secret: string,
): Promise<MintedToken> {
  const value = `${tokenPrefixes[kind]}${grantId}.${secret}`;
  return sha256Base64url(crypto, value).then((hash) => ({ value, key: { grantId, hash } }));
}

/**
 * Mints an opaque credential: 256 bits from the CSPRNG, base64url, with a
 * kind prefix and the (non-secret) grant id.
 */
export function mintToken(crypto: CryptoPort, kind: TokenKind, grantId: string): Promise<MintedToken> {
  return assemble(crypto, kind, grantId, base64url(crypto.randomBytes(secretBytes)));
}

/**
 * Derives a refresh-rotation successor from the old raw token and a random
 * nonce, so that a retry inside the grace window can re-derive the same
 * successor while the store holds only hashes.
 */
export async function deriveToken(
  crypto: CryptoPort,
  kind: TokenKind,
  grantId: string,
  from: string,
  nonce: string,
): Promise<MintedToken> {
  const secret = base64url(await crypto.sha256(`kraikub-rotation\u0000${kind}\u0000${nonce}\u0000${from}`));
  return assemble(crypto, kind, grantId, secret);
}

/** A presented token, parsed: its kind and store key. */
export interface ParsedToken {
  readonly kind: TokenKind;
  readonly key: TokenKey;
}

/**
 * Parses a presented token. Anything not of our exact shape is `undefined`
 * (and therefore unknown, invalid or inactive, never an exception).
 *
 * The shape is checked without regular expressions: the engine remembers a
 * regular expression's last input, which would keep the token alive. The
 * grant id goes into records, so it is a detached copy, never a view into
 * the request.
 */
export async function parseToken(crypto: CryptoPort, value: unknown): Promise<ParsedToken | undefined> {
  if (typeof value !== 'string') return undefined;
  const entry = prefixed.find(([, prefix]) => value.startsWith(prefix));
  if (entry === undefined) return undefined;
  const [kind, prefix] = entry;
  const start = prefix.length;
  const dot = start + grantIdLength;
  if (value.length !== dot + 1 + secretLength || value.charCodeAt(dot) !== 0x2e /* . */) return undefined;
  const grantId = value.slice(start, dot);
  if (!isBase64url(grantId) || !isBase64url(value.slice(dot + 1))) return undefined;
  return { kind, key: { grantId: detached(grantId), hash: await sha256Base64url(crypto, value) } };
}
