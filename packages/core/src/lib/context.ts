import { err, ok, ResultAsync } from 'neverthrow';
import type { AuthorizationServerConfig } from '../config.ts';
import { type OAuthError, portFailure } from '../errors.ts';
import type { GrantEvent, GrantEventListener } from '../events.ts';
import type { ClientStore, Clock, CryptoPort, GrantStore, SignerPort } from '../ports.ts';
import type { ClaimsRequest } from '../rules/claims.ts';
import type { RegistrationOptions } from '../use-cases/registration.ts';

/** Everything a use case needs: validated config and the ports. */
export interface Context {
  readonly config: AuthorizationServerConfig;
  readonly clients: ClientStore;
  readonly store: GrantStore;
  readonly clock: Clock;
  readonly crypto: CryptoPort;
  /** The host's grant event hook, if any. */
  readonly onGrantEvent: GrantEventListener | undefined;
  /**
   * Clients registered as resource servers, with their resources: they may
   * introspect the access tokens meant for them.
   */
  readonly resourcesOfClient: ReadonlyMap<string, readonly string[]>;
  /** The signer, when the server speaks OpenID Connect. */
  readonly signer: SignerPort | undefined;
  /** The host's user data, for ID Tokens and UserInfo. */
  readonly findClaims: FindClaims;
  /** Dynamic client registration (RFC 7591, 7592), when the host turned it on. */
  readonly registration?: RegistrationOptions | undefined;
  /** Whether https URL client ids are read as Client ID Metadata Documents. */
  readonly clientIdMetadataDocuments?: boolean;
}

/** What {@link FindClaims} is asked. */
export interface ClaimsQuery {
  readonly subject: string;
  readonly clientId: string;
  /** The granted scopes. */
  readonly scopes: readonly string[];
  /** The claim names that may be released (by scope, and by the `claims` request for this target). */
  readonly names: readonly string[];
  /** The `claims` request member for this target, as the client sent it (values, essential). */
  readonly requested?: ClaimsRequest['userinfo'];
  /** Where the claims go. */
  readonly target: 'id_token' | 'userinfo';
}

/**
 * The host's callback for user data: the claims it holds for a subject.
 * The library stores no user data; it keeps only the names it may release.
 */
export type FindClaims = (query: ClaimsQuery) => Promise<Readonly<Record<string, unknown>>>;

/**
 * Delivers a grant event to the host's hook, as a port call: resolves
 * `undefined` when delivered (or when there is no hook), the error to answer
 * when the hook failed. Never rejects.
 */
export async function emit(ctx: Context, event: GrantEvent): Promise<OAuthError | undefined> {
  const listener = ctx.onGrantEvent;
  if (listener === undefined) return undefined;
  try {
    await listener(event);
    return undefined;
  } catch (cause) {
    return portFailure(cause, 'onGrantEvent');
  }
}

/** How long a revoked grant is remembered: as long as any of its records could live. */
export function grantRetention(ctx: Context, now: number): number {
  const { code, accessToken, refreshToken } = ctx.config.ttl;
  return now + Math.max(code, accessToken, refreshToken) * 1000;
}

/** {@link emit} as a `ResultAsync`, for the use cases written as chains. */
export function emitting(ctx: Context, event: GrantEvent): ResultAsync<void, OAuthError> {
  return new ResultAsync(
    emit(ctx, event).then((failed) => (failed === undefined ? ok(undefined) : err(failed))),
  );
}
