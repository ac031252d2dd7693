import { err, ok, type Result, ResultAsync } from 'neverthrow';
import { decodeBase64url } from '../crypto.ts';
import type { OAuthError } from '../errors.ts';
import type { Params } from '../params.ts';
import type { ClientRecord } from '../ports.ts';
import { authenticateClient, readClientCredentials } from '../rules/client-authentication.ts';
import type { Context } from './context.ts';
import { tryPort } from './port.ts';

/** A digest compared against when the client is unknown, so both paths do the same work. */
const decoy = new Uint8Array(32);

/**
 * Stored secret hashes, decoded once (they are digests, not secrets). Bounded:
 * cleared when full, so a store with many clients only decodes again.
 */
const decoded = new Map<string, Uint8Array>();
const decodedLimit = 1024;

function storedDigest(secretHash: string): Uint8Array | undefined {
  let bytes = decoded.get(secretHash);
  if (bytes === undefined) {
    bytes = decodeBase64url(secretHash);
    if (bytes === undefined) return undefined;
    if (decoded.size >= decodedLimit) decoded.clear();
    decoded.set(secretHash, bytes);
  }
  return bytes;
}

/**
 * Authenticates the client of a token, revocation or introspection request:
 * reads the presented credentials, finds the client, compares the secret's
 * digest in constant time (against a decoy for an unknown client, so both
 * paths do the same work). Never rejects for a failing port.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3
 */
export async function authenticateClientRequest(
  ctx: Context,
  authorization: string | undefined,
  params: Params,
): Promise<Result<ClientRecord, OAuthError>> {
  const presented = readClientCredentials(authorization, params);
  if (presented.isErr()) return err(presented.error);
  const credentials = presented.value;
  const found = await tryPort('ClientStore.findClient', () => ctx.clients.findClient(credentials.clientId));
  if (found.isErr()) return err(found.error);
  const client = found.value;
  const secret = credentials.secret;
  if (secret === undefined) return authenticateClient(client, credentials, false);
  const matches = await matchesDigest(ctx, secret, client?.secretHash);
  if (matches.isErr()) return err(matches.error);
  return authenticateClient(client, credentials, matches.value);
}

/**
 * Whether `secret`'s SHA-256 is `storedHash` (base64url), compared as bytes in
 * constant time; without a stored hash, compared against a decoy so both
 * paths do the same work, and never a match. For client secrets and
 * registration access tokens alike.
 */
export async function matchesDigest(
  ctx: Context,
  secret: string,
  storedHash: string | undefined,
): Promise<Result<boolean, OAuthError>> {
  // The presented secret's digest is compared as bytes with the stored one (what
  // `sha256Base64url` would encode, without the round trip through base64url).
  const digest = await tryPort('CryptoPort.sha256', () => ctx.crypto.sha256(secret));
  if (digest.isErr()) return err(digest.error);
  const stored = (storedHash && storedDigest(storedHash)) || decoy;
  return ok(ctx.crypto.timingSafeEqual(digest.value, stored) && storedHash !== undefined);
}

/**
 * Authenticates the client of a token, revocation or introspection request.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3
 */
export function authenticate(
  ctx: Context,
  authorization: string | undefined,
  params: Params,
): ResultAsync<ClientRecord, OAuthError> {
  return new ResultAsync(authenticateClientRequest(ctx, authorization, params));
}
