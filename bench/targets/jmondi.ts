/**
 * `@jmondi/oauth2-server` with in-memory repositories, as in its docs and
 * examples, on `node:http` (what its Express adapter does: form body into an
 * `OAuthRequest`, `OAuthResponse` out as JSON).
 *
 * Codes and refresh tokens are opaque (`useOpaqueAuthorizationCodes`,
 * `useOpaqueRefreshTokens`). The library has no opaque access token option:
 * with `JMONDI_ACCESS_TOKEN=opaque` (the like-for-like row) its protected
 * `encryptAccessToken` hook is overridden so the access token is the random
 * value its repository stores, as Kraikub's is; otherwise (the `jmondi-jwt`
 * row, more work) it is an HS256 JWT whose `jti` is that value, signed with a
 * `KeyObject` (its best case; see below).
 */
import { createSecretKey, timingSafeEqual } from 'node:crypto';
import {
  AbstractGrant,
  AuthorizationServer,
  DateInterval,
  generateRandomToken,
  JwtService,
  type OAuthAuthCode,
  type OAuthAuthCodeRepository,
  type OAuthClient,
  type OAuthClientRepository,
  OAuthRequest,
  type OAuthScope,
  type OAuthScopeRepository,
  type OAuthToken,
  type OAuthTokenRepository,
  type OAuthUser,
  type OAuthUserRepository,
} from '@jmondi/oauth2-server';
import { handleVanillaError } from '@jmondi/oauth2-server/vanilla';
import { readBody, sendJson } from '../lib/body.ts';
import { client, parallel, runTarget } from '../lib/target.ts';

const scopes: OAuthScope[] = [{ name: client.scope }];
const oauthClient: OAuthClient = {
  id: client.id,
  name: 'Benchmark client',
  secret: client.secret,
  redirectUris: [client.redirectUri],
  allowedGrants: ['authorization_code', 'refresh_token'],
  scopes,
};
const user: OAuthUser = { id: client.subject };

const codes = new Map<string, OAuthAuthCode & { revoked?: boolean }>();
const tokensByAccess = new Map<string, OAuthToken>();
const tokensByRefresh = new Map<string, OAuthToken>();

const clientRepository: OAuthClientRepository = {
  async getByIdentifier(id) {
    if (id !== oauthClient.id) throw new Error('unknown client');
    return oauthClient;
  },
  async isClientValid(grantType, found, secret) {
    if (secret === undefined || found.secret == null) return false;
    const a = Buffer.from(secret);
    const b = Buffer.from(found.secret);
    return a.length === b.length && timingSafeEqual(a, b) && found.allowedGrants.includes(grantType);
  },
};

const scopeRepository: OAuthScopeRepository = {
  async getAllByIdentifiers(names) {
    return scopes.filter((scope) => names.includes(scope.name));
  },
  async finalize(requested) {
    return requested;
  },
};

const userRepository: OAuthUserRepository = {
  async getUserByCredentials(id) {
    return id === user.id ? user : undefined;
  },
};

const authCodeRepository: OAuthAuthCodeRepository = {
  issueAuthCode(issuedTo, issuedFor, granted) {
    return {
      code: generateRandomToken(),
      user: issuedFor ?? null,
      client: issuedTo,
      redirectUri: null,
      codeChallenge: null,
      codeChallengeMethod: null,
      scopes: granted,
      expiresAt: new DateInterval('15m').getEndDate(),
    };
  },
  async persist(code) {
    codes.set(code.code, code);
  },
  async getByIdentifier(code) {
    const found = codes.get(code);
    if (found === undefined) throw new Error('unknown code');
    return found;
  },
  async isRevoked(code) {
    const found = codes.get(code);
    return found === undefined || found.revoked === true || found.expiresAt.getTime() <= Date.now();
  },
  async revoke(code) {
    const found = codes.get(code);
    if (found !== undefined) found.revoked = true;
  },
};

const tokenRepository: OAuthTokenRepository = {
  async issueToken(issuedTo, granted, issuedFor) {
    return {
      accessToken: generateRandomToken(),
      accessTokenExpiresAt: new DateInterval('1h').getEndDate(),
      refreshToken: null,
      refreshTokenExpiresAt: null,
      client: issuedTo,
      user: issuedFor ?? null,
      scopes: granted,
    };
  },
  async issueRefreshToken(token) {
    token.refreshToken = generateRandomToken();
    token.refreshTokenExpiresAt = new DateInterval('30d').getEndDate();
    tokensByRefresh.set(token.refreshToken, token);
    return token;
  },
  async persist(token) {
    tokensByAccess.set(token.accessToken, token);
  },
  async revoke(token) {
    token.accessTokenExpiresAt = new Date(0);
    token.refreshTokenExpiresAt = new Date(0);
    tokensByAccess.delete(token.accessToken);
  },
  async isRefreshTokenRevoked(token) {
    return (token.refreshTokenExpiresAt?.getTime() ?? 0) <= Date.now();
  },
  async getByRefreshToken(refreshToken) {
    const found = tokensByRefresh.get(refreshToken);
    if (found === undefined) throw new Error('unknown refresh token');
    return found;
  },
};

if (process.env.JMONDI_ACCESS_TOKEN === 'opaque') {
  // Every grant inherits the hook: the access token is the stored random value, no JWT is signed.
  (
    AbstractGrant.prototype as unknown as { encryptAccessToken: (...args: unknown[]) => Promise<string> }
  ).encryptAccessToken = async function opaque(_client: unknown, accessToken: unknown) {
    return (accessToken as OAuthToken).accessToken;
  };
}

const server = new AuthorizationServer(
  clientRepository,
  tokenRepository,
  scopeRepository,
  // A KeyObject, not the string its README shows: with a string, jsonwebtoken first tries to parse
  // it as a PEM private key on every signature, and that failed attempt is 60% of the CPU time.
  new JwtService(createSecretKey(Buffer.from('a-secret-of-at-least-32-bytes-for-hs256-signing'))),
  { requiresPKCE: false, useOpaqueAuthorizationCodes: true, useOpaqueRefreshTokens: true },
);
server.enableGrantType({ grant: 'authorization_code', authCodeRepository, userRepository });
server.enableGrantType('refresh_token');

const basic = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;

async function issueCode(): Promise<string> {
  const request = await server.validateAuthorizationRequest(
    new OAuthRequest({
      query: {
        response_type: 'code',
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope: client.scope,
      },
    }),
  );
  request.user = user;
  request.isAuthorizationApproved = true;
  const response = await server.completeAuthorizationRequest(request);
  const code = new URL(response.headers.location as string).searchParams.get('code');
  if (code === null) throw new Error('no code in the redirect');
  return code;
}

runTarget(async () => ({
  path: '/token',
  listener(req, res) {
    readBody(req)
      .then(async (text) => {
        const request = new OAuthRequest({
          headers: req.headers as Record<string, string>,
          body: Object.fromEntries(new URLSearchParams(text)),
        });
        const response = await server.respondToAccessTokenRequest(request);
        sendJson(res, response.status, response.body, response.headers as Record<string, string>);
      })
      .catch((error: unknown) => {
        const response = handleVanillaError(error);
        sendJson(res, response.status, response.body, response.headers as Record<string, string>);
      });
  },
  async mint(work, count) {
    return parallel(count, 64, async () => {
      const code = await issueCode();
      if (work === 'exchange') return code;
      const response = await server.respondToAccessTokenRequest(
        new OAuthRequest({
          headers: { authorization: basic },
          body: { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri },
        }),
      );
      return response.body.refresh_token as string;
    });
  },
}));
