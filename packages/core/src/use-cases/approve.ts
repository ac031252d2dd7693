import { errAsync, type ResultAsync } from 'neverthrow';
import { type OAuthError, oauthError } from '../errors.ts';
import { type Context, emitting } from '../lib/context.ts';
import { callPort } from '../lib/port.ts';
import { appendQuery } from '../lib/response.ts';
import { canonical, detached } from '../lib/strings.ts';
import type { CodeRecord } from '../ports.ts';
import type { AuthorizationRequest } from '../rules/authorization-request.ts';
import { resolveRedirectUri } from '../rules/redirect-uri.ts';
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
  return callPort('ClientStore.findClient', () => ctx.clients.findClient(request.client.id)).andThen(
    (client) => {
      // The request may have travelled through the host's session: re-check what the code will be bound to.
      if (client === undefined || resolveRedirectUri(client, request.redirectUri).isErr()) {
        return errAsync(
          oauthError('invalid_request', 'The client or its redirect URI is no longer registered.'),
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

/**
 * The redirect telling the client the resource owner said no.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export function deny(
  ctx: Context,
  request: AuthorizationRequest,
  description?: string,
): AuthorizationResponse {
  const error = oauthError('access_denied', description ?? 'The resource owner denied the request.');
  return responseTo(request.redirectUri, {
    error: error.error,
    error_description: error.description,
    state: request.state,
    iss: ctx.config.issuer,
  });
}
