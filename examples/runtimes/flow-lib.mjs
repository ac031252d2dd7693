// One OpenID Connect flow through the Fetch handler, with no server socket:
// runs unchanged on Node, Bun, Deno and Cloudflare Workers (and any runtime
// with Request/Response and Web Crypto). The ID Token is signed here (through
// @kraikub/jose) and verified with jose against the handler's own JWKS.
//
// Everything happens inside runFlow, nothing at module load: a Worker may not
// generate keys or random values in its global scope, only while it handles a
// request.
import { createHandler, createInteractions, verifyBearer } from '@kraikub/adapter-http';
import { MemoryClientStore, MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import { createAuthorizationServer, sha256Base64url, webCrypto } from '@kraikub/core';
import { createJoseSigner, generateSigningKey } from '@kraikub/jose';
import { createLocalJWKSet, jwtVerify } from 'jose';

const issuer = 'https://id.example.com';
const redirectUri = 'https://app.example.com/callback';
const secret = 'runtime-secret';

/** Runs the flow once, on fresh stores and a fresh key, and returns what it saw. */
export async function runFlow() {
  const server = createAuthorizationServer({
    config: { issuer, scopes: { openid: 'Sign you in', profile: 'Your profile' } },
    clients: new MemoryClientStore([
      {
        id: 'app',
        name: 'App',
        redirectUris: [redirectUri],
        tokenEndpointAuthMethod: 'client_secret_basic',
        secretHash: await sha256Base64url(webCrypto, secret),
        scopes: ['openid', 'profile'],
      },
    ]),
    store: new MemoryGrantStore(),
    signer: await createJoseSigner({ keys: { keys: [await generateSigningKey('ES256')] } }),
    findClaims: async ({ subject }) => ({ name: `User ${subject}` }),
  });
  const interactions = createInteractions(server, { store: new MemoryInteractionStore() });
  const handler = createHandler(server, {
    interactions,
    interact: () => ({ type: 'approve', subject: 'runtime-user' }),
  });

  const query = new URLSearchParams({
    response_type: 'code',
    client_id: 'app',
    redirect_uri: redirectUri,
    scope: 'openid profile',
    state: 'a&b=c',
    nonce: 'n-0S6_WzA2Mj',
  });
  const authorize = await handler(new Request(`${issuer}/authorize?${query}`));
  const location = new URL(authorize.headers.get('location'));
  const token = await handler(
    new Request(`${issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`app:${secret}`)}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: location.searchParams.get('code'),
        redirect_uri: redirectUri,
      }),
    }),
  );
  const tokens = await token.json();
  const bearer = await verifyBearer(
    server,
    new Request('https://api.example.com/me', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    }),
  );
  const metadata = await (
    await handler(new Request(`${issuer}/.well-known/oauth-authorization-server`))
  ).json();
  const jwks = await (await handler(new Request(`${issuer}/jwks`))).json();
  const { payload } = await jwtVerify(tokens.id_token, createLocalJWKSet(jwks), { issuer, audience: 'app' });
  const userinfo = await (
    await handler(
      new Request(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    )
  ).json();

  return {
    authorizeStatus: authorize.status,
    state: location.searchParams.get('state'),
    iss: location.searchParams.get('iss'),
    tokenStatus: token.status,
    cacheControl: token.headers.get('cache-control'),
    tokenType: tokens.token_type,
    subject: bearer.ok ? bearer.token.subject : null,
    issuer: metadata.issuer,
    idToken: { sub: payload.sub, nonce: payload.nonce },
    userinfo,
  };
}
