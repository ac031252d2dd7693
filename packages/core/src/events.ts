/**
 * Grant lifecycle events: how a host hears of every grant and every token
 * issued under it, whichever path made them (an interaction, a remembered
 * consent decided at once, client credentials), so it can list, audit and
 * revoke what was granted.
 *
 * @module
 */

interface EventBase {
  /** The grant the event is about. */
  readonly grantId: string;
  /** When it happened (ms since the epoch, by the server's clock). */
  readonly at: number;
}

/** A new grant: a code was issued for an approval, or a client-credentials token. */
export interface GrantCreatedEvent extends EventBase {
  readonly type: 'grant.created';
  readonly clientId: string;
  /** The resource owner; absent for client credentials. */
  readonly subject?: string;
  readonly scopes: readonly string[];
}

/** Tokens were issued from a code or for client credentials. */
export interface TokensIssuedEvent extends EventBase {
  readonly type: 'tokens.issued';
  readonly clientId: string;
  readonly subject?: string;
  readonly scopes: readonly string[];
  readonly grantType: 'authorization_code' | 'client_credentials';
  /** Whether a refresh token was issued too. */
  readonly refreshToken: boolean;
}

/** A refresh token was rotated: a new access token and refresh token. */
export interface TokensRefreshedEvent extends EventBase {
  readonly type: 'tokens.refreshed';
  readonly clientId: string;
  readonly subject: string;
  /** The new access token's scopes (may be narrower than the grant's). */
  readonly scopes: readonly string[];
}

/** A spent code or a rotated refresh token was presented again. The grant is revoked next. */
export interface ReuseDetectedEvent extends EventBase {
  readonly type: 'reuse.detected';
  readonly clientId: string;
  readonly credential: 'code' | 'refresh_token';
}

/** One access token was revoked (RFC 7009); its grant lives on. */
export interface TokenRevokedEvent extends EventBase {
  readonly type: 'token.revoked';
  readonly clientId: string;
}

/** Every code and token of the grant was revoked. */
export interface GrantRevokedEvent extends EventBase {
  readonly type: 'grant.revoked';
  /**
   * `token_revoked`: the client revoked its refresh token (RFC 7009);
   * `host`: the host called `revokeGrant`; `code_replayed` and
   * `refresh_reused`: a replay was detected (RFC 6749 section 4.1.2, RFC 9700
   * section 4.14.2).
   */
  readonly reason: 'token_revoked' | 'host' | 'code_replayed' | 'refresh_reused';
  /** The client, when known (not for `host`). */
  readonly clientId?: string;
}

/**
 * A grant lifecycle event, discriminated on `type`.
 *
 * @example
 * ```ts
 * import type { GrantEvent } from '@kraikub/core';
 * const grantsByUser = new Map<string, Set<string>>();
 * const onGrantEvent = (event: GrantEvent) => {
 *   if (event.type === 'grant.created' && event.subject !== undefined) {
 *     const grants = grantsByUser.get(event.subject) ?? new Set<string>();
 *     grantsByUser.set(event.subject, grants.add(event.grantId));
 *   }
 * };
 * ```
 */
export type GrantEvent =
  | GrantCreatedEvent
  | TokensIssuedEvent
  | TokensRefreshedEvent
  | ReuseDetectedEvent
  | TokenRevokedEvent
  | GrantRevokedEvent;

/**
 * The host's hook for {@link GrantEvent}s. Core awaits it before it answers:
 * the event is delivered before the code or the tokens leave the server. When
 * it throws or rejects, the request fails like a failing store
 * (`server_error`, or `temporarily_unavailable` for a transient error) and
 * what was issued is never handed out, so a host never misses a grant that a
 * client holds.
 */
export type GrantEventListener = (event: GrantEvent) => void | Promise<void>;
