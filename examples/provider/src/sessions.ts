import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A browser session: who is logged in, and the CSRF token of its forms. */
export interface Session {
  readonly id: string;
  userId: string | undefined;
  readonly csrf: string;
  expiresAt: number;
}

const ttlMs = 8 * 3600 * 1000;
export const cookieName = 'kraikub_session';

/** Sessions in memory, looked up by a random cookie value. */
export class Sessions {
  readonly #sessions = new Map<string, Session>();

  /** The session of a request, if its cookie names a live one. */
  get(request: Request): Session | undefined {
    const id = readCookie(request, cookieName);
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined || session.expiresAt <= Date.now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  /** A new session (a new id on every login, against session fixation). */
  create(userId?: string): Session {
    const now = Date.now();
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      userId,
      csrf: randomBytes(32).toString('base64url'),
      expiresAt: now + ttlMs,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  destroy(session: Session): void {
    this.#sessions.delete(session.id);
  }
}

export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie') ?? '';
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** `Set-Cookie` for a session: HttpOnly, SameSite=Lax, Secure over https. */
export function sessionCookie(session: Session | undefined, secure: boolean): string {
  const value = session === undefined ? '' : session.id;
  const maxAge = session === undefined ? 0 : Math.floor(ttlMs / 1000);
  return `${cookieName}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

/** Constant-time check of a form's CSRF token against the session's. */
export function csrfMatches(session: Session | undefined, token: string | null): boolean {
  if (session === undefined || token === null) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
