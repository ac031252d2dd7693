import { err, ok, type Result } from 'neverthrow';
import type { AuthorizationServerConfig } from '../config.ts';
import { type ErrorRedirect, type OAuthError, oauthError, withRedirect } from '../errors.ts';
import { isWellFormed } from '../lib/response.ts';
import { detached } from '../lib/strings.ts';
import { type Params, repeated, single } from '../params.ts';
import type { ClientRecord } from '../ports.ts';
import { checkOpenIdRequest, type OpenIdRequest, openIdParameters } from './openid-request.ts';
import { checkChallenge } from './pkce.ts';
import { resolveRedirectUri } from './redirect-uri.ts';
import { requestedResources } from './resource.ts';
import { requestedScopes } from './scope.ts';

/** What a consent screen may show of a client. */
export interface ClientSummary {
  readonly id: string;
  readonly name: string;
  /** True for a confidential client (it authenticates at the token endpoint). */
  readonly confidential: boolean;
}

/**
 * A validated authorization request: what the host's login and consent step
 * shows, and what {@link AuthorizationServer.approve} turns into a code.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export interface AuthorizationRequest {
  readonly responseType: 'code';
  readonly client: ClientSummary;
  /** The redirect URI the response goes to. */
  readonly redirectUri: string;
  /** Whether `redirect_uri` was sent (then the token request must repeat it). */
  readonly redirectUriProvided: boolean;
  /** The requested scopes, validated. */
  readonly scopes: readonly string[];
  /** The client's `state`, byte-exact. */
  readonly state: string | undefined;
  readonly codeChallenge: string | undefined;
  readonly codeChallengeMethod: 'S256' | undefined;
  /** Present when this is an OpenID Connect authentication request (the scopes include `openid`). */
  readonly openid?: OpenIdRequest;
  /**
   * The resources (RFC 8707) the tokens will be for: what the request named,
   * or the server's defaults. Absent when none. A consent screen may show them.
   *
   * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.1
   */
  readonly resources?: readonly string[];
}

/** What the request is checked against besides the client and the config. */
export interface RequestContext {
  /** Now (ms). */
  readonly now: number;
  /** Whether the server speaks OpenID Connect (it has a signer): then `openid` makes it an authentication request. */
  readonly openid: boolean;
}

/** The parameters an authorization request may carry; repeats of any of them are refused. */
const knownParameters = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
] as const;

/**
 * Validates an authorization request once its client is known. Errors found
 * before the redirect URI is validated have no `redirect` (show a page);
 * later ones carry the redirect, with `state` and `iss`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.4.1
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 */
export function validateAuthorizationRequest(
  params: Params,
  client: ClientRecord,
  config: AuthorizationServerConfig,
  context: RequestContext = { now: Date.now(), openid: false },
): Result<AuthorizationRequest, OAuthError> {
  const resolved = single(params, 'redirect_uri').andThen((uri) => resolveRedirectUri(client, uri));
  if (resolved.isErr()) return err(resolved.error);
  const { redirectUri, provided } = resolved.value;

  // From here on errors go back to the client. A repeated or oversized state is not echoed.
  const stateValues = params.get('state');
  const state = stateValues?.length === 1 && stateValues[0] !== '' ? stateValues[0] : undefined;
  const stateUsable = state !== undefined && state.length <= config.maxStateLength && isWellFormed(state);
  const echoState = stateUsable ? state : undefined;
  const redirect: ErrorRedirect = { redirectUri, state: echoState, iss: config.issuer };
  const fail = (error: OAuthError) => err(withRedirect(error, redirect));

  const dup = repeated(params, knownParameters);
  if (dup !== undefined)
    return fail(oauthError('invalid_request', `The ${dup} parameter was sent more than once.`));
  if (state !== undefined && !stateUsable) {
    return fail(oauthError('invalid_request', 'The state parameter is too long or not valid text.'));
  }

  const responseType = params.get('response_type')?.[0] || undefined;
  if (responseType === undefined)
    return fail(oauthError('invalid_request', 'The response_type parameter is missing.'));
  if (responseType !== 'code') {
    return fail(oauthError('unsupported_response_type', 'Only the code response_type is supported.'));
  }
  if (!client.grantTypes.includes('authorization_code')) {
    return fail(oauthError('unauthorized_client', 'This client may not use the authorization code grant.'));
  }

  const scopes = requestedScopes(
    params.get('scope')?.[0] || undefined,
    client,
    config.scopes,
    config.defaultScopes,
  );
  if (scopes.isErr()) return fail(scopes.error);

  const resources = requestedResources(params.get('resource'), client, config);
  if (resources.isErr()) return fail(resources.error);

  const pkceRequired =
    client.tokenEndpointAuthMethod === 'none' || client.requirePkce === true || config.requirePkce;
  const pkce = checkChallenge(
    params.get('code_challenge')?.[0] || undefined,
    params.get('code_challenge_method')?.[0] || undefined,
    pkceRequired,
  );
  if (pkce.isErr()) return fail(pkce.error);

  // OpenID Connect Core section 3.1.2.1: with openid, an authentication request (redirect_uri required).
  let openid: OpenIdRequest | undefined;
  if (context.openid && scopes.value.includes('openid')) {
    if (!provided) {
      return fail(oauthError('invalid_request', 'The redirect_uri parameter is required with openid.'));
    }
    const twice = repeated(params, openIdParameters);
    if (twice !== undefined) {
      return fail(oauthError('invalid_request', `The ${twice} parameter was sent more than once.`));
    }
    const checked = checkOpenIdRequest(params, context.now);
    if (checked.isErr()) return fail(checked.error);
    openid = checked.value.request;
  }

  const request: AuthorizationRequest = {
    responseType: 'code',
    client: { id: client.id, name: client.name, confidential: client.tokenEndpointAuthMethod !== 'none' },
    redirectUri,
    redirectUriProvided: provided,
    scopes: scopes.value,
    // Copies: the request is parked in a store while the user logs in.
    state: state === undefined ? undefined : detached(state),
    codeChallenge: pkce.value === undefined ? undefined : detached(pkce.value.codeChallenge),
    codeChallengeMethod: pkce.value?.codeChallengeMethod,
  };
  const withOpenid = openid === undefined ? request : { ...request, openid };
  return ok(resources.value.length === 0 ? withOpenid : { ...withOpenid, resources: resources.value });
}
