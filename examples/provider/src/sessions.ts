import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { parse, serialize } from 'hono/utils/cookie';
import type { AppStore } from './store/app-store.ts';

/** A browser session: who is signed in (and since when), and the CSRF token of its forms. */
export interface Session {
  readonly id: string;
  readonly userId?: string;
  /** When the user signed in (ms). */
  readonly authTime?: number;
  readonly csrf: string;
}

export const cookieName = 'kraikub_session';
const ttlMs = 8 * 3600 * 1000;
const idPattern = /^[A-Za-z0-9_-]{43}$/;

/**
 * Sessions in the app's store (memory, Redis, or PostgreSQL), so any
 * provider process serves any request; the browser holds only a random id
 * in an HttpOnly, SameSite=Lax cookie (Secure over https).
 */
export class Sessions {
  readonly #store: AppStore;
  readonly #secure: boolean;

  constructor(store: AppStore, options: { readonly secure: boolean }) {
    this.#store = store;
    this.#secure = options.secure;
  }

  /** The session the request's cookie names, if it is live. */
  current(c: Context): Promise<Session | undefined> {
    return this.#find(getCookie(c, cookieName));
  }

  /** The same, from a plain `Request` (inside the provider's interaction callback). */
  fromRequest(request: Request): Promise<Session | undefined> {
    return this.#find(parse(request.headers.get('cookie') ?? '', cookieName)[cookieName]);
  }

  async #find(id: string | undefined): Promise<Session | undefined> {
    if (id === undefined || !idPattern.test(id)) return undefined;
    return this.#store.get<Session>(`session:${id}`);
  }

  /** A new session in the store (a new id on every sign-in, against fixation); the caller sets its cookie. */
  async create(userId?: string): Promise<Session> {
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    const session: Session = userId === undefined ? { id, csrf } : { id, csrf, userId, authTime: Date.now() };
    await this.#store.set(`session:${id}`, session, ttlMs);
    return session;
  }

  /** A new session, set as the cookie of the response. */
  async start(c: Context, userId?: string): Promise<Session> {
    const session = await this.create(userId);
    setCookie(c, cookieName, session.id, this.#cookieOptions(Math.floor(ttlMs / 1000)));
    return session;
  }

  /** The `Set-Cookie` value of a session (outside a Hono context). */
  cookieFor(session: Session): string {
    return serialize(cookieName, session.id, this.#cookieOptions(Math.floor(ttlMs / 1000)));
  }

  /** The `Set-Cookie` value that clears the session cookie. */
  clearedCookie(): string {
    return serialize(cookieName, '', this.#cookieOptions(0));
  }

  #cookieOptions(maxAge: number) {
    return { path: '/', httpOnly: true, sameSite: 'Lax', secure: this.#secure, maxAge } as const;
  }

  /** The request's session, or a new anonymous one (every page's forms carry a CSRF token). */
  async currentOrStart(c: Context): Promise<Session> {
    return (await this.current(c)) ?? this.start(c);
  }

  /** Forgets a session in the store (its cookie is about to be replaced). */
  async discard(session: Session | undefined): Promise<void> {
    if (session !== undefined) await this.#store.delete(`session:${session.id}`);
  }

  /** Ends a session and clears the cookie. */
  async end(c: Context, session: Session | undefined): Promise<void> {
    if (session !== undefined) await this.#store.delete(`session:${session.id}`);
    deleteCookie(c, cookieName, { path: '/', secure: this.#secure, httpOnly: true, sameSite: 'Lax' });
  }
}

/** Constant-time check of a form's CSRF token against the session's. */
export function csrfMatches(session: Session | undefined, token: string | undefined): boolean {
  if (session === undefined || token === undefined) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
