import { err, ok, type Result, ResultAsync } from 'neverthrow';
import type { EndpointRequest } from '../endpoint.ts';
import { invalidClient, type OAuthError, oauthError } from '../errors.ts';
import { parsePresentedToken } from '../lib/access-token.ts';
import { authenticateClientRequest } from '../lib/client-authentication.ts';
import { type Context, emit, grantRetention } from '../lib/context.ts';
import { type Outcome, tryPort } from '../lib/port.ts';
import { normalizeParams, type Params, repeated } from '../params.ts';
import type { AccessTokenRecord, OidcContext, RefreshTokenRecord } from '../ports.ts';
import type { ParsedToken } from '../tokens.ts';

const endpointParameters = ['token', 'token_type_hint', 'client_id', 'client_secret'] as const;

/** A token looked up, with whichever record it has (if any). */
type Found =
  | {
      readonly kind: 'access_token';
      readonly parsed: ParsedToken;
      readonly record: AccessTokenRecord | undefined;
    }
  | {
      readonly kind: 'refresh_token';
      readonly parsed: ParsedToken;
      readonly record: RefreshTokenRecord | undefined;
    }
  | { readonly kind: 'none' };

/**
 * Finds a presented token by its prefix. `token_type_hint` is honoured only
 * as far as our prefixes agree with it: the kind is read from the token
 * itself, so a wrong hint cannot hide a token (RFC 7009 section 2.1).
 */
async function lookUp(ctx: Context, params: Params): Outcome<Found> {
  const token = params.get('token')?.[0] || undefined;
  if (token === undefined) return err(oauthError('invalid_request', 'The token parameter is missing.'));
  const parsed = await tryPort('parsing the token', () => parsePresentedToken(ctx, token));
  if (parsed.isErr()) return err(parsed.error);
  const presented = parsed.value;
  if (presented?.kind === 'access_token') {
    const found = await tryPort('GrantStore.findAccessToken', () => ctx.store.findAccessToken(presented.key));
    return found.map((record) => ({ kind: 'access_token' as const, parsed: presented, record }));
  }
  if (presented?.kind === 'refresh_token') {
    const found = await tryPort('GrantStore.findRefreshToken', () =>
      ctx.store.findRefreshToken(presented.key),
    );
    return found.map((record) => ({ kind: 'refresh_token' as const, parsed: presented, record }));
  }
  return ok({ kind: 'none' as const });
}

async function prepare(
  ctx: Context,
  request: EndpointRequest,
): Outcome<{ params: Params; clientId: string; confidential: boolean }> {
  const params = normalizeParams(request?.params);
  const dup = repeated(params, endpointParameters);
  if (dup !== undefined) {
    return err(oauthError('invalid_request', `The ${dup} parameter was sent more than once.`));
  }
  const authorization = typeof request?.authorization === 'string' ? request.authorization : undefined;
  const client = await authenticateClientRequest(ctx, authorization, params);
  return client.map((found) => ({
    params,
    clientId: found.id,
    confidential: found.tokenEndpointAuthMethod !== 'none',
  }));
}

/**
 * Token revocation. Unknown tokens and tokens of other clients succeed
 * silently (nothing is revealed, nothing of theirs is touched). Revoking a
 * refresh token revokes its whole grant.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
export function revoke(ctx: Context, request: EndpointRequest): ResultAsync<void, OAuthError> {
  return new ResultAsync(revoking(ctx, request));
}

async function revoking(ctx: Context, request: EndpointRequest): Outcome<void> {
  const prepared = await prepare(ctx, request);
  if (prepared.isErr()) return err(prepared.error);
  const { params, clientId } = prepared.value;
  const looked = await lookUp(ctx, params);
  if (looked.isErr()) return err(looked.error);
  const found = looked.value;
  if (found.kind === 'none' || found.record === undefined || found.record.clientId !== clientId) {
    return ok(undefined);
  }
  const grantId = found.parsed.key.grantId;
  const now = ctx.clock.now();
  if (found.kind === 'access_token') {
    const revoked = await tryPort('GrantStore.revokeAccessToken', () =>
      ctx.store.revokeAccessToken(found.parsed.key),
    );
    if (revoked.isErr()) return err(revoked.error);
    return told(await emit(ctx, { type: 'token.revoked', grantId, at: now, clientId }));
  }
  const until = grantRetention(ctx, now);
  const revoked = await tryPort('GrantStore.revokeGrant', () => ctx.store.revokeGrant(grantId, until));
  if (revoked.isErr()) return err(revoked.error);
  return told(
    await emit(ctx, { type: 'grant.revoked', grantId, at: now, clientId, reason: 'token_revoked' }),
  );
}

/** The host heard of the revocation (`onGrantEvent`), or its hook failed: then the request fails as for a store. */
const told = (failed: OAuthError | undefined): Result<void, OAuthError> =>
  failed === undefined ? ok(undefined) : err(failed);

/**
 * An introspection response: `{ active: false }` and nothing else for any
 * token that is unknown, expired, revoked or rotated.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
export type IntrospectionResponse =
  | { readonly active: false }
  | {
      readonly active: true;
      readonly scope: string;
      readonly client_id: string;
      readonly sub?: string;
      /** Expiry, seconds since the epoch. */
      readonly exp: number;
      /** Issue time, seconds since the epoch. */
      readonly iat: number;
      /** `Bearer` for access tokens, `refresh_token` for refresh tokens. */
      readonly token_type: 'Bearer' | 'refresh_token';
      readonly iss: string;
      /**
       * The resources the token is for (RFC 8707): one as a string, several
       * as an array; absent when it is bound to none.
       */
      readonly aud?: string | readonly string[];
    };

const inactive: IntrospectionResponse = { active: false };

function describeRecord(
  ctx: Context,
  record: AccessTokenRecord | RefreshTokenRecord,
  tokenType: 'Bearer' | 'refresh_token',
  audience: readonly string[] | undefined,
): IntrospectionResponse {
  const described = {
    active: true as const,
    scope: record.scopes.join(' '),
    client_id: record.clientId,
    ...(record.subject === undefined ? {} : { sub: record.subject }),
    exp: Math.floor(record.expiresAt / 1000),
    iat: Math.floor(record.issuedAt / 1000),
    token_type: tokenType,
    iss: ctx.config.issuer,
  };
  if (audience === undefined || audience.length === 0) return described;
  return { ...described, aud: audience.length === 1 ? (audience[0] as string) : [...audience] };
}

/**
 * Whether a resource server (registered with `clientId`) may see an access
 * token of another client: one bound to none of the resources, or to one of
 * its own.
 */
function visibleTo(ctx: Context, clientId: string, record: AccessTokenRecord): boolean {
  const own = ctx.resourcesOfClient.get(clientId);
  if (own === undefined) return false;
  const audience = record.audience ?? [];
  return audience.length === 0 || audience.some((resource) => own.includes(resource));
}

/**
 * Token introspection, for authenticated confidential clients. It is a
 * policy, not a lookup (RFC 7662 section 4): a caller sees `active: true`
 * only for its own tokens, and, when it is a registered resource server
 * (`config.resourceServers[].clientId`), for the access tokens meant for
 * it (its resource in their audience, or no audience at all); never for
 * another client's refresh token. `aud` says which resources a token is for. Everything else is `{ active: false }`,
 * exactly as for an unknown token. Public clients cannot authenticate, so
 * they are refused (the HTTP layer answers 401).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-4
 */
export function introspect(
  ctx: Context,
  request: EndpointRequest,
): ResultAsync<IntrospectionResponse, OAuthError> {
  return new ResultAsync(introspecting(ctx, request));
}

async function introspecting(ctx: Context, request: EndpointRequest): Outcome<IntrospectionResponse> {
  const prepared = await prepare(ctx, request);
  if (prepared.isErr()) return err(prepared.error);
  const { params, clientId, confidential } = prepared.value;
  if (!confidential) {
    return err(invalidClient('Introspection requires client authentication.', { basicAuth: false }));
  }
  const looked = await lookUp(ctx, params);
  if (looked.isErr()) return err(looked.error);
  const found = looked.value;
  const now = ctx.clock.now();
  if (found.kind === 'none' || found.record === undefined || found.record.expiresAt <= now)
    return ok(inactive);
  const own = found.record.clientId === clientId;
  if (found.kind === 'access_token') {
    const record = found.record;
    return ok(
      own || visibleTo(ctx, clientId, record)
        ? describeRecord(ctx, record, 'Bearer', record.audience)
        : inactive,
    );
  }
  return ok(
    own && found.record.rotation === undefined
      ? describeRecord(ctx, found.record, 'refresh_token', found.record.resources)
      : inactive,
  );
}

/** What a resource server learns about a valid access token. */
export interface AccessTokenInfo {
  readonly clientId: string;
  readonly subject: string | undefined;
  readonly scopes: readonly string[];
  /** Expiry (ms since the epoch). */
  readonly expiresAt: number;
  readonly grantId: string;
  /** The OpenID Connect context of the grant, for UserInfo. */
  readonly oidc?: OidcContext;
  /** The resources the token is for (RFC 8707); empty when it is bound to none. */
  readonly audience: readonly string[];
}

/**
 * Anything that checks access tokens for a resource server: the
 * {@link AuthorizationServer} itself (a store lookup, so revocation counts at
 * once), or a verifier that checks RFC 9068 JWT access tokens by signature
 * alone (`@kraikub/jose`'s `createJwtAccessTokenVerifier`). `verify`
 * resolves the token's info, `undefined` for a token that is not valid (for
 * this audience), and rejects only when the check itself failed (keys
 * unreachable, store down).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export interface AccessTokenVerifier {
  /** The issuer whose tokens it checks (the `realm` of challenges by default). */
  readonly issuer: string;
  verify(token: string, options?: VerifyAccessTokenOptions): Promise<AccessTokenInfo | undefined>;
}

/** Options of {@link verifyAccessToken}. */
export interface VerifyAccessTokenOptions {
  /**
   * The resource asking: a token whose audience does not include it is not
   * valid here (a token bound to no resource is not either).
   *
   * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
   */
  readonly audience?: string;
}

/**
 * Checks an access token presented to a resource server: its info when it is
 * active, `undefined` when it is not (RFC 6750 `invalid_token`), or when
 * `options.audience` is not among the resources it is for (RFC 8707).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function verifyAccessToken(
  ctx: Context,
  token: string,
  options: VerifyAccessTokenOptions = {},
): ResultAsync<AccessTokenInfo | undefined, OAuthError> {
  return new ResultAsync(verifying(ctx, token, options));
}

async function verifying(
  ctx: Context,
  token: string,
  options: VerifyAccessTokenOptions,
): Outcome<AccessTokenInfo | undefined> {
  const parsed = await tryPort('parsing the token', () => parsePresentedToken(ctx, token));
  if (parsed.isErr()) return err(parsed.error);
  const presented = parsed.value;
  if (presented?.kind !== 'access_token') return ok(undefined);
  const found = await tryPort('GrantStore.findAccessToken', () => ctx.store.findAccessToken(presented.key));
  if (found.isErr()) return err(found.error);
  const record = found.value;
  if (record === undefined || record.expiresAt <= ctx.clock.now()) return ok(undefined);
  const audience = record.audience ?? [];
  if (options.audience !== undefined && !audience.includes(options.audience)) return ok(undefined);
  const info: AccessTokenInfo = {
    clientId: record.clientId,
    subject: record.subject,
    scopes: record.scopes,
    expiresAt: record.expiresAt,
    grantId: record.grantId,
    audience,
  };
  return ok(record.oidc === undefined ? info : { ...info, oidc: record.oidc });
}
