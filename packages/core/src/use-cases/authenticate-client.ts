import { errAsync, ResultAsync } from 'neverthrow';
import { decodeBase64url, hashSecret } from '../crypto.ts';
import type { OAuthError } from '../errors.ts';
import type { Context } from '../lib/context.ts';
import { callPort, portFailure } from '../lib/port.ts';
import type { Params } from '../params.ts';
import type { ClientRecord } from '../ports.ts';
import { authenticateClient, readClientCredentials } from '../rules/client-authentication.ts';

/** A digest compared against when the client is unknown, so both paths do the same work. */
const decoy = new Uint8Array(32);

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
  const presented = readClientCredentials(authorization, params);
  if (presented.isErr()) return errAsync(presented.error);
  const credentials = presented.value;
  return callPort('ClientStore.findClient', () => ctx.clients.findClient(credentials.clientId)).andThen(
    (client) => {
      const secret = credentials.secret;
      if (secret === undefined) return authenticateClient(client, credentials, false);
      return ResultAsync.fromPromise(hashSecret(ctx.crypto, secret), (cause) =>
        portFailure(cause, 'Crypto.sha256'),
      ).andThen((presentedHash) => {
        const stored = (client?.secretHash && decodeBase64url(client.secretHash)) || decoy;
        const given = decodeBase64url(presentedHash) ?? decoy;
        const matches = ctx.crypto.timingSafeEqual(given, stored) && client?.secretHash !== undefined;
        return authenticateClient(client, credentials, matches);
      });
    },
  );
}
