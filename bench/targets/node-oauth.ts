/**
 * `@node-oauth/oauth2-server` 5 with an in-memory model as its docs describe
 * (getClient, getAuthorizationCode, revokeAuthorizationCode, saveToken,
 * getRefreshToken, revokeToken, saveAuthorizationCode), on `node:http`.
 * Opaque tokens from its own generator; `alwaysIssueNewRefreshToken` (its
 * default) rotates refresh tokens. Codes are issued through `authorize`.
 */
import { timingSafeEqual } from 'node:crypto';
import OAuth2Server, {
  type AuthorizationCode,
  type AuthorizationCodeModel,
  type Client,
  type RefreshToken,
  type RefreshTokenModel,
  Request,
  Response,
  type Token,
  type User,
} from '@node-oauth/oauth2-server';
import { readBody, sendJson } from '../lib/body.ts';
import { client, parallel, runTarget } from '../lib/target.ts';

const oauthClient: Client = {
  id: client.id,
  redirectUris: [client.redirectUri],
  grants: ['authorization_code', 'refresh_token'],
};
const secret = Buffer.from(client.secret);
const user: User = { id: client.subject };

const codes = new Map<string, AuthorizationCode>();
const accessTokens = new Map<string, Token>();
const refreshTokens = new Map<string, Token>();

const model: AuthorizationCodeModel & RefreshTokenModel = {
  async getClient(clientId: string, clientSecret: string | null) {
    if (clientId !== oauthClient.id) return false;
    if (clientSecret === null) return oauthClient;
    const given = Buffer.from(clientSecret);
    return given.length === secret.length && timingSafeEqual(given, secret) ? oauthClient : false;
  },
  async saveAuthorizationCode(code, issuedTo, issuedFor) {
    const saved: AuthorizationCode = { ...code, client: issuedTo, user: issuedFor };
    codes.set(code.authorizationCode, saved);
    return saved;
  },
  async getAuthorizationCode(code) {
    return codes.get(code) ?? false;
  },
  async revokeAuthorizationCode(code) {
    return codes.delete(code.authorizationCode);
  },
  async saveToken(token, issuedTo, issuedFor) {
    const saved: Token = { ...token, client: issuedTo, user: issuedFor };
    accessTokens.set(token.accessToken, saved);
    if (token.refreshToken !== undefined) refreshTokens.set(token.refreshToken, saved);
    return saved;
  },
  async getAccessToken(accessToken) {
    return accessTokens.get(accessToken) ?? false;
  },
  async getRefreshToken(refreshToken) {
    return (refreshTokens.get(refreshToken) as RefreshToken | undefined) ?? false;
  },
  async revokeToken(token) {
    return refreshTokens.delete(token.refreshToken);
  },
  async validateScope(_user, _client, scope) {
    return scope?.every((s) => s === client.scope) ? scope : false;
  },
};

const server = new OAuth2Server({ model, allowEmptyState: true });
const basic = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;

async function issueCode(): Promise<string> {
  const response = new Response();
  await server.authorize(
    new Request({
      method: 'GET',
      headers: {},
      query: {
        response_type: 'code',
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope: client.scope,
        state: 'bench',
      },
    }),
    response,
    { authenticateHandler: { handle: () => user } },
  );
  const code = new URL(response.headers?.location as string).searchParams.get('code');
  if (code === null) throw new Error('no code in the redirect');
  return code;
}

function tokenRequest(
  headers: Record<string, string | string[] | undefined>,
  body: Record<string, string>,
): Request {
  return new Request({ method: 'POST', headers: headers as Record<string, string>, query: {}, body });
}

runTarget(async () => ({
  path: '/token',
  listener(req, res) {
    const response = new Response();
    readBody(req)
      .then((text) =>
        server.token(tokenRequest(req.headers, Object.fromEntries(new URLSearchParams(text))), response),
      )
      .then(
        () =>
          sendJson(res, response.status ?? 200, response.body, response.headers as Record<string, string>),
        () =>
          sendJson(res, response.status ?? 500, response.body, response.headers as Record<string, string>),
      );
  },
  async mint(work, count) {
    return parallel(count, 64, async () => {
      const code = await issueCode();
      if (work === 'exchange') return code;
      const token = await server.token(
        tokenRequest(
          {
            authorization: basic,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': '1',
          },
          { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri },
        ),
        new Response(),
      );
      return token.refreshToken as string;
    });
  },
}));
