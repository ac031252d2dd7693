import type { AuthorizationServerConfig } from '../config.ts';
import type { ClientStore, Clock, Crypto, GrantStore } from '../ports.ts';

/** Everything a use case needs: validated config and the ports. */
export interface Context {
  readonly config: AuthorizationServerConfig;
  readonly clients: ClientStore;
  readonly store: GrantStore;
  readonly clock: Clock;
  readonly crypto: Crypto;
}

/** How long a revoked grant is remembered: as long as any of its records could live. */
export function grantRetention(ctx: Context, now: number): number {
  const { code, accessToken, refreshToken } = ctx.config.ttl;
  return now + Math.max(code, accessToken, refreshToken) * 1000;
}
