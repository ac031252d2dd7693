import {
  createHandler,
  createInteractions,
  type Decision,
  type EndSessionCallback,
  type FetchHandler,
  type InteractCallback,
  type RequestInfo,
  statusOf,
  verifyBearer,
} from '@kraikub/adapter-http';
import { nodeCrypto } from '@kraikub/adapter-http/node';
import { MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import {
  type AuthorizationRequest,
  type AuthorizationServer,
  type AuthorizationServerConfigInput,
  type ClientIdMetadataDocumentOptions,
  type ClientStore,
  createAuthorizationServer,
  type GrantStore,
  type InteractionStore,
  isTransient,
  type RegistrationOptions,
  type SignerPort,
} from '@kraikub/core';
import { type Context, Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { HtmlEscapedString } from 'hono/utils/html';
import { Consents } from './consents.ts';
import { type LogLine, requestLog } from './log.ts';
import { LoginLimiter } from './rate-limit.ts';
import { csrfMatches, type Session, Sessions } from './sessions.ts';
import { type AppStore, MemoryAppStore } from './store/app-store.ts';
import type { Users } from './users.ts';
import { accountPage, consentPage, errorPage, loginPage, messagePage, signOutPage } from './views.ts';

/** The scopes this provider offers, with what the consent screen says about each. */
export const scopes = {
  profile: 'See your name and user id',
  email: 'See your email address',
  offline_access: 'Stay connected when you are not using the app',
  'mcp:tools': 'Use the tools of an MCP server on your behalf',
} as const;

/**
 * `openid` (with a signer): sign-in itself. The consent page says "wants to
 * access your account" for it and does not list it as a permission.
 */
const openidScope = { openid: 'Sign you in with your Kraikub account' } as const;

export interface ProviderAppOptions {
  readonly issuer: string;
  readonly clients: ClientStore;
  readonly users: Users;
  readonly grants?: GrantStore;
  readonly interactionStore?: InteractionStore;
  /** Sessions, remembered consents and login rate limits. Default: in memory. */
  readonly appStore?: AppStore;
  /** Failed logins allowed per account and per address in 15 minutes. */
  readonly loginLimit?: { readonly perAccount: number; readonly perIp: number };
  /**
   * The APIs and MCP servers tokens are issued for (core's `resourceServers`, RFC 8707): the
   * scopes each accepts, the client it introspects as, its token format.
   */
  readonly resourceServers?: AuthorizationServerConfigInput['resourceServers'];
  /** Where the JSON request log goes, one line per request; none when absent. */
  readonly log?: LogLine;
  /**
   * Signs ID Tokens: with it the provider speaks OpenID Connect (scope
   * `openid`, UserInfo at /userinfo, discovery, RP-initiated logout).
   */
  readonly signer?: SignerPort;
  /** Dynamic client registration (RFC 7591, 7592) at `/register`; absent: off. */
  readonly registration?: RegistrationOptions;
  /** Client ID Metadata Documents (https URL client ids), fetched through `fetch`; absent: off. */
  readonly clientIdMetadataDocuments?: ClientIdMetadataDocumentOptions;
  /** The peer address of a request, from the runtime (Node's socket, Bun's or Deno's connection info). */
  readonly remoteAddressOf?: (c: Context<AppEnv>) => string | undefined;
}

export interface ProviderApp {
  readonly server: AuthorizationServer;
  /** The Hono app: mount it, or serve `handler`. */
  readonly app: Hono<AppEnv>;
  /** The whole provider as a Fetch handler; `info.remoteAddress` is the peer address when known. */
  readonly handler: FetchHandler;
}

/** What the runtime hands the app beside the request, and what a request's handlers share. */
export interface AppEnv {
  Bindings: { remoteAddress?: string | undefined };
  Variables: { requestId: string };
}

/**
 * The CSP source of a redirect URI: its origin, or its scheme for a
 * private-use scheme (or an IPv6 literal, which CSP host sources cannot name).
 * Browsers apply `form-action` to the redirects after a form's POST too, so
 * the login and consent pages, whose POST ends at the client, must allow it.
 */
function formTargetOf(redirectUri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return undefined;
  }
  if (!/^[a-z][a-z0-9+.-]*:$/.test(url.protocol)) return undefined;
  const web = url.protocol === 'http:' || url.protocol === 'https:';
  return web && !url.hostname.startsWith('[') ? url.origin : url.protocol;
}

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A page: HTML, never cached (the security headers come from `secureHeaders`). */
const pageOf = async (c: Context<AppEnv>, body: Html, status = 200) =>
  c.html(await body, status as 200, { 'cache-control': 'no-store' });

const seeOther = (c: Context<AppEnv>, location: string) => {
  c.header('cache-control', 'no-store');
  return c.redirect(location, 303);
};

/** The pages' CSP; `formTarget` is where a form's POST may finally redirect to, beside this origin. */
const contentSecurityPolicy = (formTarget?: string) =>
  `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'${formTarget === undefined ? '' : ` ${formTarget}`}; frame-ancestors 'none'`;

/**
 * A page that completes `request`'s interaction may post on to the client's
 * redirect URI: its own CSP (`secureHeaders` sets the default one on every
 * other page, and keeps this one).
 */
const completing = (c: Context<AppEnv>, request: { readonly redirectUri: string } | undefined) => {
  const target = request === undefined ? undefined : formTargetOf(request.redirectUri);
  if (target !== undefined) c.header('content-security-policy', contentSecurityPolicy(target));
};

/** Reads a form of at most 16 KiB; `undefined` for anything else. */
async function formOf(c: Context<AppEnv>): Promise<URLSearchParams | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) return undefined;
  const text = await c.req.text();
  return text.length > 16 * 1024 ? undefined : new URLSearchParams(text);
}

const noStore = { 'cache-control': 'no-store' };

/** Renders synchronous templates to a string (the library's error page wants one). */
function text(body: Html): string {
  if (body instanceof Promise) throw new TypeError('the error page template must be synchronous');
  return body.toString();
}

/**
 * The whole provider as one Hono app: the OAuth endpoints of
 * `@kraikub/adapter-http` (mounted as its Fetch handler), plus this host's
 * own pages (login, consent, account) and a protected resource,
 * `GET /api/me`. It keeps nothing per process: sessions, consents and rate
 * limits are in `appStore`, codes, tokens and interactions in the stores
 * given, so any process serves any request.
 */
export function createProviderApp(options: ProviderAppOptions): ProviderApp {
  const secureCookies = options.issuer.startsWith('https:');
  const store = options.appStore ?? new MemoryAppStore();
  const consents = new Consents(store);
  const server = createAuthorizationServer({
    config: {
      issuer: options.issuer,
      scopes: options.signer === undefined ? { ...scopes } : { ...openidScope, ...scopes },
      requirePkce: false,
      resourceServers: [...(options.resourceServers ?? [])],
    },
    clients: options.clients,
    store: options.grants ?? new MemoryGrantStore(),
    // node:crypto's one-shot SHA-256 and pooled random bytes (Node, Bun and Deno all have node:crypto).
    crypto: nodeCrypto,
    onGrantEvent: (event) => consents.hear(event),
    ...(options.signer === undefined ? {} : { signer: options.signer }),
    ...(options.registration === undefined ? {} : { registration: options.registration }),
    ...(options.clientIdMetadataDocuments === undefined
      ? {}
      : { clientIdMetadataDocuments: options.clientIdMetadataDocuments }),
    // The users' data for ID Tokens and UserInfo: core releases only what the scopes and claims allow.
    findClaims: async ({ subject }) => {
      const user = options.users.byId(subject);
      return user === undefined
        ? {}
        : { name: user.name, preferred_username: user.username, email: user.email, email_verified: true };
    },
  });
  const interactions = createInteractions(server, {
    store: options.interactionStore ?? new MemoryInteractionStore(),
  });
  const sessions = new Sessions(store, { secure: secureCookies });
  const limit = options.loginLimit ?? { perAccount: 5, perIp: 20 };
  const accountLimiter = new LoginLimiter(store, limit.perAccount, 15 * 60_000);
  const ipLimiter = new LoginLimiter(store, limit.perIp, 15 * 60_000);
  const { users } = options;
  const addressOf = (c: Context<AppEnv>) =>
    c.env?.remoteAddress ??
    options.remoteAddressOf?.(c) ??
    // @hono/node-server passes Node's request as `incoming`: its socket's address.
    (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket
      ?.remoteAddress;

  const expired = (c: Context<AppEnv>, message: string, status = 400) =>
    pageOf(c, messagePage('Request expired', message), status);

  /** Completes an interaction and remembers the consent. */
  const finish = async (
    c: Context<AppEnv>,
    interactionId: string,
    decision: Decision,
    userId?: string,
  ): Promise<Response> => {
    const done = await interactions.complete(interactionId, decision);
    if (!('location' in done)) {
      return done.kind === 'not_found'
        ? expired(
            c,
            'This sign-in request has expired or was already used. Go back to the application and try again.',
          )
        : pageOf(c, messagePage('Something went wrong', done.description), done.status);
    }
    if (decision.type === 'approve' && userId !== undefined) {
      await consents.remember(
        userId,
        done.request.client.id,
        decision.scopes ?? done.request.scopes,
        done.request.resources ?? [],
      );
    }
    return seeOther(c, done.location);
  };

  /**
   * Whether a signed-in user may be approved at once for `request`, as
   * OpenID Connect asks: `prompt=login` and a too-old authentication
   * (`max_age`) want a new sign-in, an `id_token_hint` a particular user;
   * `prompt=consent` wants the consent page even when consent is remembered.
   */
  const signedInFor = (request: AuthorizationRequest, session: Session | undefined) => {
    const openid = request.openid;
    const authTime = session?.authTime ?? 0;
    if (session?.userId === undefined) return false;
    if (openid?.prompt.includes('login') === true && authTime < openid.requestedAt) return false;
    if (openid?.maxAge !== undefined && Date.now() - authTime > openid.maxAge * 1000) return false;
    return openid?.idTokenHintSubject === undefined || openid.idTokenHintSubject === session.userId;
  };
  const consentedTo = async (request: AuthorizationRequest, userId: string) =>
    request.openid?.prompt.includes('consent') !== true &&
    (await consents.covers(userId, request.client.id, request.scopes, request.resources ?? []));
  /** The approval of a signed-in user: with when and how they authenticated (the ID Token's auth_time, amr). */
  const approval = (session: Session & { readonly userId: string }): Decision => ({
    type: 'approve',
    subject: session.userId,
    amr: ['pwd'],
    ...(session.authTime === undefined ? {} : { authTime: session.authTime }),
  });

  const interact: InteractCallback = async ({ request, interactionId, httpRequest }) => {
    const session = await sessions.fromRequest(httpRequest);
    const none = request.openid?.prompt.includes('none') === true;
    const page = (path: string) =>
      new Response(null, {
        status: 303,
        headers: { location: `${path}?interaction=${interactionId}`, ...noStore },
      });
    if (session === undefined || !signedInFor(request, session) || session.userId === undefined) {
      return none ? { type: 'deny', error: 'login_required' } : page('/login');
    }
    if (await consentedTo(request, session.userId)) return approval({ ...session, userId: session.userId });
    return none ? { type: 'deny', error: 'consent_required' } : page('/consent');
  };

  const app = new Hono<AppEnv>();
  app.use(requestId());
  if (options.log !== undefined) app.use(requestLog(options.log));
  app.use(
    secureHeaders({
      xFrameOptions: 'DENY',
      referrerPolicy: 'no-referrer',
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      // The provider's endpoints set their own headers; these fill in what they leave out.
      overwrite: false,
    }),
  );
  // Browsers say where a form came from (Origin, Sec-Fetch-Site): cross-site posts to the app's own
  // forms are refused before the session's CSRF token is even read. Clients that say nothing
  // (command-line tools, tests) still need the token.
  const sameOrigin = csrf({ origin: new URL(options.issuer).origin });
  for (const path of ['/login', '/consent', '/account/revoke', '/logout']) {
    app.post(path, async (c, next) =>
      c.req.header('origin') === undefined && c.req.header('sec-fetch-site') === undefined
        ? next()
        : sameOrigin(c, next),
    );
  }

  app.get('/login', async (c) => {
    const session = await sessions.currentOrStart(c);
    const interaction = c.req.query('interaction') ?? '';
    const pending = await interactions.find(interaction);
    if (interaction !== '' && pending === undefined) {
      return expired(c, 'This sign-in request has expired. Go back to the application and try again.');
    }
    completing(c, pending);
    // OpenID Connect login_hint: the user the client expects, as a starting value.
    return pageOf(
      c,
      loginPage({
        interaction,
        csrf: session.csrf,
        clientName: pending?.client.name,
        username: pending?.openid?.loginHint?.slice(0, 100),
      }),
    );
  });

  app.post('/login', async (c) => {
    const form = await formOf(c);
    const session = await sessions.current(c);
    if (form === undefined || !csrfMatches(session, form.get('csrf') ?? undefined)) {
      return pageOf(c, messagePage('Session expired', 'Reload the page and sign in again.'), 403);
    }
    const username = (form.get('username') ?? '').slice(0, 100);
    const password = (form.get('password') ?? '').slice(0, 200);
    const interaction = form.get('interaction') ?? '';
    const pending = await interactions.find(interaction);
    completing(c, pending);
    const again = (error: string, status: number) =>
      pageOf(
        c,
        loginPage({
          interaction,
          csrf: session?.csrf ?? '',
          error,
          username,
          clientName: pending?.client.name,
        }),
        status,
      );
    const accountKey = `account:${username.toLowerCase()}`;
    // The peer address the runtime saw (the socket), never a header a client can set.
    const ipKey = `ip:${addressOf(c) ?? 'unknown'}`;
    if (!(await accountLimiter.allowed(accountKey)) || !(await ipLimiter.allowed(ipKey))) {
      return again('Too many failed attempts. Wait a few minutes and try again.', 429);
    }
    const user = await users.authenticate(username, password);
    if (user === undefined) {
      await accountLimiter.fail(accountKey);
      await ipLimiter.fail(ipKey);
      return again('Wrong username or password.', 401);
    }
    await accountLimiter.reset(accountKey);
    // A fresh session id at sign-in (no fixation); the old one is dropped.
    await sessions.discard(session);
    const fresh = await sessions.start(c, user.id);
    if (pending === undefined) return seeOther(c, '/account');
    if (await consentedTo(pending, user.id)) {
      return finish(c, interaction, approval({ ...fresh, userId: user.id }), user.id);
    }
    return seeOther(c, `/consent?interaction=${encodeURIComponent(interaction)}`);
  });

  app.get('/consent', async (c) => {
    const session = await sessions.current(c);
    const interaction = c.req.query('interaction') ?? '';
    const user = session?.userId === undefined ? undefined : users.byId(session.userId);
    if (session === undefined || user === undefined) {
      return seeOther(c, `/login?interaction=${encodeURIComponent(interaction)}`);
    }
    const pending = await interactions.find(interaction);
    if (pending === undefined) {
      return expired(c, 'This sign-in request has expired. Go back to the application and try again.');
    }
    completing(c, pending);
    return pageOf(
      c,
      consentPage({
        interaction,
        csrf: session.csrf,
        clientName: pending.client.name,
        clientUrl: pending.client.id.startsWith('https://') ? pending.client.id : undefined,
        userName: user.name,
        scopes: pending.scopes
          .filter((name) => name !== 'openid')
          .map((name) => ({ name, description: server.config.scopes[name] ?? name })),
        resources: pending.resources ?? [],
      }),
    );
  });

  app.post('/consent', async (c) => {
    const form = await formOf(c);
    const session = await sessions.current(c);
    const user = session?.userId === undefined ? undefined : users.byId(session.userId);
    if (form === undefined || user === undefined || !csrfMatches(session, form.get('csrf') ?? undefined)) {
      return pageOf(c, messagePage('Session expired', 'Reload the page and try again.'), 403);
    }
    const interaction = form.get('interaction') ?? '';
    const decision: Decision =
      form.get('decision') === 'approve'
        ? approval({ ...(session as Session), userId: user.id })
        : { type: 'deny', description: 'The user denied the request.' };
    return finish(c, interaction, decision, user.id);
  });

  app.get('/account', async (c) => {
    const session = await sessions.current(c);
    const user = session?.userId === undefined ? undefined : users.byId(session.userId);
    if (session === undefined || user === undefined) return seeOther(c, '/login');
    const list = await Promise.all(
      (await consents.list(user.id)).map(async (consent) => ({
        ...consent,
        clientName: (await options.clients.findClient(consent.clientId))?.name ?? consent.clientId,
      })),
    );
    return pageOf(c, accountPage({ userName: user.name, csrf: session.csrf, consents: list }));
  });

  app.post('/account/revoke', async (c) => {
    const form = await formOf(c);
    const session = await sessions.current(c);
    if (
      form === undefined ||
      session?.userId === undefined ||
      !csrfMatches(session, form.get('csrf') ?? undefined)
    ) {
      return pageOf(c, messagePage('Session expired', 'Reload the page and try again.'), 403);
    }
    const clientId = form.get('client_id') ?? '';
    for (const grantId of await consents.grants(session.userId, clientId)) {
      const revoked = await server.revokeGrant(grantId);
      // The consent stays listed until every grant is revoked, so the user can try again.
      if (revoked.isErr()) {
        return pageOf(
          c,
          messagePage('Something went wrong', revoked.error.description),
          statusOf(revoked.error),
        );
      }
    }
    await consents.forget(session.userId, clientId);
    return seeOther(c, '/account');
  });

  app.post('/logout', async (c) => {
    const form = await formOf(c);
    const session = await sessions.current(c);
    if (session !== undefined && form !== undefined && csrfMatches(session, form.get('csrf') ?? undefined)) {
      await sessions.end(c, session);
    }
    return seeOther(c, '/login');
  });

  app.all('/api/me', async (c) => {
    const auth = await verifyBearer(server, c.req.raw, { scopes: ['profile'] });
    if (!auth.ok) return auth.response;
    const user = auth.token.subject === undefined ? undefined : users.byId(auth.token.subject);
    if (user === undefined) return c.json({ error: 'not_found' }, 404, noStore);
    return c.json(
      {
        sub: user.id,
        name: user.name,
        preferred_username: user.username,
        ...(auth.token.scopes.includes('email') ? { email: user.email } : {}),
      },
      200,
      noStore,
    );
  });

  app.get('/', (c) =>
    pageOf(
      c,
      messagePage(
        'Kraikub',
        'This is the Kraikub sign-in service. Applications send you here to sign in; your account is at /account.',
      ),
    ),
  );

  // Everything else is the provider's: /authorize, /token, /revoke, /introspect and the metadata.
  /**
   * RP-initiated logout: with a valid id_token_hint the client asked, so the
   * session ends at once; without one anyone could have sent the user here,
   * so the user confirms on a page of ours (a form back to /end-session
   * with the session's CSRF token).
   */
  const endSession: EndSessionCallback = async ({ request, httpRequest }) => {
    const session = await sessions.fromRequest(httpRequest);
    // RP-Initiated Logout section 2: a hint naming someone else than the signed-in user is no consent
    // (anyone holding an ID Token of their own could build such a link): ask first.
    let confirmed = request.hinted && (session?.userId === undefined || session.userId === request.subject);
    if (!confirmed && httpRequest.method === 'POST') {
      const form = new URLSearchParams(await httpRequest.clone().text());
      confirmed = csrfMatches(session, form.get('csrf') ?? undefined);
    }
    if (!confirmed) {
      const fresh = session ?? (await sessions.create());
      const params = new URL(httpRequest.url).searchParams;
      return new Response(text(signOutPage({ csrf: fresh.csrf, params: [...params] })), {
        headers: {
          'content-type': 'text/html; charset=utf-8',
          ...noStore,
          'content-security-policy': contentSecurityPolicy(),
          'x-frame-options': 'DENY',
          ...(session === undefined ? { 'set-cookie': sessions.cookieFor(fresh) } : {}),
        },
      });
    }
    await sessions.discard(session);
    return { headers: { 'set-cookie': sessions.clearedCookie() } };
  };

  const provider = createHandler(server, {
    interactions,
    interact,
    endSession,
    // The provider's own look for every error page the library shows.
    errorPage: ({ description, error }) => text(errorPage(description, error)),
    fallback: (request) =>
      (request.headers.get('accept') ?? '').includes('text/html')
        ? new Response(text(messagePage('Not found', 'There is no such page.')), {
            status: 404,
            headers: { 'content-type': 'text/html; charset=utf-8', ...noStore },
          })
        : Response.json({ error: 'not_found' }, { status: 404, headers: noStore }),
  });
  app.all('*', (c) => provider(c.req.raw, { remoteAddress: addressOf(c) }));

  // A store outage is a 503 on every page (HTML for browsers, JSON for APIs); anything else a 500.
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status < 500) {
      return c.json({ error: 'forbidden' }, error.status, noStore);
    }
    const status = isTransient(error) ? 503 : 500;
    const code = status === 503 ? 'temporarily_unavailable' : 'server_error';
    const description =
      status === 503
        ? 'The service is temporarily unavailable. Try again later.'
        : 'The server encountered an unexpected error.';
    (options.log ?? ((line: string) => console.error(line)))(
      JSON.stringify({
        level: 'error',
        time: new Date().toISOString(),
        reqId: c.get('requestId'),
        error: String(error),
      }),
    );
    return (c.req.header('accept') ?? '').includes('text/html')
      ? c.html(text(errorPage(description, code)), status, noStore)
      : c.json({ error: code, error_description: description }, status, noStore);
  });

  const handler: FetchHandler = async (request: Request, info?: RequestInfo) =>
    app.fetch(request, { remoteAddress: info?.remoteAddress });
  return { server, app, handler };
}
