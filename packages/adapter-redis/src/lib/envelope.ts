/**
 * How a grant record is stored: `<state>:<expiresAt>:<json>`.
 *
 * The state and the expiry sit in front of the JSON so the Lua scripts can
 * read them without decoding JSON (Redis' cjson rejects some strings that
 * JSON.stringify writes, such as lone surrogates), and the JSON is exactly
 * what `JSON.stringify` wrote, so records come back unchanged.
 *
 * @module
 */

/** `0`: live. `1`: a consumed code or a rotated refresh token. */
export type RecordState = '0' | '1';

/** A record's expiry as Redis wants it: a whole number of ms (PXAT). */
export function expiryMs(expiresAt: number, what: string): number {
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    throw new TypeError(`${what}: expiresAt must be a finite number of milliseconds`);
  }
  return Math.ceil(expiresAt);
}

/** Encodes a record with its state. */
export function encodeRecord(
  state: RecordState,
  record: { readonly expiresAt: number },
  what: string,
): string {
  return `${state}:${expiryMs(record.expiresAt, what)}:${JSON.stringify(record)}`;
}

/** A stored value, decoded. */
export interface Decoded<R> {
  readonly state: RecordState;
  readonly record: R;
}

/**
 * Thrown for a stored value or script reply this adapter did not write:
 * core answers `server_error`, and never issues a token from it.
 *
 * @example
 * ```ts
 * import { CorruptRecordError, type RedisGrantStore } from '@kraikub/adapter-redis';
 * import type { TokenKey } from '@kraikub/core';
 * declare const store: RedisGrantStore;
 * declare const key: TokenKey;
 * try {
 *   await store.findCode(key);
 * } catch (error) {
 *   if (error instanceof CorruptRecordError) console.error('foreign data under our prefix');
 * }
 * ```
 */
export class CorruptRecordError extends Error {
  override readonly name = 'CorruptRecordError';
}

/** Decodes what {@link encodeRecord} wrote; anything else is a {@link CorruptRecordError}. */
export function decodeRecord<R extends { readonly expiresAt: number; readonly grantId: string }>(
  value: string,
): Decoded<R> {
  const state = value[0];
  const colon = value.indexOf(':', 2);
  if ((state !== '0' && state !== '1') || value[1] !== ':' || colon < 0) {
    throw new CorruptRecordError('redis: a stored record has an unknown format');
  }
  let record: unknown;
  try {
    record = JSON.parse(value.slice(colon + 1));
  } catch {
    throw new CorruptRecordError('redis: a stored record is not valid JSON');
  }
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof (record as { expiresAt?: unknown }).expiresAt !== 'number' ||
    typeof (record as { grantId?: unknown }).grantId !== 'string'
  ) {
    throw new CorruptRecordError('redis: a stored record lacks expiresAt or grantId');
  }
  return { state, record: record as R };
}

/** A reply value as a string: node-redis may hand back Buffers under a custom type mapping. */
export function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  throw new CorruptRecordError(`redis: unexpected reply of type ${typeof value}`);
}
