import { err, errAsync, ResultAsync } from 'neverthrow';
import type { EndpointRequest } from '../../endpoint.ts';
import { type OAuthError, oauthError } from '../../errors.ts';
import { authenticateClientRequest } from '../../lib/client-authentication.ts';
import type { Context } from '../../lib/context.ts';
import type { Outcome } from '../../lib/port.ts';
import { normalizeParams, type Params, repeated, single } from '../../params.ts';
import type { ClientRecord, GrantType } from '../../ports.ts';
import { exchangeCode } from './authorization-code.ts';
import { clientCredentials } from './client-credentials.ts';
import type { TokenResponse } from './issue.ts';
import { refresh } from './refresh-token.ts';

/** Every parameter the token endpoint reads: none of them may be repeated (RFC 6749 section 3.2). */
const tokenParameters = [
  'grant_type',
  'code',
  'redirect_uri',
  'code_verifier',
  'refresh_token',
  'scope',
  'client_id',
  'client_secret',
] as const;

/** One module per grant type. */
const grants: Readonly<
  Record<GrantType, (ctx: Context, client: ClientRecord, params: Params) => Outcome<TokenResponse>>
> = {
  authorization_code: exchangeCode,
  refresh_token: refresh,
  client_credentials: clientCredentials,
};

function isGrantType(type: string): type is GrantType {
  return Object.hasOwn(grants, type);
}

/** Client authentication, then the grant. */
async function grant(
  ctx: Context,
  authorization: string | undefined,
  params: Params,
  type: GrantType,
): Outcome<TokenResponse> {
  const authenticated = await authenticateClientRequest(ctx, authorization, params);
  if (authenticated.isErr()) return err(authenticated.error);
  const client = authenticated.value;
  if (!client.grantTypes.includes(type)) {
    return err(oauthError('unauthorized_client', 'This client may not use this grant type.'));
  }
  return grants[type](ctx, client, params);
}

/**
 * The token endpoint: duplicate check, grant type, client authentication,
 * then the grant.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export function token(ctx: Context, request: EndpointRequest): ResultAsync<TokenResponse, OAuthError> {
  const params = normalizeParams(request?.params);
  const dup = repeated(params, tokenParameters);
  if (dup !== undefined) {
    return errAsync(oauthError('invalid_request', `The ${dup} parameter was sent more than once.`));
  }
  const grantType = single(params, 'grant_type');
  if (grantType.isErr()) return errAsync(grantType.error);
  const type = grantType.value;
  if (type === undefined)
    return errAsync(oauthError('invalid_request', 'The grant_type parameter is missing.'));
  if (!isGrantType(type))
    return errAsync(oauthError('unsupported_grant_type', 'The grant_type is not supported.'));
  const authorization = typeof request.authorization === 'string' ? request.authorization : undefined;
  return new ResultAsync(grant(ctx, authorization, params, type));
}

export type { TokenResponse } from './issue.ts';
