import { err, ok } from 'neverthrow';
import { oauthError } from '../errors.ts';
import type { OidcContext } from '../ports.ts';
import { allowedClaims, releaseClaims } from '../rules/claims.ts';
import { idTokenClaims } from '../rules/id-token.ts';
import type { Context } from './context.ts';
import { type Outcome, tryPort } from './port.ts';

/** Whose claims, for which client and scopes, under which OpenID Connect context. */
export interface ClaimsOwner {
  readonly subject: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly oidc: OidcContext | undefined;
}

/**
 * The claims the host releases for `target`: asked from its `findClaims`
 * callback with the names that may go out (by scope for UserInfo, by the
 * `claims` request for either), and filtered to those names. No call at
 * all when nothing may be released.
 */
export async function releasedClaims(
  ctx: Context,
  owner: ClaimsOwner,
  target: 'id_token' | 'userinfo',
): Outcome<Record<string, unknown>> {
  const requested = owner.oidc?.claims?.[target];
  const names = allowedClaims(owner.scopes, requested, target);
  if (names.size === 0) return ok({});
  const found = await tryPort('findClaims', () =>
    ctx.findClaims({
      subject: owner.subject,
      clientId: owner.clientId,
      scopes: owner.scopes,
      names: [...names],
      target,
      ...(requested === undefined ? {} : { requested }),
    }),
  );
  if (found.isErr()) return err(found.error);
  return ok(releaseClaims(typeof found.value === 'object' && found.value !== null ? found.value : {}, names));
}

/**
 * Issues an ID Token for an OpenID Connect grant: core builds the claims,
 * the signer signs them (adding `at_hash` for `accessToken`).
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export async function issueIdToken(
  ctx: Context,
  owner: ClaimsOwner & { readonly oidc: OidcContext },
  accessToken: string,
  now: number,
  withNonce: boolean,
): Outcome<string> {
  const signer = ctx.signer;
  if (signer === undefined) {
    return err(
      oauthError('server_error', 'The server encountered an unexpected error.', { detail: 'no signer' }),
    );
  }
  const released = await releasedClaims(ctx, owner, 'id_token');
  if (released.isErr()) return err(released.error);
  const claims = idTokenClaims({
    issuer: ctx.config.issuer,
    clientId: owner.clientId,
    subject: owner.subject,
    now,
    ttlSeconds: ctx.config.ttl.idToken,
    oidc: owner.oidc,
    withNonce,
    released: released.value,
  });
  return tryPort('SignerPort.sign', () => signer.sign(claims, { typ: 'JWT', accessToken }));
}
