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
 * import type { LuaScript, RedisConnection } from '@kraikub/adapter-redis';
 * // Internal, from this module and scripts.ts:
 * declare function scriptReply(reply: unknown, what: string): readonly [number, unknown];
 * declare const ConsumeCodeReply: { readonly notFound: 0; readonly consumed: 1; readonly replayed: 2 };
 * declare const consumeCodeScript: LuaScript;
 * // The store's:
 * declare const connection: RedisConnection;
 * declare function decode(body: unknown): string;
 *
 * async function consume(keys: string[], args: string[]): Promise<string | undefined> {
 *   const reply = await connection.runScript(consumeCodeScript, keys, args);
 *   const [status, body] = scriptReply(reply, 'consumeCode');
 *   if (status === ConsumeCodeReply.consumed) return decode(body);
 *   return undefined;
 * }
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
 * // Internal, from this module:
 * declare const SaveCodeReply: { readonly saved: 1 };
 * declare const status: number; // from scriptReply
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
 * import type { ConsumeCodeResult } from '@kraikub/core';
 * // Internal, from this module:
 * declare const ConsumeCodeReply: { readonly notFound: 0; readonly consumed: 1; readonly replayed: 2 };
 *
 * function replayed(status: number, grantId: string): ConsumeCodeResult | undefined {
 *   if (status === ConsumeCodeReply.replayed) return { status: 'replayed', grantId };
 *   return undefined;
 * }
 * ```
 */
export const ConsumeCodeReply = { notFound: 0, consumed: 1, replayed: 2 } as const;

/**
 * Statuses of `issueTokensScript`: `{0}` the grant is revoked; `{1}` issued.
 *
 * @example
 * ```ts
 * import type { IssueTokensResult } from '@kraikub/core';
 * // Internal, from this module:
 * declare const IssueTokensReply: { readonly grantRevoked: 0; readonly issued: 1 };
 *
 * function issued(status: number): IssueTokensResult {
 *   if (status === IssueTokensReply.grantRevoked) return { status: 'grant_revoked' };
 *   return { status: 'issued' };
 * }
 * ```
 */
export const IssueTokensReply = { grantRevoked: 0, issued: 1 } as const;

/**
 * Statuses of `rotateRefreshTokenScript`: `{0}` not found (unknown, expired
 * or revoked); `{1}` rotated, and the successors stored; `{2, recordJson}` reused.
 *
 * @example
 * ```ts
 * import type { RotateRefreshTokenResult } from '@kraikub/core';
 * // Internal, from this module:
 * declare const RotateRefreshTokenReply: { readonly notFound: 0; readonly rotated: 1; readonly reused: 2 };
 *
 * function rotated(status: number): RotateRefreshTokenResult | undefined {
 *   if (status === RotateRefreshTokenReply.rotated) return { status: 'rotated' };
 *   return undefined;
 * }
 * ```
 */
export const RotateRefreshTokenReply = { notFound: 0, rotated: 1, reused: 2 } as const;

/**
 * Statuses of `revokeGrantScript`: `{1, recordsDeleted}`.
 *
 * @example
 * ```ts
 * // Internal, from this module:
 * declare const RevokeGrantReply: { readonly revoked: 1 };
 * declare const status: number; // from scriptReply
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
 * import type { SaveInteractionResult } from '@kraikub/core';
 * // Internal, from this module:
 * declare const SaveInteractionReply: {
 *   readonly saved: 0;
 *   readonly totalLimited: 1;
 *   readonly sourceLimited: 2;
 * };
 *
 * function limited(status: number): SaveInteractionResult | undefined {
 *   if (status === SaveInteractionReply.sourceLimited) return { status: 'limited', limit: 'source' };
 *   return undefined;
 * }
 * ```
 */
export const SaveInteractionReply = { saved: 0, totalLimited: 1, sourceLimited: 2 } as const;

/**
 * Statuses of `consumeInteractionScript`: `{0}` nothing there; `{1, value}`
 * consumed (deleted, and its places in the counting sets freed).
 *
 * @example
 * ```ts
 * import type { InteractionRecord } from '@kraikub/core';
 * // Internal, from this module:
 * declare const ConsumeInteractionReply: { readonly notFound: 0; readonly consumed: 1 };
 * declare function decode(value: unknown): InteractionRecord;
 *
 * function consumed(status: number, value: unknown): InteractionRecord | undefined {
 *   if (status === ConsumeInteractionReply.notFound) return undefined;
 *   return decode(value);
 * }
 * ```
 */
export const ConsumeInteractionReply = { notFound: 0, consumed: 1 } as const;
