import { err } from 'neverthrow';
import type { OAuthError } from '../../errors.ts';
import { type Context, emit, grantRetention } from '../../lib/context.ts';
import { type Outcome, tryPort } from '../../lib/port.ts';

/** A spent code or a rotated refresh token presented again. */
export interface Replay {
  readonly grantId: string;
  readonly clientId: string;
  readonly credential: 'code' | 'refresh_token';
}

/**
 * Answers a replay: revokes the whole grant, tells the host (reuse, then
 * the revocation), and answers `error`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export async function revokeReplayed(
  ctx: Context,
  replay: Replay,
  now: number,
  error: OAuthError,
): Outcome<never> {
  const { grantId, clientId, credential } = replay;
  const revoked = await tryPort('GrantStore.revokeGrant', () =>
    ctx.store.revokeGrant(grantId, grantRetention(ctx, now)),
  );
  if (revoked.isErr()) return err(revoked.error);
  if (ctx.onGrantEvent !== undefined) {
    const failed =
      (await emit(ctx, { type: 'reuse.detected', grantId, at: now, clientId, credential })) ??
      (await emit(ctx, {
        type: 'grant.revoked',
        grantId,
        at: now,
        clientId,
        reason: credential === 'code' ? 'code_replayed' : 'refresh_reused',
      }));
    if (failed !== undefined) return err(failed);
  }
  return err(error);
}
