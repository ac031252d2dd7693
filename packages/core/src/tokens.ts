import { base64url, hashSecret } from './crypto.ts';
import type { Crypto, TokenKey } from './ports.ts';

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
const grantIdPattern = /^[A-Za-z0-9_-]{22}$/;
const secretPattern = /^[A-Za-z0-9_-]{43}$/;

/** A freshly minted credential: the raw value (to hand out once) and its store key. */
export interface MintedToken {
  readonly value: string;
  readonly key: TokenKey;
}

/** A new random grant id. */
export function newGrantId(crypto: Crypto): string {
  return base64url(crypto.randomBytes(grantIdBytes));
}

/** Builds `<prefix><grantId>.<secret>` and its key (SHA-256 of the whole token). */
async function assemble(
  crypto: Crypto,
  kind: TokenKind,
  grantId: string,
  secret: string,
): Promise<MintedToken> {
  const value = `${tokenPrefixes[kind]}${grantId}.${secret}`;
  return { value, key: { grantId, hash: await hashSecret(crypto, value) } };
}

/**
 * Mints an opaque credential: 256 bits from the CSPRNG, base64url, with a
 * kind prefix and the (non-secret) grant id.
 */
export function mintToken(crypto: Crypto, kind: TokenKind, grantId: string): Promise<MintedToken> {
  return assemble(crypto, kind, grantId, base64url(crypto.randomBytes(secretBytes)));
}

/**
 * Derives a refresh-rotation successor from the old raw token and a random
 * nonce, so that a retry inside the grace window can re-derive the same
 * successor while the store holds only hashes.
 */
export async function deriveToken(
  crypto: Crypto,
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
 */
export async function parseToken(crypto: Crypto, value: unknown): Promise<ParsedToken | undefined> {
  if (typeof value !== 'string' || value.length > 128) return undefined;
  const entry = prefixed.find(([, prefix]) => value.startsWith(prefix));
  if (entry === undefined) return undefined;
  const [kind, prefix] = entry;
  const body = value.slice(prefix.length);
  const dot = body.indexOf('.');
  const grantId = body.slice(0, dot);
  const secret = body.slice(dot + 1);
  if (dot < 0 || !grantIdPattern.test(grantId) || !secretPattern.test(secret)) return undefined;
  return { kind, key: { grantId, hash: await hashSecret(crypto, value) } };
}
