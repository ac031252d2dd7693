import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';

/** What the demo client needs to know about its provider and itself. */
export interface ClientAppOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Where this app runs, e.g. http://localhost:4000. */
  readonly baseUrl: string;
  readonly scope?: string;
}

interface Session {
  // Fields are cleared by setting them to undefined: a mutable session, not a stored record.
  pending?: { state: string; codeVerifier: string; nonce: string } | undefined;
  /** The validated claims of the latest ID Token (OpenID Connect). */
  idToken?: { readonly raw: string; readonly claims: Record<string, unknown> } | undefined;
  tokens?:
    | {
        access_token: string;
        refresh_token?: string;
        expires_in?: number;
        scope?: string;
        token_type: string;
      }
    | undefined;
  profile?: unknown | undefined;
  /** Set once the tokens were revoked: they are dead, so they are no longer shown. */
  revoked?: boolean | undefined;
  message?: string | undefined;
  error?: string | undefined;
}

const esc = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** Shows the start and end of a token, never the whole of it. */
export const mask = (token: string | undefined) =>
  token === undefined ? '(none)' : `${token.slice(0, 8)}…${token.slice(-4)}`;

/** The permissions granted to the API: the scope without `openid`, which is the sign-in itself. */
const apiScopes = (scope: string | undefined) =>
  (scope ?? '')
    .split(' ')
    .filter((s) => s !== '' && s !== 'openid')
    .join(' ');

/** Who signed in, from the ID Token the client validated (OpenID Connect). */
function idTokenTable(claims: Record<string, unknown>): string {
  const time = (value: unknown) => (typeof value === 'number' ? new Date(value * 1000).toISOString() : '');
  const rows: [string, string][] = [
    ['sub', String(claims.sub ?? '')],
    ['name', String(claims.name ?? '')],
    ['email', String(claims.email ?? '')],
    ['iss', String(claims.iss ?? '')],
    ['aud', String(claims.aud ?? '')],
    ['auth_time', time(claims.auth_time)],
    ['exp', time(claims.exp)],
    ['amr', Array.isArray(claims.amr) ? claims.amr.join(' ') : ''],
  ];
  return `<h2>ID Token (who signed in)</h2><table id="id-token">${rows
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `<tr><th>${esc(name)}</th><td>${esc(value)}</td></tr>`)
    .join('')}</table>`;
}

function page(session: Session): string {
  const t = session.tokens;
  const tokens =
    t === undefined
      ? ''
      : session.revoked === true
        ? `<p class="note" id="revoked">The access and refresh tokens were revoked: they are no longer shown. Refresh below to see the provider refuse the revoked refresh token, or disconnect.</p>`
        : `<h2>Token response</h2><table id="tokens">
<tr><th>access_token</th><td><code>${esc(mask(t.access_token))}</code></td></tr>
<tr><th>refresh_token</th><td><code>${esc(mask(t.refresh_token))}</code></td></tr>
<tr><th>token_type</th><td>${esc(t.token_type)}</td></tr>
<tr><th>expires_in</th><td>${esc(String(t.expires_in ?? ''))}</td></tr>
<tr><th>scope</th><td>${esc(apiScopes(t.scope))}</td></tr></table>
${session.idToken === undefined ? '' : idTokenTable(session.idToken.claims)}`;
  const body =
    t === undefined
      ? `<p>Not connected.</p><form method="post" action="/connect"><button class="primary" id="connect">Connect with Kraikub</button></form>`
      : `${tokens}
<h2>GET /api/me</h2><pre id="profile">${esc(JSON.stringify(session.profile ?? null, null, 2))}</pre>
<div class="row">
<form method="post" action="/me"><button id="call-api">Call /api/me</button></form>
<form method="post" action="/refresh"><button id="refresh">Refresh</button></form>
<form method="post" action="/revoke"><button id="revoke">Revoke</button></form>
<form method="post" action="/disconnect"><button id="disconnect">Disconnect</button></form>
${session.idToken === undefined ? '' : '<form method="post" action="/logout"><button id="logout">Sign out of Kraikub</button></form>'}</div>`;
  const notice = session.error
    ? `<p class="error" id="error">${esc(session.error)}</p>`
    : session.message
      ? `<p class="note" id="message">${esc(session.message)}</p>`
      : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Kraikub demo app</title>
<style>*{box-sizing:border-box}body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
@media (max-width:30rem){body{margin:1rem auto}h1{font-size:1.5rem}}
button{font:inherit;padding:.5rem 1rem;border-radius:8px;border:1px solid #d0d7de;background:#f6f8fa;cursor:pointer}
.primary{background:#7a3e00;color:#fff;border:0;font-weight:600}.row{display:flex;gap:.5rem;flex-wrap:wrap}
table{width:100%;border-collapse:collapse;table-layout:fixed}th{text-align:left;padding-right:1rem;width:9rem;vertical-align:top}
td,code,p{overflow-wrap:anywhere}pre{background:#f6f8fa;padding:1rem;border-radius:8px;white-space:pre-wrap;overflow-wrap:anywhere}
.error{color:#a40e26;background:#ffebe9;padding:.5rem 1rem;border-radius:8px}.note{background:#ddf4ff;padding:.5rem 1rem;border-radius:8px}</style>
</head><body><h1>Kraikub demo app</h1>${notice}${body}</body></html>`;
}

/**
 * The demo client: a server-side web app that runs the authorization code
 * flow with PKCE and state (oauth4webapi), shows the token response
 * (masked), calls the protected resource, refreshes and revokes.
 */
export function createClientApp(options: ClientAppOptions): (request: Request) => Promise<Response> {
  const issuer = new URL(options.issuer);
  // http is allowed only because the demo runs on localhost.
  const insecure = issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
  const client: oauth.Client = { client_id: options.clientId };
  const clientAuth = oauth.ClientSecretBasic(options.clientSecret);
  const redirectUri = `${options.baseUrl}/callback`;
  const sessions = new Map<string, Session>();
  let discovered: oauth.AuthorizationServer | undefined;

  const server = async () => {
    if (discovered === undefined) {
      const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
      discovered = await oauth.processDiscoveryResponse(issuer, response);
    }
    return discovered;
  };

  const sessionOf = (request: Request): { id: string; session: Session; fresh: boolean } => {
    const id = /(?:^|;\s*)demo_session=([A-Za-z0-9_-]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
    const existing = id === undefined ? undefined : sessions.get(id);
    if (id !== undefined && existing !== undefined) return { id, session: existing, fresh: false };
    const fresh = randomBytes(24).toString('base64url');
    const session: Session = {};
    sessions.set(fresh, session);
    return { id: fresh, session, fresh: true };
  };

  const home = (id: string) =>
    new Response(null, {
      status: 303,
      headers: { location: '/', 'set-cookie': `demo_session=${id}; Path=/; HttpOnly; SameSite=Lax` },
    });

  const callApi = async (session: Session, as: oauth.AuthorizationServer) => {
    const token = session.tokens?.access_token;
    if (token === undefined) return;
    const url = new URL('/api/me', as.issuer);
    let response: Response;
    try {
      response = await oauth.protectedResourceRequest(token, 'GET', url, undefined, undefined, insecure);
    } catch (error) {
      // oauth4webapi throws on a 401/403 that carries a WWW-Authenticate challenge; show that response.
      if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
      response = error.response;
    }
    session.profile = response.ok
      ? await response.json()
      : { status: response.status, 'www-authenticate': response.headers.get('www-authenticate') };
  };

  return async (request) => {
    const url = new URL(request.url);
    const { id, session } = sessionOf(request);
    try {
      if (url.pathname === '/' && request.method === 'GET') {
        const body = page(session);
        session.message = undefined;
        session.error = undefined;
        return new Response(body, {
          headers: {
            'content-type': 'text/html; charset=utf-8',
            'set-cookie': `demo_session=${id}; Path=/; HttpOnly; SameSite=Lax`,
          },
        });
      }
      if (url.pathname === '/connect' && request.method === 'POST') {
        const as = await server();
        const codeVerifier = oauth.generateRandomCodeVerifier();
        const state = oauth.generateRandomState();
        const nonce = oauth.generateRandomNonce();
        session.pending = { state, codeVerifier, nonce };
        const target = new URL(as.authorization_endpoint ?? '');
        target.searchParams.set('response_type', 'code');
        target.searchParams.set('client_id', options.clientId);
        target.searchParams.set('redirect_uri', redirectUri);
        target.searchParams.set('scope', options.scope ?? 'openid profile email offline_access');
        target.searchParams.set('nonce', nonce);
        target.searchParams.set('state', state);
        target.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
        target.searchParams.set('code_challenge_method', 'S256');
        return new Response(null, {
          status: 303,
          headers: {
            location: target.href,
            'set-cookie': `demo_session=${id}; Path=/; HttpOnly; SameSite=Lax`,
          },
        });
      }
      if (url.pathname === '/callback' && request.method === 'GET') {
        const as = await server();
        const pending = session.pending;
        session.pending = undefined;
        if (pending === undefined) {
          session.error = 'No sign-in in progress.';
          return home(id);
        }
        // Checks state and iss (RFC 9207), and turns error responses into exceptions.
        const params = oauth.validateAuthResponse(as, client, url, pending.state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          clientAuth,
          params,
          redirectUri,
          pending.codeVerifier,
          insecure,
        );
        // Checks the ID Token as OpenID Connect Core 3.1.3.7 asks: iss, aud, azp, exp, iat, nonce.
        const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
          expectedNonce: pending.nonce,
          requireIdToken: (options.scope ?? 'openid').split(' ').includes('openid'),
        });
        session.tokens = result;
        const claims = oauth.getValidatedIdTokenClaims(result);
        session.idToken =
          claims === undefined || result.id_token === undefined
            ? undefined
            : { raw: result.id_token, claims: { ...claims } };
        session.revoked = undefined;
        await callApi(session, as);
        session.message = 'Connected.';
        return home(id);
      }
      if (url.pathname === '/me' && request.method === 'POST') {
        await callApi(session, await server());
        return home(id);
      }
      if (url.pathname === '/refresh' && request.method === 'POST') {
        const as = await server();
        const refreshToken = session.tokens?.refresh_token;
        if (refreshToken === undefined) throw new Error('No refresh token.');
        const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, insecure);
        try {
          const result = await oauth.processRefreshTokenResponse(as, client, response);
          session.tokens = result;
          const claims = oauth.getValidatedIdTokenClaims(result);
          if (claims !== undefined && result.id_token !== undefined) {
            session.idToken = { raw: result.id_token, claims: { ...claims } };
          }
        } catch (error) {
          // A refused refresh token (revoked, expired, reused) is dead: forget the tokens.
          if (error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant') {
            session.tokens = undefined;
            session.revoked = undefined;
            session.profile = undefined;
          }
          throw error;
        }
        session.message = 'Refreshed: new access and refresh tokens.';
        return home(id);
      }
      if (url.pathname === '/revoke' && request.method === 'POST') {
        const as = await server();
        const refreshToken = session.tokens?.refresh_token ?? session.tokens?.access_token;
        if (refreshToken === undefined) throw new Error('Nothing to revoke.');
        await oauth.processRevocationResponse(
          await oauth.revocationRequest(as, client, clientAuth, refreshToken, insecure),
        );
        await callApi(session, as);
        session.revoked = true;
        session.message = 'Revoked: the grant is gone, so /api/me now answers 401.';
        return home(id);
      }
      if (url.pathname === '/logout' && request.method === 'POST') {
        // RP-initiated logout: the provider ends its session, then sends the browser back here.
        const as = await server();
        const hint = session.idToken?.raw;
        sessions.delete(id);
        const fresh = sessionOf(new Request(url)).id;
        if (as.end_session_endpoint === undefined || hint === undefined) return home(fresh);
        const target = new URL(as.end_session_endpoint);
        target.searchParams.set('id_token_hint', hint);
        target.searchParams.set('post_logout_redirect_uri', `${options.baseUrl}/`);
        return new Response(null, {
          status: 303,
          headers: {
            location: target.href,
            'set-cookie': `demo_session=${fresh}; Path=/; HttpOnly; SameSite=Lax`,
          },
        });
      }
      if (url.pathname === '/disconnect' && request.method === 'POST') {
        sessions.delete(id);
        return home(sessionOf(new Request(url)).id);
      }
      return new Response('Not found', { status: 404 });
    } catch (error) {
      session.error =
        error instanceof oauth.AuthorizationResponseError
          ? `The provider answered ${error.error}: ${error.error_description ?? ''}`
          : error instanceof oauth.ResponseBodyError
            ? `The provider answered ${error.error}: ${error.error_description ?? ''}`
            : `Error: ${(error as Error).message}`;
      return home(id);
    }
  };
}
