/**
 * The replies of the Lua scripts in `scripts.ts`: an array whose first
 * element is a status number, and the names of those numbers, one object per
 * script. The stores compare statuses with these names only, and treat any
 * other status as an error, never as a token.
 *
 * @module
 */
import { CorruptRecordError } from './envelope.ts';

/**
 * Reads a script reply: its status and the element after it (`undefined`
 * when there is none). Throws `CorruptRecordError` unless the reply is an
 * array whose first element is a number; `what` names the script in the message.
 *
 * @example
 * ```ts
 * const [status, body] = scriptReply(await connection.runScript(consumeCodeScript, keys, args), 'consumeCode');
 * if (status === ConsumeCodeReply.consumed) return decode(body);
 * ```
 */
export function scriptReply(reply: unknown, what: string): readonly [number, unknown] {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number') {
    throw new CorruptRecordError(`redis: ${what}: unexpected script reply`);
  }
  return [reply[0], reply[1]];
}

/**
 * Statuses of `saveCodeScript`: `{1}`.
 *
 * @example
 * ```ts
 * if (status !== SaveCodeReply.saved) throw new Error('unexpected');
 * ```
 */
export const SaveCodeReply = { saved: 1 } as const;

/**
 * Statuses of `consumeCodeScript`: `{0}` not found (unknown, expired or
 * revoked); `{1, codeJson}` consumed, and the tokens stored; `{2}` replayed.
 *
 * @example
 * ```ts
 * if (status === ConsumeCodeReply.replayed) return { status: 'replayed', grantId };
 * ```
 */
export const ConsumeCodeReply = { notFound: 0, consumed: 1, replayed: 2 } as const;

/**
 * Statuses of `issueTokensScript`: `{0}` the grant is revoked; `{1}` issued.
 *
 * @example
 * ```ts
 * if (status === IssueTokensReply.grantRevoked) return { status: 'grant_revoked' };
 * ```
 */
export const IssueTokensReply = { grantRevoked: 0, issued: 1 } as const;

/**
 * Statuses of `rotateRefreshTokenScript`: `{0}` not found (unknown, expired
 * or revoked); `{1}` rotated, and the successors stored; `{2, recordJson}` reused.
 *
 * @example
 * ```ts
 * if (status === RotateRefreshTokenReply.rotated) return { status: 'rotated' };
 * ```
 */
export const RotateRefreshTokenReply = { notFound: 0, rotated: 1, reused: 2 } as const;

/**
 * Statuses of `revokeGrantScript`: `{1, recordsDeleted}`.
 *
 * @example
 * ```ts
 * if (status !== RevokeGrantReply.revoked) throw new Error('unexpected');
 * ```
 */
export const RevokeGrantReply = { revoked: 1 } as const;

/**
 * Statuses of `saveInteractionScript`: `{0}` saved; `{1}` the total cap is
 * reached; `{2}` the cap of the source is reached.
 *
 * @example
 * ```ts
 * if (status === SaveInteractionReply.sourceLimited) return { status: 'limited', limit: 'source' };
 * ```
 */
export const SaveInteractionReply = { saved: 0, totalLimited: 1, sourceLimited: 2 } as const;

/**
 * Statuses of `consumeInteractionScript`: `{0}` nothing there; `{1, value}`
 * consumed (deleted, and its places in the counting sets freed).
 *
 * @example
 * ```ts
 * if (status === ConsumeInteractionReply.notFound) return undefined;
 * ```
 */
export const ConsumeInteractionReply = { notFound: 0, consumed: 1 } as const;
