/**
 * A provider for the tests: core + the PostgreSQL stores + adapter-http's handler,
 * and the steps of a real flow (authorize, approve, exchange, refresh,
 * introspect) driven through it.
 */
import { createHandler, createInteractions, type FetchHandler } from '@kraikub/adapter-http';
import { MemoryClientStore } from '@kraikub/adapter-memory';
import {
  type AuthorizationServer,
  base64url,
  type ClientStore,
  createAuthorizationServer,
  type GrantStore,
  type InteractionStore,
  sha256Base64url,
  webCrypto,
} from '@kraikub/core';

export const ISSUER = 'http://localhost:3999';
export const REDIRECT = 'https://client.example/callback';
export const CLIENT_ID = 'app';
export const CLIENT_SECRET = 'kbs_app-secret-for-tests';

/** The confidential client every test provider knows. */
export async function clientRegistration() {
  return {
    id: CLIENT_ID,
    name: 'Test App',
    redirectUris: [REDIRECT],
    tokenEndpointAuthMethod: 'client_secret_basic' as const,
    secretHash: await sha256Base64url(webCrypto, CLIENT_SECRET),
    grantTypes: ['authorization_code' as const, 'refresh_token' as const],
    scopes: ['profile', 'email'],
  };
}

export const basic = `Basic ${btoa(`${CLIENT_ID}:${CLIENT_SECRET}`)}`;

export interface TestProvider {
  readonly server: AuthorizationServer;
  readonly handler: FetchHandler;
}

/** A provider on the given grant store (and client and interaction stores). */
export async function testProvider(options: {
  grants: GrantStore;
  clients?: ClientStore;
  interactions: InteractionStore;
}): Promise<TestProvider> {
  const server = createAuthorizationServer({
    config: { issuer: ISSUER, scopes: { profile: 'Your profile', email: 'Your email' } },
    clients: options.clients ?? new MemoryClientStore([await clientRegistration()]),
    store: options.grants,
  });
  const interactions = createInteractions(server, { store: options.interactions });
  const handler = createHandler(server, {
    interactions,
    // Tests approve at once as the user named in x-test-user.
    interact: ({ httpRequest }) => {
      const user = httpRequest.headers.get('x-test-user');
      return user === null ? new Response('login', { status: 200 }) : { type: 'approve', subject: user };
    },
  });
  return { server, handler };
}

/** A PKCE pair. */
export async function pkce() {
  const verifier = base64url(webCrypto.randomBytes(32));
  return { verifier, challenge: base64url(await webCrypto.sha256(verifier)) };
}

/** Runs the authorization request and approval in process: the code and its verifier. */
export async function issueCode(server: AuthorizationServer, subject = 'alice') {
  const { verifier, challenge } = await pkce();
  const request = await server.authorize({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: 'profile',
    state: 's',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  if (request.isErr()) throw new Error(`authorize: ${request.error.error}`);
  const approved = await server.approve(request.value, { subject });
  if (approved.isErr()) throw new Error(`approve: ${approved.error.error}`);
  const code = new URL(approved.value.url).searchParams.get('code');
  if (code === null) throw new Error('approve: no code');
  return { code, verifier };
}

export const exchangeParams = (code: string, verifier: string) => ({
  grant_type: 'authorization_code',
  code,
  redirect_uri: REDIRECT,
  code_verifier: verifier,
});

/** A form POST to `path` with the client's Basic credentials. */
export function post(path: string, params: Record<string, string>, base = ISSUER): Request {
  return new Request(new URL(path, base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
    body: new URLSearchParams(params).toString(),
  });
}

/**
 * A provider whose authorization endpoint parks the request in `interactions`
 * and answers with the interaction id as text (the host's login page, in
 * short); `login(id, user)` approves it as the host would after a login.
 */
export async function interactiveProvider(options: {
  grants: GrantStore;
  clients: ClientStore;
  interactions: InteractionStore;
}) {
  const server = createAuthorizationServer({
    config: { issuer: ISSUER, scopes: { profile: 'Your profile', email: 'Your email' } },
    clients: options.clients,
    store: options.grants,
  });
  const interactions = createInteractions(server, { store: options.interactions });
  const handler = createHandler(server, {
    interactions,
    interact: ({ interactionId }) =>
      new Response(interactionId, { headers: { 'content-type': 'text/plain' } }),
  });

  /** GET /authorize with PKCE: the interaction id and the verifier. */
  async function start() {
    const { verifier, challenge } = await pkce();
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      scope: 'profile',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const page = await handler(new Request(`${ISSUER}/authorize?${query}`));
    if (page.status !== 200) throw new Error(`authorize: ${page.status} ${await page.text()}`);
    return { interaction: await page.text(), verifier };
  }

  /** Completes an interaction with an approval: the code, or undefined when it is gone. */
  async function login(interaction: string, user = 'alice'): Promise<string | undefined> {
    const done = await interactions.complete(interaction, { type: 'approve', subject: user });
    if (!('location' in done)) return undefined;
    return new URL(done.location).searchParams.get('code') ?? undefined;
  }

  return { server, handler, start, login };
}
