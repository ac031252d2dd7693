import type { GrantEvent } from '@kraikub/core';
import type { AppStore } from './store/app-store.ts';

/** Remembered consents live as long as a refresh token could (30 days), renewed on use. */
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

  /** Whether `userId` already allowed `clientId` every scope in `wanted`. */
  async covers(userId: string, clientId: string, wanted: readonly string[]): Promise<boolean> {
    const scopes = await this.#store.get<string[]>(`consent:${userId}:${clientId}`);
    return scopes !== undefined && scopes.length > 0 && wanted.every((scope) => scopes.includes(scope));
  }

  /** Remembers the scopes a user allowed a client (added to what was allowed before). */
  async remember(userId: string, clientId: string, granted: readonly string[]): Promise<void> {
    const key = `consent:${userId}:${clientId}`;
    const before = (await this.#store.get<string[]>(key)) ?? [];
    await this.#store.set(key, [...new Set([...before, ...granted])], keepMs);
    await this.#store.addMember(`consents:${userId}`, clientId, keepMs);
  }

  /** The server's events: every grant made for a user is recorded under its client. */
  async hear(event: GrantEvent): Promise<void> {
    if (event.type === 'grant.created' && event.subject !== undefined) {
      await this.#store.addMember(`grants:${event.subject}:${event.clientId}`, event.grantId, keepMs);
    }
  }

  /** The clients a user allowed, with the scopes. */
  async list(userId: string): Promise<{ clientId: string; scopes: string[] }[]> {
    const listed = [];
    for (const clientId of await this.#store.members(`consents:${userId}`)) {
      const scopes = await this.#store.get<string[]>(`consent:${userId}:${clientId}`);
      if (scopes !== undefined && scopes.length > 0) listed.push({ clientId, scopes });
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
