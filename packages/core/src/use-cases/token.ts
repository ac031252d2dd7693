import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { base64url } from '../crypto.ts';
import { type OAuthError, oauthError } from '../errors.ts';
import { type Context, emit, grantRetention } from '../lib/context.ts';
import { portFailure } from '../lib/port.ts';
import { normalizeParams, type Params, type ParamsInput, repeated, single } from '../params.ts';
import type {
  AccessTokenRecord,
  ClientRecord,
  GrantType,
  RefreshRotation,
  RefreshTokenRecord,
  TokenIssue,
  TokenKey,
} from '../ports.ts';
import { checkCodeRedemption, checkRefreshToken, reuseDecision } from '../rules/grants.ts';
import { narrowScopes, requestedScopes } from '../rules/scope.ts';
import { deriveToken, type MintedToken, mintToken, newGrantId, parseToken } from '../tokens.ts';
import { authenticateClientRequest } from './authenticate-client.ts';

/**
 * A successful token response.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  /** Lifetime of the access token in seconds. */
  readonly expires_in: number;
  /** Absent for client credentials. */
  readonly refresh_token?: string;
  /** The access token's scope, space-delimited. */
  readonly scope: string;
}

/** A request at the token, revocation or introspection endpoint. */
export interface EndpointRequest {
  /** The form parameters of the body. */
  readonly params: ParamsInput;
  /** The `Authorization` header, if any. */
  readonly authorization?: string | undefined;
}

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

const grantTypes: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];

const sha256Failure = (cause: unknown) => portFailure(cause, 'Crypto.sha256');

/** The one response shape every grant returns. */
function tokenResponse(
  access: string,
  accessExpiresAt: number,
  now: number,
  scopes: readonly string[],
  refresh?: string,
): TokenResponse {
  const expiresIn = Math.max(0, Math.round((accessExpiresAt - now) / 1000));
  const scope = scopes.join(' ');
  // Two literals rather than a conditional spread: one hidden class each, no per-call object cloning.
  return refresh === undefined
    ? { access_token: access, token_type: 'Bearer', expires_in: expiresIn, scope }
    : { access_token: access, token_type: 'Bearer', expires_in: expiresIn, refresh_token: refresh, scope };
}

/**
 * The use cases below are async functions returning a `Result`: one promise
 * per step instead of a `ResultAsync` chain, which the token endpoint's CPU
 * profile showed costing more than the protocol work itself. A port that
 * throws or rejects still becomes `server_error` / `temporarily_unavailable`
 * (through {@link portFailure}), exactly as `callPort` does.
 */
type Outcome<T> = Promise<Result<T, OAuthError>>;

/**
 * A replay: revoke the whole grant, tell the host (reuse, then revocation),
 * and answer `error`.
 */
async function revokeReplayed(
  ctx: Context,
  replay: {
    readonly grantId: string;
    readonly clientId: string;
    readonly credential: 'code' | 'refresh_token';
  },
  now: number,
  error: OAuthError,
): Outcome<never> {
  const { grantId, clientId, credential } = replay;
  try {
    await ctx.store.revokeGrant(grantId, grantRetention(ctx, now));
  } catch (cause) {
    return err(portFailure(cause, 'GrantStore.revokeGrant'));
  }
  if (ctx.onGrantEvent !== undefined) {
    const failed =
      (await emit(ctx, { type: 'reuse.detected', grantId, at: now, clientId, credential })) ??
      (await emit(ctx, {
        type: 'grant.revoked',
        grantId,
        at: now,
        clientId,
        reason: credential === 'code' ? 'code_replayed' : 'refresh_reused',
      }));
    if (failed !== undefined) return err(failed);
  }
  return err(error);
}

interface GrantTokens {
  readonly access: MintedToken;
  readonly refresh: MintedToken | undefined;
  readonly issue: TokenIssue;
  readonly accessExpiresAt: number;
}

/** Builds the records of a fresh access token (and refresh token) for one grant. */
function grantTokens(
  ctx: Context,
  base: {
    grantId: string;
    clientId: string;
    subject: string | undefined;
    grantScopes: readonly string[];
    accessScopes: readonly string[];
  },
  access: MintedToken,
  refresh: MintedToken | undefined,
  now: number,
): GrantTokens {
  const { grantId, clientId, subject } = base;
  const accessExpiresAt = now + ctx.config.ttl.accessToken * 1000;
  // Literals of fixed shape rather than conditional spreads (these are built on every token request).
  const accessRecord: AccessTokenRecord =
    subject === undefined
      ? { grantId, clientId, scopes: base.accessScopes, issuedAt: now, expiresAt: accessExpiresAt }
      : { grantId, clientId, scopes: base.accessScopes, issuedAt: now, expiresAt: accessExpiresAt, subject };
  const accessToken = { key: access.key, record: accessRecord };
  const issue: TokenIssue =
    refresh === undefined || subject === undefined
      ? { grantId, accessToken }
      : {
          grantId,
          accessToken,
          refreshToken: {
            key: refresh.key,
            record: {
              grantId,
              clientId,
              subject,
              scopes: base.grantScopes,
              issuedAt: now,
              expiresAt: now + ctx.config.ttl.refreshToken * 1000,
            },
          },
        };
  return { access, refresh, accessExpiresAt, issue };
}

/** Mints the access token and, when `withRefresh`, the refresh token of one grant. */
async function mintPair(
  ctx: Context,
  grantId: string,
  withRefresh: boolean,
): Outcome<readonly [MintedToken, MintedToken | undefined]> {
  // One after the other: with a synchronous digest underneath this is two promise
  // hops instead of a race to guard; the first failure wins, as before.
  try {
    const access = await mintToken(ctx.crypto, 'access_token', grantId);
    const refresh = withRefresh ? await mintToken(ctx.crypto, 'refresh_token', grantId) : undefined;
    return ok([access, refresh] as const);
  } catch (cause) {
    return err(sha256Failure(cause));
  }
}

/**
 * The `invalid_grant` errors of the two grants, built only when needed: the
 * success path pays for no error object (the description is sanitised on
 * construction). `oauthError` leaves out an undefined `detail` itself.
 */
const invalidCode = (detail?: string) =>
  oauthError('invalid_grant', 'The authorization code is invalid, expired, or already used.', { detail });
const invalidRefresh = (detail?: string) =>
  oauthError('invalid_grant', 'The refresh token is invalid, expired, or revoked.', { detail });

/** RFC 6749 section 4.1.3: redeem an authorization code. */
async function exchangeCode(ctx: Context, client: ClientRecord, params: Params): Outcome<TokenResponse> {
  const code = params.get('code')?.[0] || undefined;
  if (code === undefined) return err(oauthError('invalid_request', 'The code parameter is missing.'));
  const redirectUri = params.get('redirect_uri')?.[0] || undefined;
  const codeVerifier = params.get('code_verifier')?.[0] || undefined;
  const replayed = (grantId: string, now: number) =>
    // RFC 6749 section 4.1.2 and RFC 9700 section 4.2.4: revoke everything issued from this code.
    revokeReplayed(
      ctx,
      { grantId, clientId: client.id, credential: 'code' },
      now,
      invalidCode('code replayed: grant revoked'),
    );

  let parsed: Awaited<ReturnType<typeof parseToken>>;
  try {
    parsed = await parseToken(ctx.crypto, code);
  } catch (cause) {
    return err(sha256Failure(cause));
  }
  if (parsed === undefined || parsed.kind !== 'code') return err(invalidCode());
  const key = parsed.key;

  let stored: Awaited<ReturnType<typeof ctx.store.findCode>>;
  try {
    stored = await ctx.store.findCode(key);
  } catch (cause) {
    return err(portFailure(cause, 'GrantStore.findCode'));
  }
  const now = ctx.clock.now();
  if (stored === undefined) return err(invalidCode());
  if (stored.consumed) return replayed(stored.record.grantId, now);
  const record = stored.record;

  let verifierChallenge: string | undefined;
  if (codeVerifier !== undefined) {
    try {
      verifierChallenge = base64url(await ctx.crypto.sha256(codeVerifier));
    } catch (cause) {
      return err(sha256Failure(cause));
    }
  }
  const redeemable = checkCodeRedemption(
    record,
    client,
    { redirectUri, codeVerifier, verifierChallenge },
    now,
  );
  if (redeemable.isErr()) return err(redeemable.error);

  const minted = await mintPair(ctx, record.grantId, client.grantTypes.includes('refresh_token'));
  if (minted.isErr()) return err(minted.error);
  const [access, refresh] = minted.value;
  const tokens = grantTokens(
    ctx,
    {
      grantId: record.grantId,
      clientId: client.id,
      subject: record.subject,
      grantScopes: record.scopes,
      accessScopes: record.scopes,
    },
    access,
    refresh,
    now,
  );
  // One atomic step: the code is spent and its tokens stored together, or neither.
  let consumed: Awaited<ReturnType<typeof ctx.store.consumeCode>>;
  try {
    consumed = await ctx.store.consumeCode(key, tokens.issue);
  } catch (cause) {
    return err(portFailure(cause, 'GrantStore.consumeCode'));
  }
  if (consumed.status === 'consumed') {
    if (ctx.onGrantEvent !== undefined) {
      const failed = await emit(ctx, {
        type: 'tokens.issued',
        grantId: record.grantId,
        at: now,
        clientId: client.id,
        subject: record.subject,
        scopes: record.scopes,
        grantType: 'authorization_code',
        refreshToken: refresh !== undefined,
      });
      if (failed !== undefined) return err(failed);
    }
    return ok(tokenResponse(access.value, tokens.accessExpiresAt, now, record.scopes, refresh?.value));
  }
  return consumed.status === 'replayed' ? replayed(consumed.grantId, now) : err(invalidCode());
}

/** The successor tokens of a rotation: derived (grace window) or fresh. */
async function successors(
  ctx: Context,
  grantId: string,
  oldToken: string,
  nonce: string | undefined,
): Outcome<readonly [MintedToken, MintedToken]> {
  const make = (kind: 'access_token' | 'refresh_token') =>
    nonce === undefined
      ? mintToken(ctx.crypto, kind, grantId)
      : deriveToken(ctx.crypto, kind, grantId, oldToken, nonce);
  try {
    const access = await make('access_token');
    return ok([access, await make('refresh_token')] as const);
  } catch (cause) {
    return err(sha256Failure(cause));
  }
}

/**
 * A refresh token that was already rotated: a retry inside the client's grace
 * window gets the same successor again (re-derived, and it must still be the
 * live one); anything else is reuse, and the whole grant is revoked.
 */
async function onReuse(
  ctx: Context,
  client: ClientRecord,
  token: string,
  key: TokenKey,
  record: RefreshTokenRecord,
  now: number,
): Outcome<TokenResponse> {
  const rotation = record.rotation;
  const decision = rotation === undefined ? { kind: 'reuse' as const } : reuseDecision(rotation, client, now);
  const reused = (detail: string) =>
    revokeReplayed(
      ctx,
      { grantId: key.grantId, clientId: client.id, credential: 'refresh_token' },
      now,
      invalidRefresh(detail),
    );
  if (rotation === undefined || decision.kind === 'reuse')
    return reused('refresh token reused: grant revoked');
  const derived = await successors(ctx, key.grantId, token, decision.nonce);
  if (derived.isErr()) return err(derived.error);
  const [access, next] = derived.value;
  if (next.key.hash !== rotation.successor.hash) return err(invalidRefresh());
  let live: RefreshTokenRecord | undefined;
  try {
    live = await ctx.store.findRefreshToken(next.key);
  } catch (cause) {
    return err(portFailure(cause, 'GrantStore.findRefreshToken'));
  }
  return live === undefined || live.rotation !== undefined
    ? reused('grace retry after the successor was used')
    : ok(tokenResponse(access.value, rotation.accessExpiresAt, now, rotation.accessScopes, next.value));
}

/** RFC 6749 section 6, RFC 9700 section 4.14: refresh with rotation and reuse detection. */
async function refresh(ctx: Context, client: ClientRecord, params: Params): Outcome<TokenResponse> {
  const token = params.get('refresh_token')?.[0] || undefined;
  if (token === undefined)
    return err(oauthError('invalid_request', 'The refresh_token parameter is missing.'));
  const scopeParam = params.get('scope')?.[0] || undefined;
  let parsed: Awaited<ReturnType<typeof parseToken>>;
  try {
    parsed = await parseToken(ctx.crypto, token);
  } catch (cause) {
    return err(sha256Failure(cause));
  }
  if (parsed === undefined || parsed.kind !== 'refresh_token') return err(invalidRefresh());
  const key = parsed.key;
  let found: RefreshTokenRecord | undefined;
  try {
    found = await ctx.store.findRefreshToken(key);
  } catch (cause) {
    return err(portFailure(cause, 'GrantStore.findRefreshToken'));
  }
  const now = ctx.clock.now();
  const checked = checkRefreshToken(found, client, now);
  if (checked.isErr()) return err(checked.error);
  const record = checked.value;
  if (record.rotation !== undefined) return onReuse(ctx, client, token, key, record, now);
  const scopes = narrowScopes(scopeParam, record.scopes);
  if (scopes.isErr()) return err(scopes.error);
  const graceful = (client.refreshTokenGraceSeconds ?? 0) > 0;
  const nonce = graceful ? base64url(ctx.crypto.randomBytes(32)) : undefined;
  const minted = await successors(ctx, key.grantId, token, nonce);
  if (minted.isErr()) return err(minted.error);
  const [access, next] = minted.value;
  const tokens = grantTokens(
    ctx,
    {
      grantId: key.grantId,
      clientId: client.id,
      subject: record.subject,
      grantScopes: record.scopes,
      accessScopes: scopes.value,
    },
    access,
    next,
    now,
  );
  const rotation: RefreshRotation = {
    rotatedAt: now,
    successor: next.key,
    accessScopes: scopes.value,
    accessExpiresAt: tokens.accessExpiresAt,
    ...(nonce === undefined ? {} : { nonce }),
  };
  let rotated: Awaited<ReturnType<typeof ctx.store.rotateRefreshToken>>;
  try {
    rotated = await ctx.store.rotateRefreshToken(key, rotation, tokens.issue);
  } catch (cause) {
    return err(portFailure(cause, 'GrantStore.rotateRefreshToken'));
  }
  if (rotated.status === 'rotated') {
    if (ctx.onGrantEvent !== undefined) {
      const failed = await emit(ctx, {
        type: 'tokens.refreshed',
        grantId: key.grantId,
        at: now,
        clientId: client.id,
        subject: record.subject,
        scopes: scopes.value,
      });
      if (failed !== undefined) return err(failed);
    }
    return ok(tokenResponse(access.value, tokens.accessExpiresAt, now, scopes.value, next.value));
  }
  if (rotated.status === 'reused') return onReuse(ctx, client, token, key, rotated.record, now);
  return err(invalidRefresh());
}

/** RFC 6749 section 4.4: client credentials, for confidential clients; no refresh token. */
async function clientCredentials(ctx: Context, client: ClientRecord, params: Params): Outcome<TokenResponse> {
  if (client.tokenEndpointAuthMethod === 'none') {
    return err(oauthError('unauthorized_client', 'Public clients may not use client credentials.'));
  }
  const scopes = requestedScopes(params.get('scope')?.[0] || undefined, client, ctx.config.scopes);
  if (scopes.isErr()) return err(scopes.error);
  const grantId = newGrantId(ctx.crypto);
  const now = ctx.clock.now();
  const minted = await mintPair(ctx, grantId, false);
  if (minted.isErr()) return err(minted.error);
  const [access] = minted.value;
  const tokens = grantTokens(
    ctx,
    {
      grantId,
      clientId: client.id,
      subject: undefined,
      grantScopes: scopes.value,
      accessScopes: scopes.value,
    },
    access,
    undefined,
    now,
  );
  let issued: Awaited<ReturnType<typeof ctx.store.issueTokens>>;
  try {
    issued = await ctx.store.issueTokens(tokens.issue);
  } catch (cause) {
    return err(portFailure(cause, 'GrantStore.issueTokens'));
  }
  if (issued.status !== 'issued') {
    return err(oauthError('server_error', 'The server encountered an unexpected error.'));
  }
  if (ctx.onGrantEvent !== undefined) {
    const clientId = client.id;
    const failed =
      (await emit(ctx, { type: 'grant.created', grantId, at: now, clientId, scopes: scopes.value })) ??
      (await emit(ctx, {
        type: 'tokens.issued',
        grantId,
        at: now,
        clientId,
        scopes: scopes.value,
        grantType: 'client_credentials',
        refreshToken: false,
      }));
    if (failed !== undefined) return err(failed);
  }
  return ok(tokenResponse(access.value, tokens.accessExpiresAt, now, scopes.value));
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
  if (type === 'authorization_code') return exchangeCode(ctx, client, params);
  if (type === 'refresh_token') return refresh(ctx, client, params);
  return clientCredentials(ctx, client, params);
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
  if (!(grantTypes as readonly string[]).includes(type)) {
    return errAsync(oauthError('unsupported_grant_type', 'The grant_type is not supported.'));
  }
  const authorization = typeof request.authorization === 'string' ? request.authorization : undefined;
  return new ResultAsync(grant(ctx, authorization, params, type as GrantType));
}
