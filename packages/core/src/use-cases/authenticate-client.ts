import { err, type Result, ResultAsync } from 'neverthrow';
import { decodeBase64url } from '../crypto.ts';
import type { OAuthError } from '../errors.ts';
import type { Context } from '../lib/context.ts';
import { portFailure } from '../lib/port.ts';
import type { Params } from '../params.ts';
import type { ClientRecord } from '../ports.ts';
import { authenticateClient, readClientCredentials } from '../rules/client-authentication.ts';

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
 * Authenticates the client of a token, revocation or introspection request,
 * as a promise of a `Result` that never rejects for a failing port (the
 * form the token endpoint's hot path composes without extra promises).
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
  let client: ClientRecord | undefined;
  try {
    client = await ctx.clients.findClient(credentials.clientId);
  } catch (cause) {
    return err(portFailure(cause, 'ClientStore.findClient'));
  }
  const secret = credentials.secret;
  if (secret === undefined) return authenticateClient(client, credentials, false);
  // The presented secret's digest is compared as bytes with the stored one (what
  // `hashSecret` would encode, without the round trip through base64url).
  let given: Uint8Array;
  try {
    given = await ctx.crypto.sha256(secret);
  } catch (cause) {
    return err(portFailure(cause, 'Crypto.sha256'));
  }
  const stored = (client?.secretHash && storedDigest(client.secretHash)) || decoy;
  const matches = ctx.crypto.timingSafeEqual(given, stored) && client?.secretHash !== undefined;
  return authenticateClient(client, credentials, matches);
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
