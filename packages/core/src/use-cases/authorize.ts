import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { invalidClient, type OAuthError, oauthError } from '../errors.ts';
import type { Context } from '../lib/context.ts';
import { callPort } from '../lib/port.ts';
import { normalizeParams, type ParamsInput, single } from '../params.ts';
import { type AuthorizationRequest, validateAuthorizationRequest } from '../rules/authorization-request.ts';

/**
 * Validates an authorization request (RFC 6749 section 4.1.1): first the
 * client and redirect URI (errors not redirectable), then the rest (errors
 * carry their redirect).
 */
export function authorize(ctx: Context, input: ParamsInput): ResultAsync<AuthorizationRequest, OAuthError> {
  const params = normalizeParams(input);
  const clientId = single(params, 'client_id');
  if (clientId.isErr()) return errAsync(clientId.error);
  const id = clientId.value;
  if (id === undefined) return errAsync(oauthError('invalid_request', 'The client_id parameter is missing.'));
  return callPort('ClientStore.findClient', () => ctx.clients.findClient(id)).andThen((client) =>
    client === undefined
      ? errAsync(invalidClient('The client is unknown.', { basicAuth: false, detail: 'unknown client_id' }))
      : okAsync(client).andThen((found) => validateAuthorizationRequest(params, found, ctx.config)),
  );
}
