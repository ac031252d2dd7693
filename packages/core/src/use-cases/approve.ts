import { errAsync, type ResultAsync } from 'neverthrow';
import { type OAuthError, oauthError, withRedirect } from '../errors.ts';
import { type Context, emitting } from '../lib/context.ts';
import { callPort } from '../lib/port.ts';
import { appendQuery } from '../lib/response.ts';
import { canonical, detached } from '../lib/strings.ts';
import type { CodeRecord, OidcContext } from '../ports.ts';
import type { AuthorizationRequest } from '../rules/authorization-request.ts';
import { resolveRedirectUri } from '../rules/redirect-uri.ts';
import { requestedResources } from '../rules/resource.ts';
import { isSubset } from '../rules/scope.ts';
import { mintToken, newGrantId } from '../tokens.ts';

/**
 * Where the user agent goes next: the client's redirect URI with the
 * response parameters (RFC 6749 section 4.1.2, RFC 9207).
 */
export interface AuthorizationResponse {
  /** The full URL to redirect to. */
  readonly url: string;
  readonly redirectUri: string;
  /** `code`, `state`, `iss`, or `error`, `error_description`, `state`, `iss`. */
  readonly parameters: Readonly<Record<string, string>>;
  /** The grant the code belongs to (approvals only): keep it to revoke the grant later. */
  readonly grantId?: string;
}

/** The resource owner's approval. */
export interface Approval {
  /** The authenticated user's stable identifier. */
  readonly subject: string;
  /** Granted scopes: the requested ones, or fewer. Default: all requested. */
  readonly scopes?: readonly string[];
  /**
   * When the user authenticated (ms since the epoch): `auth_time` in the ID
   * Token. Required for an OpenID Connect request with `max_age` or
   * `prompt=login`, which it must satisfy.
   */
  readonly authTime?: number;
  /** The Authentication Context Class Reference satisfied (`acr`). */
  readonly acr?: string;
  /** The Authentication Methods References used (`amr`, such as `pwd`, `mfa`, `otp`). */
  readonly amr?: readonly string[];
}

/** Clock skew tolerated between the request's arrival and a fresh authentication (ms). */
const skewMs = 5_000;

/**
 * OpenID Connect holds an approval to what the request asked: `prompt=login`
 * wants an authentication since the request arrived, `max_age` one at most
 * that old, and `id_token_hint` the very user it names. Otherwise the
 * answer is `login_required`, redirected to the client.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 */
function checkAuthentication(
  request: AuthorizationRequest,
  approval: Approval,
  now: number,
): string | undefined {
  const openid = request.openid;
  if (openid === undefined) return undefined;
  const { authTime } = approval;
  const needsTime = openid.prompt.includes('login') || openid.maxAge !== undefined;
  if (needsTime && authTime === undefined) return 'no authTime for prompt=login or max_age';
  if (openid.prompt.includes('login') && (authTime as number) < openid.requestedAt - skewMs) {
    return 'prompt=login: the user did not authenticate again';
  }
  if (openid.maxAge !== undefined && now - (authTime as number) > openid.maxAge * 1000 + skewMs) {
    return 'max_age exceeded';
  }
  if (openid.idTokenHintSubject !== undefined && openid.idTokenHintSubject !== approval.subject) {
    return 'the signed-in user is not the one id_token_hint names';
  }
  return undefined;
}

function checkApprovalShape(approval: Approval, now: number): void {
  const { authTime, acr, amr } = approval;
  if (authTime !== undefined && (!Number.isFinite(authTime) || authTime > now + skewMs)) {
    throw new TypeError('approve: authTime must be a time in ms, not in the future');
  }
  if (acr !== undefined && (typeof acr !== 'string' || acr === '')) {
    throw new TypeError('approve: acr must be a non-empty string');
  }
  if (amr !== undefined && !(Array.isArray(amr) && amr.every((m) => typeof m === 'string' && m !== ''))) {
    throw new TypeError('approve: amr must be a list of non-empty strings');
  }
}

function responseTo(
  redirectUri: string,
  parameters: Record<string, string | undefined>,
): AuthorizationResponse {
  const kept = Object.fromEntries(
    Object.entries(parameters).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return { url: appendQuery(redirectUri, kept), redirectUri, parameters: kept };
}

/**
 * The redirect that carries an authorization error back to the client, or
 * `undefined` when the error must not be redirected (show it as a page).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export function errorResponse(error: OAuthError): AuthorizationResponse | undefined {
  if (error.redirect === undefined) return undefined;
  return responseTo(error.redirect.redirectUri, {
    error: error.error,
    error_description: error.description,
    state: error.redirect.state,
    iss: error.redirect.iss,
  });
}

/**
 * Issues a single-use authorization code for an approved request.
 * Approving scopes that were not requested is a programmer mistake: `TypeError`.
 */
export function approve(
  ctx: Context,
  request: AuthorizationRequest,
  approval: Approval,
): ResultAsync<AuthorizationResponse, OAuthError> {
  if (typeof approval?.subject !== 'string' || approval.subject === '') {
    throw new TypeError('approve: subject must be a non-empty string');
  }
  const scopes = approval.scopes ?? request.scopes;
  if (!Array.isArray(scopes) || !isSubset(scopes, request.scopes)) {
    throw new TypeError('approve: granted scopes must be a subset of the requested scopes');
  }
  // The request's own strings, and a copy of the host's subject: the record keeps nothing of a request.
  const granted = canonical([...new Set(scopes)], request.scopes);
  const subject = detached(approval.subject);
  const requestedNow = ctx.clock.now();
  checkApprovalShape(approval, requestedNow);
  const refused = checkAuthentication(request, approval, requestedNow);
  if (refused !== undefined) {
    const redirect = { redirectUri: request.redirectUri, state: request.state, iss: ctx.config.issuer };
    return errAsync(
      withRedirect(
        oauthError('login_required', 'The user must sign in again.', { detail: refused }),
        redirect,
      ),
    );
  }
  return callPort('ClientStore.findClient', () => ctx.clients.findClient(request.client.id)).andThen(
    (client) => {
      // The request may have travelled through the host's session: re-check what the code will be bound to.
      if (client === undefined || resolveRedirectUri(client, request.redirectUri).isErr()) {
        return errAsync(
          oauthError('invalid_request', 'The client or its redirect URI is no longer registered.'),
        );
      }
      // And the resources: each still registered and allowed for the client.
      if (
        request.resources !== undefined &&
        request.resources.length > 0 &&
        requestedResources(request.resources, client, ctx.config).isErr()
      ) {
        const redirect = { redirectUri: request.redirectUri, state: request.state, iss: ctx.config.issuer };
        return errAsync(
          withRedirect(
            oauthError('invalid_target', 'The requested resource is no longer available to this client.'),
            redirect,
          ),
        );
      }
      const now = ctx.clock.now();
      const grantId = newGrantId(ctx.crypto);
      return callPort('CryptoPort.sha256', () => mintToken(ctx.crypto, 'code', grantId)).andThen((code) => {
        const record: CodeRecord = {
          grantId,
          clientId: client.id,
          subject,
          scopes: granted,
          redirectUri: request.redirectUri,
          redirectUriProvided: request.redirectUriProvided,
          issuedAt: now,
          expiresAt: now + ctx.config.ttl.code * 1000,
          ...(request.codeChallenge === undefined
            ? {}
            : { codeChallenge: request.codeChallenge, codeChallengeMethod: 'S256' as const }),
          ...(request.openid === undefined ? {} : { oidc: oidcOf(request, approval) }),
          ...(request.resources === undefined || request.resources.length === 0
            ? {}
            : { resources: request.resources.map(detached) }),
        };
        return callPort('GrantStore.saveCode', () => ctx.store.saveCode(code.key, record))
          .andThen(() =>
            // The host hears of the grant before its code leaves the server.
            emitting(ctx, {
              type: 'grant.created',
              grantId,
              at: now,
              clientId: client.id,
              subject,
              scopes: granted,
            }),
          )
          .map(() => ({
            ...responseTo(request.redirectUri, {
              code: code.value,
              state: request.state,
              iss: ctx.config.issuer,
            }),
            grantId,
          }));
      });
    },
  );
}

/** The OpenID Connect context a code carries: the approval's authentication, the request's nonce and claims. */
function oidcOf(request: AuthorizationRequest, approval: Approval): OidcContext {
  const openid = request.openid;
  return {
    ...(approval.authTime === undefined ? {} : { authTime: approval.authTime }),
    ...(approval.acr === undefined ? {} : { acr: detached(approval.acr) }),
    ...(approval.amr === undefined ? {} : { amr: approval.amr.map(detached) }),
    ...(openid?.nonce === undefined ? {} : { nonce: openid.nonce }),
    ...(openid?.claims === undefined ? {} : { claims: openid.claims }),
  };
}

/**
 * The redirect telling the client the resource owner said no.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
/**
 * Why a request is answered without a code: the user said no
 * (`access_denied`), or, under `prompt=none`, the host could not decide
 * without a page (OpenID Connect Core section 3.1.2.6).
 */
export type Denial =
  | 'access_denied'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'account_selection_required';

const denialDescriptions: Readonly<Record<Denial, string>> = {
  access_denied: 'The resource owner denied the request.',
  login_required: 'The user must sign in.',
  consent_required: 'The user must consent.',
  interaction_required: 'The user must interact with the provider.',
  account_selection_required: 'The user must choose an account.',
};

export function deny(
  ctx: Context,
  request: AuthorizationRequest,
  description?: string,
  denial: Denial = 'access_denied',
): AuthorizationResponse {
  const error = oauthError(denial, description ?? denialDescriptions[denial]);
  return responseTo(request.redirectUri, {
    error: error.error,
    error_description: error.description,
    state: request.state,
    iss: ctx.config.issuer,
  });
}
