/**
 * Interop, the part shared by every client library: the provider as started
 * by `start()` on node:http (once per test file), the clients registered in
 * it, the user who goes through the provider's real pages with plain
 * `fetch` (cookies, CSRF tokens and interaction ids are read from the HTML,
 * exactly as a browser would send them), and the tests every library must
 * pass: {@link describeInterop}. Each library has its test file
 * (`test/interop-<library>.test.ts`), which adapts it to {@link Library}.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Base64url, webCrypto } from '@kraikub/core';
import * as oauth from 'oauth4webapi';
import type { CustomFetchOptions } from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadSettings } from '../../src/config.ts';
import { start } from '../../src/main.ts';

/** The limit of one request to the provider, in ms. */
export const requestTimeoutMs = 5_000;
const fullScope = 'profile email offline_access';

// ---------------------------------------------------------------------------
// The provider

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Starts the provider on a free loopback port, its issuer matching that port. */
async function startProvider(clientsFile: string) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const settings = loadSettings({
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: issuer,
      CLIENTS_FILE: clientsFile,
      DEMO: 'false',
      LOG_REQUESTS: 'false',
      // The confidential clients that introspect the public clients' tokens, as resource servers.
      RESOURCE_SERVERS: JSON.stringify(
        ['oauth4webapi', 'openidclient'].map((name) => ({
          resource: `https://${name}.api.example`,
          clientId: `${name}-resource-server`,
        })),
      ),
    });
    try {
      return { ...(await start(settings)), issuer };
    } catch (error) {
      // Another process took the port between the probe and the listen: try another one.
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 3) throw error;
    }
  }
}

export interface TestClient {
  readonly id: string;
  readonly method: 'client_secret_basic' | 'client_secret_post' | 'none';
  readonly secret?: string;
  readonly redirectUri: string;
  /** For an OpenID Connect client: where it may send the user after signing out. */
  readonly postLogoutRedirectUri?: string;
}

/**
 * The provider under test, once per test file: `start` in `beforeAll`, `stop`
 * in `afterAll`. A failed start is kept and rethrown by each test (through
 * `register`) so that it counts as a failure, not a skip.
 */
export class InteropProvider {
  #running: Awaited<ReturnType<typeof startProvider>> | undefined;
  #tempDir: string | undefined;
  #startError: unknown;

  async start(): Promise<void> {
    try {
      this.#tempDir = await mkdtemp(join(tmpdir(), 'kraikub-interop-'));
      this.#running = await startProvider(join(this.#tempDir, 'clients.json'));
    } catch (error) {
      this.#startError = error;
    }
  }

  async stop(): Promise<void> {
    const running = this.#running;
    if (running !== undefined) {
      running.http.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        running.http.close((error) => (error ? reject(error) : resolve())),
      );
    }
    if (this.#tempDir !== undefined) await rm(this.#tempDir, { recursive: true, force: true });
  }

  /** The provider's issuer: `http://127.0.0.1:<port>`. */
  get issuer(): string {
    return this.#started().issuer;
  }

  /**
   * Registers a client in the running provider's MemoryClientStore; an
   * OpenID Connect client (`openid: true`) may also ask for `openid` and
   * has `https://<id>.example/signed-out` as its post-logout redirect URI.
   */
  async register(
    id: string,
    method: TestClient['method'],
    options: { readonly openid?: boolean } = {},
  ): Promise<TestClient> {
    const provider = this.#started();
    const secret = method === 'none' ? undefined : `${id}-secret-${crypto.randomUUID()}`;
    const redirectUri = `https://${id}.example/callback`;
    const postLogoutRedirectUri = `https://${id}.example/signed-out`;
    provider.clients.register({
      id,
      name: `Interop ${id}`,
      redirectUris: [redirectUri],
      tokenEndpointAuthMethod: method,
      ...(secret === undefined ? {} : { secretHash: await sha256Base64url(webCrypto, secret) }),
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: [...(options.openid === true ? ['openid'] : []), 'profile', 'email', 'offline_access'],
      ...(options.openid === true ? { postLogoutRedirectUris: [postLogoutRedirectUri] } : {}),
    });
    return {
      id,
      method,
      redirectUri,
      ...(options.openid === true ? { postLogoutRedirectUri } : {}),
      ...(secret === undefined ? {} : { secret }),
    };
  }

  #started() {
    if (this.#startError !== undefined) throw this.#startError;
    if (this.#running === undefined) throw new Error('the provider is not started');
    return this.#running;
  }
}

// ---------------------------------------------------------------------------
// The user: plain fetch through the provider's real login and consent pages

const decodeHtml = (text: string) =>
  text.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name] ?? '',
  );

/** The first POST form of a page: its action and its hidden fields. */
function formOf(html: string): { action: string; hidden: Record<string, string> } {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (action === undefined) throw new Error('no POST form on the page');
  const end = html.indexOf('</form>', html.indexOf(action));
  const body = html.slice(html.indexOf(action), end);
  const hidden: Record<string, string> = {};
  for (const match of body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    hidden[match[1] as string] = decodeHtml(match[2] as string);
  }
  return { action: decodeHtml(action), hidden };
}

export interface UserAgentResult {
  /** The URL the provider finally redirected to (the client's redirect URI with the response). */
  readonly callback: URL;
  /** Provider pages shown on the way, by path. */
  readonly pages: string[];
}

/**
 * A user at a browser: opens the authorization URL (at the provider `issuer`), follows redirects,
 * signs in on /login, decides on /consent, and stops at the redirect to the
 * client (which is not followed: its query holds the authorization response).
 */
export async function userAgent(
  issuer: string,
  authorizationUrl: URL,
  redirectUri: string,
  user: { username: string; password: string; decision: 'approve' | 'deny' },
  /** The browser's cookies: pass the same map to continue one browser session across flows. */
  jar = new Map<string, string>(),
): Promise<UserAgentResult> {
  const pages: string[] = [];
  const send = async (url: URL, form?: Record<string, string>) => {
    const headers = new Headers();
    if (jar.size > 0) headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    if (form !== undefined) headers.set('content-type', 'application/x-www-form-urlencoded');
    const response = await fetch(url, {
      method: form === undefined ? 'GET' : 'POST',
      headers,
      ...(form === undefined ? {} : { body: new URLSearchParams(form).toString() }),
      redirect: 'manual',
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };

  let response = await send(authorizationUrl);
  let url = authorizationUrl;
  /** The `form-action` sources of the page whose form was just posted (browsers apply them to its redirects). */
  let formAction: string[] | undefined;
  for (let step = 0; step < 12; step++) {
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      if (location === null) throw new Error(`${response.status} without Location from ${url.pathname}`);
      const next = new URL(location, url);
      await response.body?.cancel();
      if (formAction !== undefined && next.origin !== issuer) {
        expect(
          formAction,
          `the page's CSP form-action lets the browser follow its POST to ${next.origin}`,
        ).toEqual(expect.arrayContaining([next.origin]));
      }
      formAction = undefined;
      if (`${next.origin}${next.pathname}` === redirectUri) return { callback: next, pages };
      expect(next.origin, 'redirects stay on the provider until the final one').toBe(issuer);
      url = next;
      response = await send(url);
      continue;
    }
    const html = await response.text();
    expect(response.status, `${url.pathname}: ${html.slice(0, 300)}`).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(jar.has('kraikub_session'), 'the provider set its session cookie').toBe(true);
    pages.push(url.pathname);
    const form = formOf(html);
    expect(form.hidden.csrf, 'a CSRF token in the form').toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(form.hidden.interaction, 'the interaction id in the form').toBeTruthy();
    const action = new URL(form.action, url);
    formAction = /(?:^|;)\s*form-action ([^;]*)/
      .exec(response.headers.get('content-security-policy') ?? '')?.[1]
      ?.trim()
      .split(/\s+/)
      .map((source) => (source === "'self'" ? issuer : source));
    if (url.pathname === '/login') {
      response = await send(action, { ...form.hidden, username: user.username, password: user.password });
    } else if (url.pathname === '/consent') {
      response = await send(action, { ...form.hidden, decision: user.decision });
    } else {
      throw new Error(`unexpected page ${url.pathname}`);
    }
    url = action;
  }
  throw new Error('the flow did not reach the redirect URI');
}

// ---------------------------------------------------------------------------
// The libraries behind one small interface

export interface Tokens {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly token_type: string;
  readonly expires_in?: number;
  readonly scope?: string;
}

/** What the client sent to the token endpoint: how it authenticated, and which parameters. */
export interface SentRequest {
  readonly path: string;
  readonly authorization: string | null;
  readonly params: URLSearchParams;
}

export interface Connection {
  readonly metadata: Record<string, unknown>;
  /** Every request the library made to the provider's endpoints (through {@link ProviderAccess.fetch}). */
  readonly sent: SentRequest[];
  /** A new authorization request (PKCE S256 and state); `finish` validates the response and redeems the code. */
  begin(scope: string): Promise<{ url: URL; finish(callback: URL): Promise<Tokens> }>;
  refresh(refreshToken: string): Promise<Tokens>;
  introspect(token: string): Promise<Record<string, unknown>>;
  revoke(token: string): Promise<void>;
  /** GET /api/me through the library's protected resource request. */
  me(accessToken: string): Promise<{ status: number; body: unknown; challenge: string | null }>;
}

/** What a library is given to reach the provider. */
export interface ProviderAccess {
  /** The provider's issuer, where the library discovers the metadata. */
  readonly issuer: string;
  /** The fetch the library must send every request with: it records them in {@link Connection.sent}. */
  readonly fetch: ReturnType<typeof recordingFetch>;
}

/** A client library, adapted to {@link Connection}. */
export interface Library {
  readonly name: string;
  connect(client: TestClient, provider: ProviderAccess): Promise<Omit<Connection, 'sent'>>;
}

/** A fetch that records what the library sends (form bodies and the Authorization header). */
function recordingFetch(sent: SentRequest[]) {
  return (url: string, init: CustomFetchOptions): Promise<Response> => {
    const headers = new Headers(init.headers);
    const body = init.body;
    const params =
      body instanceof URLSearchParams || typeof body === 'string'
        ? new URLSearchParams(body)
        : new URLSearchParams();
    sent.push({ path: new URL(url).pathname, authorization: headers.get('authorization'), params });
    return fetch(url, {
      ...init,
      body: (body ?? null) as BodyInit | null,
      signal: init.signal ?? AbortSignal.timeout(requestTimeoutMs),
    });
  };
}

export async function challengeResponse(
  call: () => Promise<Response>,
  challengeError: typeof oauth.WWWAuthenticateChallengeError,
) {
  let response: Response;
  try {
    response = await call();
  } catch (error) {
    // Both libraries throw on a 401 that carries a WWW-Authenticate challenge; the response is kept.
    if (!(error instanceof challengeError)) throw error;
    response = error.response;
  }
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    challenge: response.headers.get('www-authenticate'),
  };
}

// ---------------------------------------------------------------------------
// The tests

export const alice = { username: 'alice', password: 'wonderland' } as const;
const bob = { username: 'bob', password: 'builder' } as const;

const aliceProfile = {
  sub: 'u-alice',
  name: 'Alice Liddell',
  preferred_username: 'alice',
  email: 'alice@example.com',
};

/** Checks how the library authenticated at the token endpoint. */
function expectClientAuthentication(request: SentRequest | undefined, client: TestClient) {
  expect(request, 'a token request was sent').toBeDefined();
  const { authorization, params } = request as SentRequest;
  if (client.method === 'client_secret_basic') {
    expect(authorization).toMatch(/^Basic /);
    // RFC 6749 section 2.3.1: id and secret form-urlencoded, then joined by a colon.
    const [id = '', secret = ''] = Buffer.from((authorization ?? '').slice(6), 'base64')
      .toString('utf8')
      .split(':')
      .map((part) => decodeURIComponent(part.replaceAll('+', ' ')));
    expect({ id, secret }).toEqual({ id: client.id, secret: client.secret });
    expect(params.has('client_secret')).toBe(false);
  } else if (client.method === 'client_secret_post') {
    expect(authorization).toBeNull();
    expect(params.get('client_id')).toBe(client.id);
    expect(params.get('client_secret')).toBe(client.secret);
  } else {
    expect(authorization).toBeNull();
    expect(params.get('client_id')).toBe(client.id);
    expect(params.has('client_secret')).toBe(false);
  }
}

const inactive = { active: false };

/**
 * The interop tests of one library, in the calling test file: starts the
 * provider once for the file (`beforeAll`), stops it after (`afterAll`), and
 * runs every test against `library`.
 */
export function describeInterop(library: Library): void {
  const provider = new InteropProvider();
  beforeAll(() => provider.start());
  afterAll(() => provider.stop());

  const connect = async (client: TestClient): Promise<Connection> => {
    const sent: SentRequest[] = [];
    const connection = await library.connect(client, {
      issuer: provider.issuer,
      fetch: recordingFetch(sent),
    });
    return { ...connection, sent };
  };

  describe.each([library])('$name against the provider', () => {
    const prefix = library.name.replace(/[^a-z0-9]/g, '');
    test('discovers the RFC 8414 metadata', async () => {
      const { metadata } = await connect(await provider.register(`${prefix}-discovery`, 'none'));
      const issuer = provider.issuer;
      expect(metadata).toMatchObject({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        revocation_endpoint: `${issuer}/revoke`,
        introspection_endpoint: `${issuer}/introspect`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
      expect(metadata.token_endpoint_auth_methods_supported).toEqual(
        expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']),
      );
      expect(metadata.scopes_supported).toEqual(
        expect.arrayContaining(['profile', 'email', 'offline_access']),
      );
    });

    test.each([
      { label: 'client_secret_basic', method: 'client_secret_basic' as const },
      { label: 'client_secret_post', method: 'client_secret_post' as const },
      { label: 'public client with PKCE', method: 'none' as const },
    ])('code flow, refresh, introspection and revocation: $label', async ({ method }) => {
      const testClient = await provider.register(`${prefix}-${method.replaceAll('_', '-')}`, method);
      const connection = await connect(testClient);
      // A public client cannot introspect: a confidential one (a resource server) does it for its tokens.
      const introspector =
        method === 'none'
          ? await connect(await provider.register(`${prefix}-resource-server`, 'client_secret_basic'))
          : connection;

      // Authorization request → login → consent → code.
      const { url, finish } = await connection.begin(fullScope);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      const { callback, pages } = await userAgent(provider.issuer, url, testClient.redirectUri, {
        ...alice,
        decision: 'approve',
      });
      expect(pages).toEqual(['/login', '/consent']);
      expect(callback.searchParams.get('code')).toMatch(/^kbc_/);
      expect(callback.searchParams.get('iss')).toBe(provider.issuer);

      // The library validates state and iss, then redeems the code with the verifier.
      const tokens = await finish(callback);
      const tokenRequest = connection.sent.find((r) => r.path === '/token');
      expectClientAuthentication(tokenRequest, testClient);
      expect(tokenRequest?.params.get('grant_type')).toBe('authorization_code');
      expect(tokenRequest?.params.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
      expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 3600, scope: fullScope });
      expect(tokens.access_token).toMatch(/^kba_/);
      expect(tokens.refresh_token).toMatch(/^kbr_/);

      // The protected resource.
      const me = await connection.me(tokens.access_token);
      expect(me).toMatchObject({ status: 200, body: aliceProfile });

      // Introspection of both tokens.
      expect(await introspector.introspect(tokens.access_token)).toMatchObject({
        active: true,
        client_id: testClient.id,
        sub: 'u-alice',
        scope: fullScope,
        token_type: 'Bearer',
        iss: provider.issuer,
      });
      // RFC 7662 section 4: a client sees its own refresh token; a resource server never sees another's.
      expect(await introspector.introspect(tokens.refresh_token ?? '')).toEqual(
        method === 'none'
          ? inactive
          : expect.objectContaining({ active: true, client_id: testClient.id, token_type: 'refresh_token' }),
      );

      // Refresh: both tokens rotate, the old refresh token is spent.
      const refreshed = await connection.refresh(tokens.refresh_token ?? '');
      expectClientAuthentication(connection.sent.filter((r) => r.path === '/token').at(-1), testClient);
      expect(refreshed).toMatchObject({ token_type: 'bearer', scope: fullScope });
      expect(refreshed.access_token).toMatch(/^kba_/);
      expect(refreshed.access_token).not.toBe(tokens.access_token);
      expect(refreshed.refresh_token).toMatch(/^kbr_/);
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      expect(await introspector.introspect(tokens.refresh_token ?? '')).toEqual(inactive);
      expect(await connection.me(refreshed.access_token)).toMatchObject({ status: 200, body: aliceProfile });

      // Revoking the refresh token ends the whole grant.
      await connection.revoke(refreshed.refresh_token ?? '');
      const revocation = connection.sent.find((r) => r.path === '/revoke');
      expect(revocation?.params.get('token')).toBe(refreshed.refresh_token);
      expect(await introspector.introspect(refreshed.refresh_token ?? '')).toEqual(inactive);
      expect(await introspector.introspect(refreshed.access_token)).toEqual(inactive);
      expect(await introspector.introspect(tokens.access_token)).toEqual(inactive);
      const after = await connection.me(refreshed.access_token);
      expect(after.status).toBe(401);
      expect(after.challenge).toMatch(/^Bearer /);
      expect(after.challenge).toContain('error="invalid_token"');
      await expect(connection.refresh(refreshed.refresh_token ?? '')).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    });

    test('a denied consent reaches the library as access_denied', async () => {
      const testClient = await provider.register(`${prefix}-denied`, 'client_secret_basic');
      const connection = await connect(testClient);
      const { url, finish } = await connection.begin('profile');
      const { callback, pages } = await userAgent(provider.issuer, url, testClient.redirectUri, {
        ...bob,
        decision: 'deny',
      });
      expect(pages).toEqual(['/login', '/consent']);
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.has('code')).toBe(false);

      const failure = await finish(callback).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(oauth.AuthorizationResponseError);
      expect(failure).toMatchObject({ error: 'access_denied' });
      expect(
        connection.sent.some((r) => r.path === '/token'),
        'no token request after a denial',
      ).toBe(false);
    });

    test('a remembered consent: the next sign-in goes from the login page straight back to the client', async () => {
      const testClient = await provider.register(`${prefix}-remembered`, 'client_secret_basic');
      const connection = await connect(testClient);
      const first = await connection.begin('profile email');
      const firstRun = await userAgent(provider.issuer, first.url, testClient.redirectUri, {
        ...alice,
        decision: 'approve',
      });
      expect(firstRun.pages).toEqual(['/login', '/consent']);
      await first.finish(firstRun.callback);

      const second = await connection.begin('profile');
      const secondRun = await userAgent(provider.issuer, second.url, testClient.redirectUri, {
        ...alice,
        decision: 'deny',
      });
      expect(secondRun.pages, 'no consent page: the earlier consent covers these scopes').toEqual(['/login']);
      const tokens = await second.finish(secondRun.callback);
      expect(tokens.scope).toBe('profile');
      expect(await connection.me(tokens.access_token)).toMatchObject({
        status: 200,
        body: { sub: 'u-alice' },
      });
    });

    test('a replayed code is refused and the tokens it issued are revoked', async () => {
      const testClient = await provider.register(`${prefix}-replay`, 'client_secret_post');
      const connection = await connect(testClient);
      const { url, finish } = await connection.begin('profile');
      const { callback } = await userAgent(provider.issuer, url, testClient.redirectUri, {
        ...alice,
        decision: 'approve',
      });
      const tokens = await finish(callback);
      expect(await connection.me(tokens.access_token)).toMatchObject({ status: 200 });

      await expect(finish(callback)).rejects.toMatchObject({ error: 'invalid_grant' });
      expect(await connection.introspect(tokens.access_token)).toEqual(inactive);
      expect((await connection.me(tokens.access_token)).status).toBe(401);
    });
  });
}
