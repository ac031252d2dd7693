import {
  createHandler,
  createInteractions,
  type Decision,
  type FetchHandler,
  type InteractCallback,
  type RequestInfo,
  statusOf,
  verifyBearer,
} from '@kraikub/adapter-http';
import { nodeCrypto } from '@kraikub/adapter-http/node';
import { MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import {
  type AuthorizationServer,
  type ClientStore,
  createAuthorizationServer,
  type GrantEvent,
  type GrantStore,
  type InteractionStore,
} from '@kraikub/core';
import { accountPage, consentPage, loginPage, messagePage } from './pages.ts';
import { LoginLimiter } from './rate-limit.ts';
import { csrfMatches, type Session, Sessions, sessionCookie } from './sessions.ts';
import type { Users } from './users.ts';

/** The scopes this provider offers, with what the consent screen says about each. */
export const scopes = {
  profile: 'See your name and user id',
  email: 'See your email address',
  offline_access: 'Stay connected when you are not using the app',
} as const;

export interface ProviderAppOptions {
  readonly issuer: string;
  readonly clients: ClientStore;
  readonly users: Users;
  readonly grants?: GrantStore;
  readonly interactionStore?: InteractionStore;
  /** APIs that may introspect any access token (core's `resourceServers`). */
  readonly resourceServers?: readonly { readonly resource: string; readonly clientId: string }[];
  /** Failed logins allowed per account and per IP in 15 minutes. */
  readonly loginLimit?: { readonly perAccount: number; readonly perIp: number };
}

export interface ProviderApp {
  readonly server: AuthorizationServer;
  readonly handler: FetchHandler;
}

/**
 * Consents a user gave, per client, and the grants made under them. Grants
 * are learned from the server's grant events, whichever path made them (the
 * consent page, or a remembered consent decided at once inside `interact`),
 * so revoking a consent ends every grant of it.
 */
class Consents {
  readonly #byUser = new Map<string, Map<string, { scopes: Set<string>; grants: Set<string> }>>();

  #entry(userId: string, clientId: string) {
    const clients =
      this.#byUser.get(userId) ?? new Map<string, { scopes: Set<string>; grants: Set<string> }>();
    this.#byUser.set(userId, clients);
    const consent = clients.get(clientId) ?? { scopes: new Set<string>(), grants: new Set<string>() };
    clients.set(clientId, consent);
    return consent;
  }

  covers(userId: string, clientId: string, wanted: readonly string[]): boolean {
    const consent = this.#byUser.get(userId)?.get(clientId);
    return (
      consent !== undefined && consent.scopes.size > 0 && wanted.every((scope) => consent.scopes.has(scope))
    );
  }

  remember(userId: string, clientId: string, granted: readonly string[]): void {
    const consent = this.#entry(userId, clientId);
    for (const scope of granted) consent.scopes.add(scope);
  }

  /** The server's events: every grant made for a user is recorded under its client. */
  hear(event: GrantEvent): void {
    if (event.type === 'grant.created' && event.subject !== undefined) {
      this.#entry(event.subject, event.clientId).grants.add(event.grantId);
    }
  }

  list(userId: string): { clientId: string; scopes: string[] }[] {
    return [...(this.#byUser.get(userId) ?? [])]
      .filter(([, c]) => c.scopes.size > 0)
      .map(([clientId, c]) => ({ clientId, scopes: [...c.scopes] }));
  }

  /** The grants made for a user under a client. */
  grants(userId: string, clientId: string): string[] {
    return [...(this.#byUser.get(userId)?.get(clientId)?.grants ?? [])];
  }

  /** Forgets the consent and its grants (once they are revoked). */
  forget(userId: string, clientId: string): void {
    this.#byUser.get(userId)?.delete(clientId);
  }
}

/** The page's CSP; `formTarget` is where a form's POST may finally redirect to, beside this origin. */
const contentSecurityPolicy = (formTarget?: string) =>
  `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'${formTarget === undefined ? '' : ` ${formTarget}`}; frame-ancestors 'none'`;

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

/** Headers of a page whose form completes `request`'s interaction (and so redirects to its client). */
const completingPage = (request: { readonly redirectUri: string } | undefined): Record<string, string> => {
  const target = request === undefined ? undefined : formTargetOf(request.redirectUri);
  return target === undefined ? {} : { 'content-security-policy': contentSecurityPolicy(target) };
};

/** Every page: no framing, no referrer, no caching, no sniffing. */
const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': contentSecurityPolicy(),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const html = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { ...pageHeaders, ...headers } });

const seeOther = (location: string, headers: Record<string, string> = {}) =>
  new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store', ...headers } });

/** Every error answer carries no-store, like the library's own. */
const notFound = () =>
  Response.json({ error: 'not_found' }, { status: 404, headers: { 'cache-control': 'no-store' } });

async function formOf(request: Request): Promise<URLSearchParams | undefined> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) return undefined;
  const text = await request.text();
  return text.length > 16 * 1024 ? undefined : new URLSearchParams(text);
}

/**
 * The whole provider as one Fetch handler: the OAuth endpoints from
 * `@kraikub/adapter-http`, plus this host's own pages (login, consent,
 * account) and a protected resource, `GET /api/me`.
 */
export function createProviderApp(options: ProviderAppOptions): ProviderApp {
  const secureCookies = options.issuer.startsWith('https:');
  const consents = new Consents();
  const server = createAuthorizationServer({
    config: {
      issuer: options.issuer,
      scopes: { ...scopes },
      requirePkce: false,
      resourceServers: [...(options.resourceServers ?? [])],
    },
    clients: options.clients,
    store: options.grants ?? new MemoryGrantStore(),
    // node:crypto's one-shot SHA-256 and pooled random bytes: the provider runs on Node.
    crypto: nodeCrypto,
    onGrantEvent: (event) => consents.hear(event),
  });
  const interactions = createInteractions(server, {
    store: options.interactionStore ?? new MemoryInteractionStore(),
  });
  const sessions = new Sessions();
  const limit = options.loginLimit ?? { perAccount: 5, perIp: 20 };
  const accountLimiter = new LoginLimiter(limit.perAccount, 15 * 60_000);
  const ipLimiter = new LoginLimiter(limit.perIp, 15 * 60_000);
  const { users } = options;

  /** Every page gets a session, so every form can carry a CSRF token. */
  const withSession = (request: Request): { session: Session; setCookie: Record<string, string> } => {
    const existing = sessions.get(request);
    if (existing !== undefined) return { session: existing, setCookie: {} };
    const session = sessions.create();
    return { session, setCookie: { 'set-cookie': sessionCookie(session, secureCookies) } };
  };

  /** Completes an interaction and remembers the consent with its grant. */
  const finish = async (interactionId: string, decision: Decision, userId?: string): Promise<Response> => {
    const done = await interactions.complete(interactionId, decision);
    if (!('location' in done)) {
      return done.kind === 'not_found'
        ? html(
            messagePage(
              'Request expired',
              'This sign-in request has expired or was already used. Go back to the application and try again.',
            ),
            400,
          )
        : html(messagePage('Something went wrong', done.description), done.status);
    }
    if (decision.type === 'approve' && userId !== undefined) {
      consents.remember(userId, done.request.client.id, decision.scopes ?? done.request.scopes);
    }
    return seeOther(done.location);
  };

  const interact: InteractCallback = ({ request, interactionId, httpRequest }) => {
    const session = sessions.get(httpRequest);
    const user = session?.userId === undefined ? undefined : users.byId(session.userId);
    if (user === undefined) return seeOther(`/login?interaction=${interactionId}`);
    if (consents.covers(user.id, request.client.id, request.scopes))
      return { type: 'approve', subject: user.id };
    return seeOther(`/consent?interaction=${interactionId}`);
  };

  const routes = async (request: Request, info: RequestInfo): Promise<Response> => {
    const url = new URL(request.url);
    const { pathname } = url;
    const method = request.method;

    if (pathname === '/login' && method === 'GET') {
      const { session, setCookie } = withSession(request);
      const interaction = url.searchParams.get('interaction') ?? '';
      const pending = await interactions.find(interaction);
      if (interaction !== '' && pending === undefined) {
        return html(
          messagePage(
            'Request expired',
            'This sign-in request has expired. Go back to the application and try again.',
          ),
          400,
          setCookie,
        );
      }
      return html(
        loginPage({
          interaction,
          csrf: session.csrf,
          ...(pending ? { clientName: pending.client.name } : {}),
        }),
        200,
        { ...setCookie, ...completingPage(pending) },
      );
    }

    if (pathname === '/login' && method === 'POST') {
      const form = await formOf(request);
      const session = sessions.get(request);
      if (form === undefined || !csrfMatches(session, form.get('csrf'))) {
        return html(messagePage('Session expired', 'Reload the page and sign in again.'), 403);
      }
      const username = (form.get('username') ?? '').slice(0, 100);
      const password = (form.get('password') ?? '').slice(0, 200);
      const interaction = form.get('interaction') ?? '';
      // The peer address the runtime saw (the node bridge's socket), never a header a client can set.
      const ip = info.remoteAddress ?? 'unknown';
      const pending = await interactions.find(interaction);
      const again = (error: string, status: number) =>
        html(
          loginPage({
            interaction,
            csrf: session?.csrf ?? '',
            error,
            username,
            ...(pending ? { clientName: pending.client.name } : {}),
          }),
          status,
          completingPage(pending),
        );
      const accountKey = `account:${username.toLowerCase()}`;
      const ipKey = `ip:${ip}`;
      if (!accountLimiter.allowed(accountKey) || !ipLimiter.allowed(ipKey)) {
        return again('Too many failed attempts. Wait a few minutes and try again.', 429);
      }
      const user = await users.authenticate(username, password);
      if (user === undefined) {
        accountLimiter.fail(accountKey);
        ipLimiter.fail(ipKey);
        return again('Wrong username or password.', 401);
      }
      accountLimiter.reset(accountKey);
      // A fresh session id at login (no fixation); the old one is dropped.
      if (session !== undefined) sessions.destroy(session);
      const fresh = sessions.create(user.id);
      const cookie = { 'set-cookie': sessionCookie(fresh, secureCookies) };
      if (pending === undefined) return seeOther('/account', cookie);
      if (consents.covers(user.id, pending.client.id, pending.scopes)) {
        const done = await finish(interaction, { type: 'approve', subject: user.id }, user.id);
        done.headers.set('set-cookie', cookie['set-cookie']);
        return done;
      }
      return seeOther(`/consent?interaction=${encodeURIComponent(interaction)}`, cookie);
    }

    if (pathname === '/consent' && method === 'GET') {
      const session = sessions.get(request);
      const interaction = url.searchParams.get('interaction') ?? '';
      const user = session?.userId === undefined ? undefined : users.byId(session.userId);
      if (session === undefined || user === undefined)
        return seeOther(`/login?interaction=${encodeURIComponent(interaction)}`);
      const pending = await interactions.find(interaction);
      if (pending === undefined) {
        return html(
          messagePage(
            'Request expired',
            'This sign-in request has expired. Go back to the application and try again.',
          ),
          400,
        );
      }
      return html(
        consentPage({
          interaction,
          csrf: session.csrf,
          clientName: pending.client.name,
          userName: user.name,
          scopes: pending.scopes.map((name) => ({ name, description: server.config.scopes[name] ?? name })),
        }),
        200,
        completingPage(pending),
      );
    }

    if (pathname === '/consent' && method === 'POST') {
      const form = await formOf(request);
      const session = sessions.get(request);
      const user = session?.userId === undefined ? undefined : users.byId(session.userId);
      if (form === undefined || user === undefined || !csrfMatches(session, form.get('csrf'))) {
        return html(messagePage('Session expired', 'Reload the page and try again.'), 403);
      }
      const interaction = form.get('interaction') ?? '';
      const decision: Decision =
        form.get('decision') === 'approve'
          ? { type: 'approve', subject: user.id }
          : { type: 'deny', description: 'The user denied the request.' };
      return finish(interaction, decision, user.id);
    }

    if (pathname === '/account' && method === 'GET') {
      const session = sessions.get(request);
      const user = session?.userId === undefined ? undefined : users.byId(session.userId);
      if (session === undefined || user === undefined) return seeOther('/login');
      const list = await Promise.all(
        consents.list(user.id).map(async (c) => ({
          ...c,
          clientName: (await options.clients.findClient(c.clientId))?.name ?? c.clientId,
        })),
      );
      return html(accountPage({ userName: user.name, csrf: session.csrf, consents: list }));
    }

    if (pathname === '/account/revoke' && method === 'POST') {
      const form = await formOf(request);
      const session = sessions.get(request);
      if (form === undefined || session?.userId === undefined || !csrfMatches(session, form.get('csrf'))) {
        return html(messagePage('Session expired', 'Reload the page and try again.'), 403);
      }
      const clientId = form.get('client_id') ?? '';
      for (const grantId of consents.grants(session.userId, clientId)) {
        const revoked = await server.revokeGrant(grantId);
        // The consent stays listed until every grant is revoked, so the user can try again.
        if (revoked.isErr()) {
          return html(
            messagePage('Something went wrong', revoked.error.description),
            statusOf(revoked.error),
          );
        }
      }
      consents.forget(session.userId, clientId);
      return seeOther('/account');
    }

    if (pathname === '/logout' && method === 'POST') {
      const form = await formOf(request);
      const session = sessions.get(request);
      if (session !== undefined && form !== undefined && csrfMatches(session, form.get('csrf')))
        sessions.destroy(session);
      return seeOther('/login', { 'set-cookie': sessionCookie(undefined, secureCookies) });
    }

    if (pathname === '/api/me') {
      const auth = await verifyBearer(server, request, { scopes: ['profile'] });
      if (!auth.ok) return auth.response;
      const user = auth.token.subject === undefined ? undefined : users.byId(auth.token.subject);
      if (user === undefined) return notFound();
      return Response.json(
        {
          sub: user.id,
          name: user.name,
          preferred_username: user.username,
          ...(auth.token.scopes.includes('email') ? { email: user.email } : {}),
        },
        { headers: { 'cache-control': 'no-store' } },
      );
    }

    if (pathname === '/' && method === 'GET') {
      return html(
        messagePage(
          'Kraikub',
          'This is the Kraikub sign-in service. Applications send you here to sign in; your account is at /account.',
        ),
      );
    }
    return notFound();
  };

  const handler = createHandler(server, {
    interactions,
    interact,
    fallback: routes,
    // The provider's own look for every error page the library shows.
    errorPage: ({ description, error }) => messagePage('Something went wrong', `${description} (${error})`),
  });
  return { server, handler };
}
