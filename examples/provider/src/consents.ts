import type { GrantEvent } from '@kraikub/core';
import type { AppStore } from './store/app-store.ts';

/** Remembered consents live as long as a refresh token could (30 days), renewed on use. */
/** What a user allowed one client: scopes, and the resources (APIs) they are for. */
interface Allowed {
  readonly scopes: string[];
  readonly resources: string[];
}

const keepMs = 30 * 24 * 3600 * 1000;

/**
 * What each user allowed each client, and every grant made under it,
 * in the app's store. Grants are learned from the server's grant events,
 * whichever path made them (the consent page, or a remembered consent
 * decided at once in `interact`), so revoking a consent ends them all.
 */
export class Consents {
  readonly #store: AppStore;

  constructor(store: AppStore) {
    this.#store = store;
  }

  /**
   * Whether `userId` already allowed `clientId` every scope in `wanted`, for
   * every resource in `resources` (RFC 8707): a consent given for one API is
   * no consent for another.
   */
  async covers(
    userId: string,
    clientId: string,
    wanted: readonly string[],
    resources: readonly string[] = [],
  ): Promise<boolean> {
    const allowed = await this.#store.get<Allowed>(`consent:${userId}:${clientId}`);
    return (
      allowed !== undefined &&
      allowed.scopes.length > 0 &&
      wanted.every((scope) => allowed.scopes.includes(scope)) &&
      resources.every((resource) => allowed.resources.includes(resource))
    );
  }

  /** Remembers the scopes (and resources) a user allowed a client, added to what was allowed before. */
  async remember(
    userId: string,
    clientId: string,
    granted: readonly string[],
    resources: readonly string[] = [],
  ): Promise<void> {
    const key = `consent:${userId}:${clientId}`;
    const before = (await this.#store.get<Allowed>(key)) ?? { scopes: [], resources: [] };
    const allowed: Allowed = {
      scopes: [...new Set([...before.scopes, ...granted])],
      resources: [...new Set([...before.resources, ...resources])],
    };
    await this.#store.set(key, allowed, keepMs);
    await this.#store.addMember(`consents:${userId}`, clientId, keepMs);
  }

  /** The server's events: every grant made for a user is recorded under its client. */
  async hear(event: GrantEvent): Promise<void> {
    if (event.type === 'grant.created' && event.subject !== undefined) {
      await this.#store.addMember(`grants:${event.subject}:${event.clientId}`, event.grantId, keepMs);
    }
  }

  /** The clients a user allowed, with the scopes and resources. */
  async list(userId: string): Promise<{ clientId: string; scopes: string[]; resources: string[] }[]> {
    const listed = [];
    for (const clientId of await this.#store.members(`consents:${userId}`)) {
      const allowed = await this.#store.get<Allowed>(`consent:${userId}:${clientId}`);
      if (allowed !== undefined && allowed.scopes.length > 0) listed.push({ clientId, ...allowed });
    }
    return listed;
  }

  /** The grants made for a user under a client. */
  grants(userId: string, clientId: string): Promise<string[]> {
    return this.#store.members(`grants:${userId}:${clientId}`);
  }

  /** Forgets the consent and its grants (once they are revoked). */
  async forget(userId: string, clientId: string): Promise<void> {
    await this.#store.delete(`consent:${userId}:${clientId}`);
    await this.#store.delete(`grants:${userId}:${clientId}`);
    await this.#store.removeMember(`consents:${userId}`, clientId);
  }
}
